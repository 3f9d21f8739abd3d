"""The harness cell the grader appends to a submission.

Its source is the text of :mod:`lstm_course.exercises._calls` (pasted, not imported, so
a submission that patches ``lstm_course`` cannot change it) followed by :data:`MAIN`.  It
reads the grader's inputs with ``torch.load(weights_only=True)``, calls each student
function under a per-question time limit and a tripwire, and saves the raw outcomes,
question by question, for the grader to judge in its own process.
"""

from __future__ import annotations

import inspect

from ..exercises import _calls

__all__ = ["harness_source"]

MAIN = '''
class _LstmCourseTimeout(BaseException):
    """Raised by the alarm; a BaseException so `except Exception` in student code does not swallow it."""


def _located(fn, where):
    """``fn``, recording in ``where`` the notebook line an exception came from (for errors with no message)."""

    def call(*args):
        try:
            return fn(*args)
        except Exception as exc:
            frames, tb = [], exc.__traceback__
            while tb is not None:
                frames.append(tb)
                tb = tb.tb_next
            cells = [f for f in frames[1:] if "ipykernel_" in f.tb_frame.f_code.co_filename
                     or f.tb_frame.f_code.co_filename.startswith("<ipython-input")]
            last = (cells or frames[-1:] or [None])[-1]
            if last is not None:
                where.update(line=int(last.tb_lineno), func=str(last.tb_frame.f_code.co_name))
            raise

    return call


def _lstm_course_harness(in_path, out_path):
    import signal

    spec = torch.load(in_path, weights_only=True)
    user_ns = get_ipython().user_ns  # noqa: F821 - defined in every IPython kernel
    try:
        from lstm_course.layout import CellWeights
        rebuild = {"CellWeights": CellWeights}
    except Exception:  # noqa: BLE001
        rebuild = {}

    def _alarm(signum, frame):
        raise _LstmCourseTimeout()

    signal.signal(signal.SIGALRM, _alarm)
    results = {}
    for q in spec["questions"]:
        results[q["name"]] = entry = {"status": "running", "outcomes": []}
        torch.save(results, out_path)
        if q["kind"] == "choice":
            if q["variable"] in user_ns:
                entry.update(status="done", value=encode(user_ns[q["variable"]]))
            else:
                entry.update(status="missing")
            torch.save(results, out_path)
            continue
        fn = user_ns.get(q["func"])
        if not callable(fn):
            entry.update(status="missing", type=type(fn).__name__ if q["func"] in user_ns else "")
            torch.save(results, out_path)
            continue
        watch = resolve_forbidden(q["forbidden"])
        entry["status"] = "done"
        for args in q["calls"]:
            args = tuple(decode(args, rebuild))
            where = {}
            signal.setitimer(signal.ITIMER_REAL, spec["call_timeout"])
            try:
                r = call_guarded(_located(fn, where), args, watch)
            except _LstmCourseTimeout:
                entry["status"] = "timeout"
                break
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            try:
                value = encode(r["value"])
            except Exception as exc:  # noqa: BLE001
                value = {"t": "other", "type": type(exc).__name__, "repr": "could not be read back"}
            entry["outcomes"].append({"status": r["status"], "error": r["error"], "called": r["called"],
                                      "value": value, "args_after": encode(tuple(r["args_after"])),
                                      "where": where if r["status"] == "error" else {}})
        torch.save(results, out_path)
    results["_complete"] = {"status": "done"}
    torch.save(results, out_path)
'''


def harness_source(in_path: str, out_path: str) -> str:
    """The code of the harness cell, reading ``in_path`` and writing ``out_path``."""
    source = "\n".join([inspect.getsource(_calls), MAIN, f"_lstm_course_harness({in_path!r}, {out_path!r})", ""])
    # run in a namespace of its own, so the harness neither sees nor overwrites the student's names
    return (f"exec(compile({source!r}, '<lstm_course grader>', 'exec'),\n"
            "     {'__name__': '_lstm_course_grader', 'get_ipython': get_ipython})\n")
