"""The batch grader behind ``lstm-course grade``.

Each submission runs in a fresh Jupyter kernel (``python3``) with a time limit per cell
and per submission; a crashing cell does not stop the others; outputs are capped.  After
the student's cells the grader appends a harness cell (:mod:`._harness`) that calls the
student's functions on inputs the grader drew afresh and saves what came back.  The
verdict is computed here, in the grader's process, with the same ``judge`` the notebook
checker uses: nothing the student's code does to its own kernel can change the score.
Submissions are only read.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import secrets
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import torch

from ..exercises import TOPICS, ChoiceQuestion, CodeQuestion, Exercise, Verdict, _calls, _guard, get_exercise
from ..layout import CellWeights
from ._harness import harness_source

__all__ = ["QuestionGrade", "SubmissionGrade", "grade", "grade_submission"]

#: Output kept per cell and per submission (characters); the rest is dropped and the cell marked.
CELL_OUTPUT_CAP = 20_000
TOTAL_OUTPUT_CAP = 200_000
#: Seconds one call of a student function may take inside the harness.
CALL_TIMEOUT = 10.0


@dataclass
class QuestionGrade:
    name: str
    title: str
    points: float
    max_points: float
    status: str
    message: str
    mistake: str | None = None


@dataclass
class SubmissionGrade:
    """The grade of one submitted file."""

    file: str
    exercise: str | None
    questions: list[QuestionGrade] = field(default_factory=list)
    max_points: float = 0.0
    problem: str = ""  # why the whole submission scored 0, if it did
    notes: list[str] = field(default_factory=list)  # cell errors, timeouts, truncated output
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return float(sum(q.points for q in self.questions))


# ---------------------------------------------------------------------------- reading a submission


def _read(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"cannot read the file ({exc.strerror or exc})"
    if not data.strip():
        return None, "the file is empty"
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a notebook"
        kind = type(exc).__name__
        return None, f"not a Jupyter notebook ({kind}); submit the .ipynb file"
    if not isinstance(nb.get("cells"), list):
        return None, "not a Jupyter notebook (no cells); submit the .ipynb file"
    return nb, ""


def _detect_exercise(nb: nbformat.NotebookNode, path: Path) -> str | None:
    meta = nb.metadata.get("lstm_course", {}) if isinstance(nb.metadata, dict) else {}
    topic = meta.get("exercise") if isinstance(meta, dict) else None
    if topic in TOPICS:
        return topic
    found = set()
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            found.update(re.findall(r"lstm_course\.exercises\.(\w+)\s+import", str(cell.get("source", ""))))
    found &= set(TOPICS)
    if len(found) == 1:
        return found.pop()
    return path.stem if path.stem in TOPICS else None


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    cells = []
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            new = nbformat.v4.new_code_cell(str(cell.get("source", "")))
            cells.append(new)
    return cells


# ---------------------------------------------------------------------------- running it


def _client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """A NotebookClient that keeps at most CELL_OUTPUT_CAP characters of output per cell."""

        truncated: set

        def output(self, outs, msg, display_id, cell_index):  # noqa: D102
            content = msg.get("content", {})
            size = len(str(content.get("text", ""))) + sum(len(str(v)) for v in content.get("data", {}).values())
            used = self._used.get(cell_index, 0) + size
            self._used[cell_index] = used
            if used > CELL_OUTPUT_CAP or sum(self._used.values()) > TOTAL_OUTPUT_CAP:
                self.truncated.add(cell_index)
                return None
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


#: Run before the student's cells, with its own time limit: heavy imports do not eat the student's time.
WARM_UP = "import numpy, torch, lstm_course  # warm-up cell added by the grader"


def _responds(client: Any, index: int, seconds: int = 5) -> bool:
    """After a timeout and its interrupt: does the kernel run a trivial cell again?"""
    client.timeout = seconds
    started = time.monotonic()
    client.execute_cell(nbformat.v4.new_code_cell("pass"), index)
    return time.monotonic() - started < seconds


def _run(cells: list, harness: str, workdir: str, timeout: float, cell_timeout: float) -> tuple[list[str], bool]:
    """Execute a warm-up cell, the student's cells, then the harness; return notes and whether the harness finished."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    nb.cells = [nbformat.v4.new_code_cell(WARM_UP), *cells, nbformat.v4.new_code_cell(harness)]
    client = _client_class()(
        nb, kernel_name="python3", timeout=120, allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": "TimeoutError", "evalue": "the cell ran too long", "traceback": []},
        resources={"metadata": {"path": workdir}}, record_timing=False, startup_timeout=60,
        shutdown_kernel="immediate",
    )
    client._used, client.truncated = {}, set()
    notes: list[str] = []
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    with client.setup_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        client.execute_cell(nb.cells[0], 0)
        deadline = time.monotonic() + timeout
        for index in range(1, len(nb.cells) - 1):
            left = deadline - time.monotonic()
            if left <= 1:
                notes.append(f"stopped before code cell {index}: the submission used its {timeout:g} s")
                break
            client.timeout = max(1, int(min(cell_timeout, left)))
            cell = nb.cells[index]
            started = time.monotonic()
            client.execute_cell(cell, index)
            timed_out = time.monotonic() - started >= client.timeout
            if timed_out and not _responds(client, index):
                notes.append(f"code cell {index} runs an infinite loop that ignores interrupts; the kernel stopped "
                             "responding, so the rest of the notebook was not run and nothing could be graded")
                return notes, False
            for out in cell.outputs:
                if out.get("output_type") == "error":
                    what = "ran too long (timed out)" if timed_out else \
                        f"raised {out.get('ename')}: {str(out.get('evalue', ''))[:200]}"
                    notes.append(f"code cell {index} {what}")
                    break
            else:
                if timed_out:
                    notes.append(f"code cell {index} ran too long (timed out)")
        index = len(nb.cells) - 1
        client.timeout = max(5, int(cell_timeout + 5))
        client.execute_cell(nb.cells[index], index)
        errors = [o for o in nb.cells[index].outputs if o.get("output_type") == "error"]
        if errors:
            notes.append(f"grading harness stopped: {errors[0].get('ename')}: {str(errors[0].get('evalue', ''))[:200]}")
    if client.truncated:
        cut = ", ".join(str(k) for k in sorted(client.truncated) if 0 < k < len(nb.cells) - 1)
        notes.append(f"output of code cell(s) {cut} was too large and was cut")
    return notes, not errors


