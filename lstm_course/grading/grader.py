"""The batch grader behind ``lstm-course grade``.

Each submission runs in a fresh Jupyter kernel (``python3``) with a time limit per cell
and per submission; a crashing cell does not stop the others; outputs are capped.  After
the student's cells the grader appends a harness cell (:mod:`._harness`) that calls the
student's functions on inputs the grader drew afresh and saves what came back.  The
verdict is computed here, in the grader's process, with the same ``judge`` the notebook
checker uses: nothing the student's code does to its own kernel can change the score.
Submissions are only read.

Regrades are reproducible: the hidden inputs of each question are drawn from the course
seed (:data:`COURSE_SEED`, or ``seed=`` / ``--seed``), the exercise and the question, so the
same submission graded again gets the same inputs, score and feedback.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat
import torch

from ..exercises import TOPICS, ChoiceQuestion, CodeQuestion, Exercise, Verdict, _calls, _guard, get_exercise
from ..layout import CellWeights
from ..notebook_cells import cell_questions
from ._harness import harness_source
from .records import QuestionGrade, SubmissionGrade
from .results import results_json

__all__ = ["COURSE_SEED", "QuestionGrade", "SubmissionGrade", "detect_exercise", "grade", "grade_submission",
           "gradebooks", "hidden_plans", "question_seed", "read_notebook"]

#: The default course seed of the hidden inputs. A course sets its own with ``--seed`` (and keeps it private).
COURSE_SEED = 271_828

#: Output kept per cell and per submission (characters); the rest is dropped and the cell marked.
CELL_OUTPUT_CAP = 20_000
TOTAL_OUTPUT_CAP = 200_000
#: Seconds one call of a student function may take inside the harness.
CALL_TIMEOUT = 10.0


# ---------------------------------------------------------------------------- reading a submission


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
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


def detect_exercise(nb: nbformat.NotebookNode, path: Path) -> str | None:
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


def _code_cells(nb: nbformat.NotebookNode) -> tuple[list[nbformat.NotebookNode], list[str]]:
    """The code cells to run, and for each the name a person finds it by: ``cell 15 (Question 3)``.

    Cells are counted from the top of the notebook, markdown cells included, as one scrolls in Jupyter.
    """
    cells, labels = [], []
    sections = cell_questions(nb)
    for k, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code":
            cells.append(nbformat.v4.new_code_cell(str(cell.get("source", ""))))
            q = sections[k]
            labels.append(f"cell {k + 1}" + (f" (Question {q[1:]})" if q else " (before Question 1)"))
    return cells, labels


def _definitions(cells: list, labels: list[str]) -> dict[str, str]:
    """Function name -> the label of the cell that defines it (the last definition wins, as in the kernel)."""
    out = {}
    for cell, label in zip(cells, labels, strict=True):
        for name in re.findall(r"^def\s+(\w+)\s*\(", cell.source, re.M):
            out[name] = label
    return out


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _describe_error(out: dict) -> str:
    """``raised NameError: name 'x' is not defined, at line 2: `print(x)```; never an empty message."""
    ename = str(out.get("ename") or "an error")
    evalue = " ".join(str(out.get("evalue") or "").split())
    what = f"raised {ename}: {evalue[:200]}" if evalue else f"raised {ename} (with no message)"
    text = "\n".join(_ANSI.sub("", str(t)) for t in out.get("traceback") or [])
    m = re.search(r"^-+>\s*(\d+)\s?(.*)$", text, re.M)
    if m:
        code = m.group(2).strip()
        return f"{what}, at line {m.group(1)}" + (f": `{code[:120]}`" if code else "")
    m = re.search(r"Cell In\s*\[\d*\],\s*line (\d+)", text)
    return f"{what}, at line {m.group(1)}" if m else what


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


def _run(cells: list, harness: str, workdir: str, timeout: float, cell_timeout: float,
         labels: list[str] | None = None) -> tuple[list[str], bool]:
    """Execute a warm-up cell, the student's cells, then the harness; return notes and whether the harness finished.

    ``labels[k]`` names the student's ``k``-th code cell in the notes (default ``code cell k+1``).
    """
    labels = labels or [f"code cell {k + 1}" for k in range(len(cells))]
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
                notes.append(f"stopped before {labels[index - 1]}: the submission used its {timeout:g} s")
                break
            client.timeout = max(1, int(min(cell_timeout, left)))
            cell = nb.cells[index]
            started = time.monotonic()
            client.execute_cell(cell, index)
            timed_out = time.monotonic() - started >= client.timeout
            if timed_out and not _responds(client, index):
                notes.append(f"{labels[index - 1]} runs an infinite loop that ignores interrupts; the kernel stopped "
                             "responding, so the rest of the notebook was not run and nothing could be graded")
                return notes, False
            for out in cell.outputs:
                if out.get("output_type") == "error":
                    what = "ran too long (timed out)" if timed_out else _describe_error(out)
                    notes.append(f"{labels[index - 1]} {what}")
                    break
            else:
                if timed_out:
                    notes.append(f"{labels[index - 1]} ran too long (timed out)")
        index = len(nb.cells) - 1
        client.timeout = max(5, int(cell_timeout + 5))
        client.execute_cell(nb.cells[index], index)
        errors = [o for o in nb.cells[index].outputs if o.get("output_type") == "error"]
        if errors:
            notes.append(f"the grading harness (run after your cells) stopped: it {_describe_error(errors[0])}")
    if client.truncated:
        cut = ", ".join(labels[k - 1] for k in sorted(client.truncated) if 0 < k < len(nb.cells) - 1)
        notes.append(f"the output of {cut} was too large and was cut")
    return notes, not errors


# ---------------------------------------------------------------------------- judging


def _judge(exercise: Exercise, plans: dict, results: dict, tree: ast.Module,
           call_timeout: float, defs: dict[str, str] | None = None) -> list[QuestionGrade]:
    grades = []
    for q in exercise.questions:
        entry = results.get(q.name)
        verdict = _verdict(q, plans.get(q.name), entry, tree, call_timeout, defs or {})
        pts = float(q.points) if verdict.passed else 0.0
        grades.append(QuestionGrade(q.name, q.title, pts, float(q.points), verdict.status, verdict.message,
                                    verdict.mistake))
    return grades


def _error_text(o: dict, defs: dict[str, str]) -> str:
    """The one-line error of an outcome; one with no message says where it was raised."""
    error, where = str(o.get("error") or ""), o.get("where") or {}
    if ":" in error or not where.get("line"):
        return error
    func = where.get("func", "")
    cell = defs.get(func)
    place = f"line {where['line']} of {cell}, in `{func}`," if cell else f"line {where['line']} of `{func}`"
    return f"{error or 'an exception'} (with no message) at {place}"


def _verdict(q: Any, calls: list | None, entry: dict | None, tree: ast.Module, call_timeout: float,
             defs: dict[str, str] | None = None) -> Verdict:
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
    if isinstance(q, ChoiceQuestion) or q.kind in ("design", "predict"):  # an answer variable, judged here
        if entry["status"] == "missing":
            return Verdict("not_attempted", f"`{q.variable}` is not defined: set it to your answer.")
        answer = _calls.decode(entry["value"], {"CellWeights": CellWeights})
        return q.judge_answer(answer, plan=calls) if q.kind == "design" else q.judge_answer(answer)
    if entry["status"] == "missing":
        if entry.get("type"):
            return Verdict("error", f"`{q.func_name}` is a {entry['type']}, not a function.", "missing function")
        return Verdict("error", f"missing function: `{q.func_name}` is not defined (did its cell fail? see the cell "
                       "errors above).", "missing function")
    outcomes = []
    for o in entry["outcomes"]:
        outcomes.append({"status": o["status"], "error": _error_text(o, defs or {}), "called": o["called"],
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


def question_seed(seed: int, topic: str, question: str) -> int:
    """The seed of one question's hidden inputs: a hash of the course seed, the exercise and the question."""
    digest = hashlib.sha256(f"lstm_course/{int(seed)}/{topic}/{question}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFF_FFFF


def _harness_spec(exercise: Exercise, plans: dict[str, list], call_timeout: float) -> dict[str, Any]:
    """What the harness reads (``in.pt``): each question's kind; a code question's function, forbidden names and
    encoded hidden calls (``plans``, from :func:`hidden_plans`); a choice question's variable; the call timeout."""
    questions: list[dict[str, Any]] = []
    for q in exercise.questions:
        if isinstance(q, CodeQuestion):
            questions.append({"name": q.name, "kind": "code", "func": q.func_name, "forbidden": list(q.forbidden),
                              "calls": [_calls.encode(tuple(c.args)) for c in plans[q.name]]})
        else:
            questions.append({"name": q.name, "kind": "choice", "variable": q.variable})
    return {"call_timeout": float(call_timeout), "questions": questions}


def hidden_plans(exercise: Exercise, seed: int = COURSE_SEED) -> dict[str, list]:
    """The hidden inputs of every code, debug and design question of ``exercise`` under the course ``seed``."""
    return {q.name: q.plan(question_seed(seed, exercise.topic, q.name)) for q in exercise.questions
            if hasattr(q, "plan")}


def grade_submission(path: str | Path, *, exercise: str | None = None, seed: int | None = None,
                     timeout: float = 120.0, cell_timeout: float = 30.0,
                     call_timeout: float = CALL_TIMEOUT) -> SubmissionGrade:
    """Grade one notebook; never raises for anything the submission does.

    ``seed`` is the course seed (default :data:`COURSE_SEED`): the same submission and seed give
    the same hidden inputs, score and feedback. ``timeout`` bounds the whole submission,
    ``cell_timeout`` each of its cells and ``call_timeout`` each call of a student function by
    the harness (seconds).
    """
    start = time.monotonic()
    path = Path(path)
    nb, problem = read_notebook(path)
    topic = detect_exercise(nb, path) if nb is not None else None
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
    seed = COURSE_SEED if seed is None else int(seed)
    result.seed = seed
    plans = hidden_plans(ex, seed)
    spec = _harness_spec(ex, plans, call_timeout)
    cells, labels = _code_cells(nb)
    tree = _guard.notebook_source(c.source for c in cells)
    with tempfile.TemporaryDirectory(prefix="lstm-grade-") as work:
        in_path, out_path = os.path.join(work, "inputs.pt"), os.path.join(work, "outputs.pt")
        torch.save(spec, in_path)
        try:
            notes, _ = _run(cells, harness_source(in_path, out_path), work, timeout, cell_timeout, labels)
        except Exception as exc:  # noqa: BLE001 - a dead kernel must not stop the batch
            notes = [f"the kernel failed: {type(exc).__name__}: {str(exc)[:200]}"]
        results: dict = {}
        if os.path.exists(out_path):
            try:
                results = torch.load(out_path, weights_only=True)
            except Exception as exc:  # noqa: BLE001
                notes.append(f"the graded outputs could not be read ({type(exc).__name__})")
    result.notes = notes
    result.questions = _judge(ex, plans, results, tree, call_timeout, _definitions(cells, labels))
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
        lines += ["## Notes on running your notebook", "",
                  "Cells are counted from the top of the notebook, markdown cells included.", ""]
        lines += [f"- {n}" for n in g.notes] + [""]
    return "\n".join(lines)


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
    grades in the order of ``submissions``. A batch of several exercises gets one
    ``grades-<exercise>.csv`` per exercise instead of ``grades.csv`` (see :func:`gradebooks`).
    ``seed`` is the course seed (default :data:`COURSE_SEED`): a regrade gives the same result.
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
    _fill_unknown(done, exercise)
    _write(done, Path(out), _unique_names(paths))
    return done


def _fill_unknown(grades: list[SubmissionGrade], exercise: str | None) -> None:
    """Give a file whose exercise is unknown (unreadable, garbage) the batch's exercise when all others agree."""
    known = {g.exercise for g in grades if g.exercise}
    topic = exercise or (next(iter(known)) if len(known) == 1 else None)
    if topic is None:
        return
    ex = get_exercise(topic)
    for g in grades:
        if g.exercise is None:
            g.exercise, g.max_points = topic, ex.max_points
            g.questions = [QuestionGrade(q.name, q.title, 0.0, float(q.points), "error",
                                         f"not graded: {g.problem or 'the file could not be graded'}.")
                           for q in ex.questions]


def gradebooks(grades: Sequence[SubmissionGrade]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The CSV files of a batch: name -> (header, rows).

    One exercise in the batch: ``grades.csv``. Several: one ``grades-<exercise>.csv`` each (and
    ``grades-unknown.csv`` for files whose exercise could not be told). Columns are fixed per
    exercise: ``file, exercise, q1..qn, total, max, problem``.
    """
    groups: dict[str | None, list[SubmissionGrade]] = {}
    for g in grades:
        groups.setdefault(g.exercise, []).append(g)
    books = {}
    for topic, rows in groups.items():
        names = [q.name for q in get_exercise(topic).questions] if topic else []
        header = ["file", "exercise", *names, "total", "max", "problem"]
        table = []
        for g in rows:
            by = {q.name: q.points for q in g.questions}
            table.append([g.file, g.exercise or "", *[f"{by[n]:g}" if n in by else "0" for n in names],
                          f"{g.score:g}", f"{g.max_points:g}" if topic else "", g.problem])
        books["grades.csv" if len(groups) == 1 else f"grades-{topic or 'unknown'}.csv"] = (header, table)
    return books


def _write(grades: list[SubmissionGrade], out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("grades.csv"), *out.glob("grades-*.csv")]:
        old.unlink()  # a regrade leaves no gradebook of an earlier run behind
    for file_name, (header, rows) in gradebooks(grades).items():
        with open(out / file_name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
    for g, name in zip(grades, names, strict=True):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "feedback.md").write_text(_feedback(g), encoding="utf-8")
        results = results_json([g], execution_time=g.seconds)
        (folder / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps([asdict(g) for g in grades], indent=1, default=str) + "\n",
                                      encoding="utf-8")