# ---------------------------------------------------------------------------- judging


def _judge(exercise: Exercise, plans: dict, results: dict, tree: ast.Module,
           call_timeout: float) -> list[QuestionGrade]:
    grades = []
    for q in exercise.questions:
        entry = results.get(q.name)
        verdict = _verdict(q, plans.get(q.name), entry, tree, call_timeout)
        pts = float(q.points) if verdict.passed else 0.0
        grades.append(QuestionGrade(q.name, q.title, pts, float(q.points), verdict.status, verdict.message,
                                    verdict.mistake))
    return grades


def _verdict(q: Any, calls: list | None, entry: dict | None, tree: ast.Module, call_timeout: float) -> Verdict:
    if isinstance(q, CodeQuestion):
        static = _guard.forbidden_uses(tree, q.func_name, q.forbidden)
        if static:
            return Verdict("forbidden", f"`{q.func_name}` uses `{static[0]}`, the library's own version of what this "
                           "question asks you to write, so it scores 0.", "forbidden")
    if entry is None:
        return Verdict("error", "not graded: the notebook stopped (time limit or crash) before this question.")
    if entry["status"] == "running":
        return Verdict("timeout", "not graded: the grading of this question did not finish (an infinite loop?).",
                       "timeout")
    if isinstance(q, ChoiceQuestion):
        if entry["status"] == "missing":
            return Verdict("not_attempted", f"`{q.variable}` is not defined: set it to your answer.")
        return q.judge_answer(_calls.decode(entry["value"]))
    if entry["status"] == "missing":
        if entry.get("type"):
            return Verdict("error", f"`{q.func_name}` is a {entry['type']}, not a function.", "missing function")
        return Verdict("error", f"missing function: `{q.func_name}` is not defined (did its cell fail? see the cell "
                       "errors above).", "missing function")
    outcomes = []
    for o in entry["outcomes"]:
        outcomes.append({"status": o["status"], "error": o["error"], "called": o["called"],
                         "value": _calls.decode(o["value"], {"CellWeights": CellWeights}),
                         "args_after": _calls.decode(o["args_after"], {"CellWeights": CellWeights})})
    if entry["status"] == "timeout" or len(outcomes) < len(calls or ()):
        n_cases = sum(1 for c in calls if c.probe is None)
        if len(outcomes) < n_cases:
            outcomes += [{"status": "timeout", "value": None, "error": "", "called": "", "args_after": None}]
            calls = calls[: len(outcomes)]
            return q.judge(calls, outcomes) if any(o["status"] == "forbidden" for o in outcomes) else \
                Verdict("timeout", f"`{q.func_name}` did not return within {call_timeout:g} s (an infinite loop?).",
                        "timeout")
        calls = calls[: len(outcomes)]
    return q.judge(calls, outcomes)


# ---------------------------------------------------------------------------- one submission


def grade_submission(path: str | Path, *, exercise: str | None = None, seed: int | None = None,
                     timeout: float = 120.0, cell_timeout: float = 30.0,
                     call_timeout: float = CALL_TIMEOUT) -> SubmissionGrade:
    """Grade one notebook; never raises for anything the submission does.

    ``timeout`` bounds the whole submission, ``cell_timeout`` each of its cells and
    ``call_timeout`` each call of a student function by the harness (seconds).
    """
    start = time.monotonic()
    path = Path(path)
    nb, problem = _read(path)
    topic = _detect_exercise(nb, path) if nb is not None else None
    if nb is not None and exercise is not None and topic != exercise:
        what = f"the {topic} exercise" if topic else "not one of this course's exercises"
        problem = f"this notebook is {what}, but the {exercise} exercise was expected"
        topic = exercise
    elif nb is not None and topic is None:
        problem = "cannot tell which exercise this is (no lstm_course metadata, import or file name)"
    topic = topic or exercise
    ex = get_exercise(topic) if topic else None
    result = SubmissionGrade(str(path), topic, max_points=ex.max_points if ex else 0.0)
    if ex is not None:
        result.questions = [QuestionGrade(q.name, q.title, 0.0, float(q.points), "error", problem or "not graded")
                            for q in ex.questions]
    if problem or ex is None:
        result.problem = problem
        result.seconds = time.monotonic() - start
        return result
    seed = secrets.randbits(31) if seed is None else seed
    plans = {q.name: q.plan(seed + 7919 * k) for k, q in enumerate(ex.questions) if isinstance(q, CodeQuestion)}
    spec = {"call_timeout": float(call_timeout), "questions": []}
    for q in ex.questions:
        if isinstance(q, CodeQuestion):
            spec["questions"].append({"name": q.name, "kind": "code", "func": q.func_name,
                                      "forbidden": list(q.forbidden),
                                      "calls": [_calls.encode(tuple(c.args)) for c in plans[q.name]]})
        else:
            spec["questions"].append({"name": q.name, "kind": "choice", "variable": q.variable})
    cells = _code_cells(nb)
    tree = _guard.notebook_source(c.source for c in cells)
    with tempfile.TemporaryDirectory(prefix="lstm-grade-") as work:
        in_path, out_path = os.path.join(work, "inputs.pt"), os.path.join(work, "outputs.pt")
        torch.save(spec, in_path)
        try:
            notes, _ = _run(cells, harness_source(in_path, out_path), work, timeout, cell_timeout)
        except Exception as exc:  # noqa: BLE001 - a dead kernel must not stop the batch
            notes = [f"the kernel failed: {type(exc).__name__}: {str(exc)[:200]}"]
        results: dict = {}
        if os.path.exists(out_path):
            try:
                results = torch.load(out_path, weights_only=True)
            except Exception as exc:  # noqa: BLE001
                notes.append(f"the graded outputs could not be read ({type(exc).__name__})")
    result.notes = notes
    result.questions = _judge(ex, plans, results, tree, call_timeout)
    result.seconds = time.monotonic() - start
    return result


# ---------------------------------------------------------------------------- a batch


def _feedback(g: SubmissionGrade) -> str:
    lines = [f"# Feedback: {Path(g.file).name}", "",
             f"Exercise: {g.exercise or 'unknown'}. Score: {g.score:g} / {g.max_points:g}.", ""]
    if g.problem:
        lines += [f"**Not graded:** {g.problem}.", ""]
    for q in g.questions:
        mark = "✔" if q.points == q.max_points and q.max_points > 0 else "✘"
        lines.append(f"## {mark} {q.name}: {q.title} ({q.points:g}/{q.max_points:g})")
        if q.message:
            lines += ["", q.message]
        lines.append("")
    if g.notes:
        lines += ["## Notes on running your notebook", ""] + [f"- {n}" for n in g.notes] + [""]
    return "\n".join(lines)


def _gradescope(g: SubmissionGrade) -> dict:
    tests = [{"name": f"{q.name}: {q.title}", "score": q.points, "max_score": q.max_points,
              "output": q.message} for q in g.questions]
    out = {"score": g.score, "tests": tests}
    general = ([f"Not graded: {g.problem}."] if g.problem else []) + g.notes
    if general:
        out["output"] = "\n".join(general)
    return out


def _worker(args: tuple) -> SubmissionGrade:
    path, kwargs = args
    try:
        return grade_submission(path, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the batch always finishes
        return SubmissionGrade(str(path), None, problem=f"the grader failed on this file: {type(exc).__name__}: {exc}")


def _unique_names(paths: Sequence[Path]) -> list[str]:
    names, seen = [], {}
    for p in paths:
        stem = re.sub(r"[^\w.-]", "_", p.stem) or "submission"
        seen[stem] = seen.get(stem, 0) + 1
        names.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return names


def grade(submissions: Sequence[str | Path], out: str | Path, *, jobs: int = 1, timeout: float = 120.0,
          cell_timeout: float = 30.0, call_timeout: float = CALL_TIMEOUT, exercise: str | None = None,
          seed: int | None = None, progress: bool = True) -> list[SubmissionGrade]:
    """Grade every submission and write ``out/grades.csv``, ``out/<name>/feedback.md`` and ``results.json``.

    ``jobs`` submissions run in parallel (one process and one kernel each). Returns the
    grades in the order of ``submissions``.
    """
    from tqdm.auto import tqdm

    if exercise is not None and exercise not in TOPICS:
        raise ValueError(f"`exercise` must be one of {', '.join(TOPICS)}; got {exercise!r}.")
    if jobs < 1:
        raise ValueError(f"`jobs` must be at least 1, got {jobs}.")
    paths = [Path(s) for s in submissions]
    kwargs = {"exercise": exercise, "seed": seed, "timeout": timeout, "cell_timeout": cell_timeout,
              "call_timeout": call_timeout}
    grades: list[SubmissionGrade | None] = [None] * len(paths)
    bar = tqdm(total=len(paths), desc="grading", unit="submission", disable=not progress)
    if jobs == 1:
        for k, p in enumerate(paths):
            grades[k] = _worker((p, kwargs))
            bar.update(1)
    else:
        import multiprocessing

        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_worker, (p, kwargs)): k for k, p in enumerate(paths)}
            for fut in as_completed(futures):
                grades[futures[fut]] = fut.result()
                bar.update(1)
    bar.close()
    done = [g for g in grades if g is not None]
    _write(done, Path(out), _unique_names(paths))
    return done


def _write(grades: list[SubmissionGrade], out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    columns: list[str] = []
    for g in grades:
        for q in g.questions:
            key = f"{g.exercise}:{q.name}" if len({x.exercise for x in grades}) > 1 else q.name
            if key not in columns:
                columns.append(key)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "exercise", *columns, "total", "max", "problem"])
        for g in grades:
            mixed = len({x.exercise for x in grades}) > 1
            by = {(f"{g.exercise}:{q.name}" if mixed else q.name): q.points for q in g.questions}
            w.writerow([g.file, g.exercise or "", *[f"{by[c]:g}" if c in by else "" for c in columns],
                        f"{g.score:g}", f"{g.max_points:g}", g.problem])
    for g, name in zip(grades, names, strict=True):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "feedback.md").write_text(_feedback(g), encoding="utf-8")
        (folder / "results.json").write_text(json.dumps(_gradescope(g), indent=2) + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps([asdict(g) for g in grades], indent=1, default=str) + "\n",
                                      encoding="utf-8")
