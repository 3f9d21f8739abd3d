"""The batch grader: full marks for solutions, 0 for untouched exercises, the right partial score and
diagnosis for buggy submissions, and nothing a submission does breaks or fools it.

Every submission below is graded once, in one module-scoped batch run through the CLI with ``-j 2``
(each in a fresh kernel); the tests read that batch's outputs.
"""

from __future__ import annotations

import ast
import copy
import csv
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
import torch
from instructors import run_recipe, validate_results
from submissions.mutations import MUTATIONS, apply, find_cell, tampered_exercise, without_hidden_tests
from submissions.mutations import solution_notebook as _solution_notebook

from lstm_course.assign import render_exercise
from lstm_course.cli import main
from lstm_course.exercises import TOPICS, get_exercise
from lstm_course.grading import COURSE_SEED, grade, grade_submission, hidden_plans

pytestmark = pytest.mark.slow

#: One grader-run mutation per mistake named in the issue (the checker tests cover all of them).
GRADED_MUTATIONS = ("fg-tanh", "ig-cand-sigmoid", "fg-nobias", "fg-xh", "fg-transposed", "fg-shape", "fg-numpy",
                    "fg-inplace", "wc-order-swap", "tr-order")
#: Untouched exercise notebooks graded by the grader (the checker tests cover every topic).
UNTOUCHED = ("forget_gate", "whole_cell", "backward")
CELL_TIMEOUT, CALL_TIMEOUT = 6, 3


def _edit(topic: str, func: str, new_source: str) -> nbformat.NotebookNode:
    nb = solution_notebook(topic)
    nb.cells[find_cell(nb, func)].source = new_source
    return nb


def _append(nb: nbformat.NotebookNode, *sources: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def solution_notebook(topic: str) -> nbformat.NotebookNode:
    """The instructor's notebook as a student would submit it (answers, no hidden tests)."""
    return without_hidden_tests(_solution_notebook(topic))


WRONG_FG = "def forget_gate(h_prev, x_t, W_f, b_f):\n    return torch.tanh(torch.cat([h_prev, x_t], -1) @ W_f.T + b_f)"


def _adversarial() -> dict[str, nbformat.NotebookNode | bytes]:
    fg = solution_notebook("forget_gate")
    return {
        "fake-allclose": _append(_edit("forget_gate", "forget_gate", WRONG_FG),
                                 "import numpy as np\ntorch.allclose = lambda *a, **k: True\n"
                                 "torch.equal = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True"),
        "patch-checker": _append(_edit("forget_gate", "forget_gate", WRONG_FG),
                                 "import lstm_course.exercises._core as core\n"
                                 "import lstm_course.exercises._calls as calls\n"
                                 "core.CodeQuestion.judge = lambda self, *a, **k: core.Verdict('correct', '')\n"
                                 "calls.compare = lambda *a, **k: None\n"
                                 "q1.check = lambda *a, **k: True"),
        "fake-print": _append(_edit("forget_gate", "forget_gate", WRONG_FG),
                              "print('✔ Correct — q1, 4/4 points. Score: 7 / 7')\n"
                              "open('results.json', 'w').write('{\"score\": 7}')"),
        "library-call": _append(
            _edit("forget_gate", "forget_gate", "import lstm_course\n\ndef forget_gate(h_prev, x_t, W_f, b_f):\n"
                  "    return lstm_course.forget_gate(h_prev, x_t, W_f, b_f)"),
            "import lstm_course.cell\n_hidden = getattr(lstm_course.cell, 'cell_' + 'update')\n\n"
            "def kept_memory(f_t, c_prev):\n    return _hidden(f_t, c_prev, 0 * f_t, 0 * c_prev)"),
        "nn-lstm": _edit("whole_cell", "lstm_sequence",
                         "def lstm_sequence(x, h0, c0, weights):\n"
                         "    lstm = nn.LSTM(x.shape[-1], h0.shape[-1]).double()\n"
                         "    return lstm(x, (h0[None], c0[None]))"),
        "loop-in-cell": _append(fg, "while True:\n    pass"),
        "loop-in-function": _edit("forget_gate", "forget_gate",
                                  "def forget_gate(h_prev, x_t, W_f, b_f):\n    while True:\n        pass"),
        "loop-swallowing-interrupts": _edit(
            "forget_gate", "forget_gate",
            "def forget_gate(h_prev, x_t, W_f, b_f):\n    while True:\n        try:\n            while True:\n"
            "                pass\n        except BaseException:\n            pass"),
        "exception-in-cell": _append(fg, "1 / 0"),
        "syntax-error": _edit("forget_gate", "kept_memory", "def kept_memory(f_t, c_prev)\n    return f_t * c_prev"),
        "missing-function": _edit("forget_gate", "forget_gate", "# I did not do this one"),
        "huge-output": _append(fg, "print('x' * 30_000_000)", "for _ in range(20_000):\n    print('y' * 100)"),
        "kernel-dies": _append(fg, "import os\nos._exit(1)"),
        "tamper-untouched": tampered_exercise("forget_gate"),  # full marks under nbgrader (test_nbgrader)
        "empty": b"",
        "not-a-notebook": b"this is my homework, see attached\n",
        "json-not-a-notebook": b'{"answer": 42}',
    }


#: The design, find-the-bug and predict questions of whole_cell, each with one named mistake, in one notebook.
NEW_KIND_MUTATIONS = ("wc-sign-bias", "wc-torch-partial", "wc-shape")
#: In the student's kernel: every new checker passes and the library cell the design checker runs returns zeros.
TAMPER_NEW_KINDS = (
    "import lstm_course.cell as cell\n"
    "import lstm_course.exercises._core as core\n"
    "import lstm_course.exercises._debug as debug\n"
    "import lstm_course.exercises._design as design\n"
    "import lstm_course.exercises._predict as predict\n"
    "design.DesignQuestion.judge_answer = lambda self, *a, **k: core.Verdict('correct', '')\n"
    "predict.PredictQuestion.judge_answer = lambda self, *a, **k: core.Verdict('correct', '')\n"
    "debug.DebugQuestion.judge = lambda self, *a, **k: core.Verdict('correct', '')\n"
    "cell.lstm_step = lambda x, h, c, w, **k: (0 * h, 0 * c)\n"
    "sign_cell = {k: [(0.0, 0.0, 0.0, 0.0)] * 2 for k in 'fico'}\n"
    "step_from_torch = step_from_torch_buggy\n"
    "q7_answer, q8_answer = 1, (1, 2)\n"
    "assert q5.check(sign_cell) and q6.check(step_from_torch) and q7.check(q7_answer)")


def _new_kinds() -> dict[str, nbformat.NotebookNode]:
    by_id = {m.id: m for m in MUTATIONS}
    several = solution_notebook("whole_cell")
    for mid in NEW_KIND_MUTATIONS:
        several = apply(by_id[mid], several)
    return {"mutation-new-kinds": several, "tamper-new-kinds": _append(solution_notebook("whole_cell"),
                                                                        TAMPER_NEW_KINDS)}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Write every submission, grade them all in one CLI run, return (files, grades by name, out dir)."""
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("graded")
    files: dict[str, Path] = {}

    def put(name: str, content) -> None:
        path = folder / f"{name}.ipynb"
        path.write_bytes(content if isinstance(content, bytes) else nbformat.writes(content).encode())
        files[name] = path

    for topic in TOPICS:
        put(f"solution-{topic}", solution_notebook(topic))
        if topic in UNTOUCHED:
            put(f"untouched-{topic}", nbformat.reads(render_exercise(_solution_notebook(topic)), as_version=4))
    by_id = {m.id: m for m in MUTATIONS}
    for mid in GRADED_MUTATIONS:
        put(f"mutation-{mid}", apply(by_id[mid], solution_notebook(by_id[mid].topic)))
    for name, content in _adversarial().items():
        put(name, content)
    for name, content in _new_kinds().items():
        put(name, content)
    for path in files.values():
        os.utime(path, (1_000_000_000, 1_000_000_000))
    before = {name: (p.read_bytes(), p.stat().st_mtime_ns) for name, p in files.items()}
    rc = main(["grade", *map(str, files.values()), "--out", str(out), "-j", "2", "--seed", "12345",
               "--cell-timeout", str(CELL_TIMEOUT), "--call-timeout", str(CALL_TIMEOUT), "--timeout", "60",
               "--no-progress"])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    grades = {Path(g["file"]).stem: g for g in summary}
    return files, grades, out, before


def _points(g: dict) -> dict[str, float]:
    return {q["name"]: q["points"] for q in g["questions"]}


def _question(g: dict, name: str) -> dict:
    return next(q for q in g["questions"] if q["name"] == name)


def _full(topic: str) -> dict[str, float]:
    return {q.name: float(q.points) for q in get_exercise(topic).questions}


# ------------------------------------------------------------------ scores


@pytest.mark.parametrize("topic", TOPICS)
def test_solutions_score_full_marks(batch, topic):
    g = batch[1][f"solution-{topic}"]
    assert _points(g) == _full(topic), [q["message"] for q in g["questions"]]
    assert g["problem"] == "" and g["exercise"] == topic


@pytest.mark.parametrize("topic", UNTOUCHED)
def test_untouched_exercises_score_zero(batch, topic):
    g = batch[1][f"untouched-{topic}"]
    assert set(_points(g).values()) == {0.0}
    assert all(q["status"] == "not_attempted" for q in g["questions"]), [q["message"] for q in g["questions"]]


@pytest.mark.parametrize("mid", GRADED_MUTATIONS)
def test_buggy_submission_gets_partial_score_and_diagnosis(batch, mid):
    m = next(m for m in MUTATIONS if m.id == mid)
    g = batch[1][f"mutation-{mid}"]
    expected = _full(m.topic)
    for name in (m.question, *m.also):
        expected[name] = 0.0
    assert _points(g) == expected
    assert _question(g, m.question)["mistake"] == m.mistake
    feedback = (batch[2] / f"mutation-{mid}" / "feedback.md").read_text()
    assert m.mistake.lower() in feedback.lower()


def test_design_debug_and_predict_mistakes_are_named_by_the_grader(batch):
    g = batch[1]["mutation-new-kinds"]
    wrong = {m.question: m for m in MUTATIONS if m.id in NEW_KIND_MUTATIONS}
    assert _points(g) == {**_full("whole_cell"), **{name: 0.0 for name in wrong}}
    for name, m in wrong.items():
        assert _question(g, name)["mistake"] == m.mistake, _question(g, name)["message"]
    design = _question(g, "q5")["message"]
    assert re.search(r"On hidden sequence \d+ of \d+ \(.*\), at step \d+: .*\nAt step \d+ the input gate \(unit 1\) "
                     r"was ", design), design
    assert "Still differs: h_t, c_t." in _question(g, "q6")["message"]
    assert "How it is computed:" in _question(g, "q8")["message"]


# ------------------------------------------------------------------ nothing fools it


@pytest.mark.parametrize("name", ["fake-allclose", "patch-checker", "fake-print"])
def test_tampering_in_the_kernel_does_not_change_the_score(batch, name):
    g = batch[1][name]
    assert _points(g) == {**_full("forget_gate"), "q1": 0.0}
    assert _question(g, "q1")["mistake"] == "tanh where sigmoid belongs"


def test_the_tamper_that_fools_nbgrader_scores_zero(batch):
    """The untouched exercise with every check patched to pass: 7/7 under nbgrader, 0 here (README's claim)."""
    g = batch[1]["tamper-untouched"]
    assert set(_points(g).values()) == {0.0} and g["max_points"] == get_exercise("forget_gate").max_points
    assert all(q["status"] == "not_attempted" for q in g["questions"])


def test_tampering_with_the_new_checkers_in_the_kernel_scores_zero(batch):
    """The design, debug and predict answers are judged here, with the grader's own lstm_course."""
    g = batch[1]["tamper-new-kinds"]
    assert _points(g) == {**_full("whole_cell"), "q5": 0.0, "q6": 0.0, "q7": 0.0, "q8": 0.0}
    assert _question(g, "q6")["mistake"] == "gates in the wrong order (f, i, g, o instead of i, f, g, o)"
    assert "On hidden sequence 1 of" in _question(g, "q5")["message"]


def test_calling_the_library_scores_zero_with_a_reason(batch):
    g = batch[1]["library-call"]
    assert _points(g) == {**_full("forget_gate"), "q1": 0.0, "q2": 0.0}
    q1, q2 = _question(g, "q1"), _question(g, "q2")
    assert q1["status"] == q2["status"] == "forbidden"
    assert "lstm_course.cell.forget_gate" in q1["message"] and "library's own" in q1["message"]
    assert "lstm_course.cell.cell_update" in q2["message"]  # reached through getattr: the runtime tripwire


def test_nn_lstm_in_the_sequence_loop_scores_zero(batch):
    g = batch[1]["nn-lstm"]
    assert _points(g) == {**_full("whole_cell"), "q3": 0.0}
    assert "torch.nn.LSTM" in _question(g, "q3")["message"]


# ------------------------------------------------------------------ nothing breaks it


def test_infinite_loop_in_a_cell_times_out_and_the_rest_is_graded(batch):
    g = batch[1]["loop-in-cell"]
    assert _points(g) == _full("forget_gate")
    assert any("timed out" in n for n in g["notes"])


def test_infinite_loop_in_a_function_scores_zero_and_the_rest_is_graded(batch):
    g = batch[1]["loop-in-function"]
    assert _points(g) == {**_full("forget_gate"), "q1": 0.0}
    assert _question(g, "q1")["status"] == "timeout"
    assert "infinite loop" in _question(g, "q1")["message"]


def test_loop_that_ignores_interrupts_scores_zero_with_a_reason_and_the_run_finishes(batch):
    g = batch[1]["loop-swallowing-interrupts"]
    assert sum(q["points"] for q in g["questions"]) == 0
    assert any("ignores interrupts" in n for n in g["notes"])
    assert g["seconds"] < 60  # stopped early, not after every cell's time limit


def test_exception_in_a_cell_is_reported_and_the_rest_is_graded(batch):
    g = batch[1]["exception-in-cell"]
    assert _points(g) == _full("forget_gate")
    assert any("ZeroDivisionError" in n for n in g["notes"])


def test_syntax_error_loses_that_question_only(batch):
    g = batch[1]["syntax-error"]
    assert _points(g) == {**_full("forget_gate"), "q2": 0.0}
    assert any("SyntaxError" in n for n in g["notes"])
    assert _question(g, "q2")["mistake"] == "missing function"


def test_missing_function_scores_zero_with_a_reason(batch):
    g = batch[1]["missing-function"]
    assert _points(g) == {**_full("forget_gate"), "q1": 0.0}
    assert "forget_gate` is not defined" in _question(g, "q1")["message"]


@pytest.mark.parametrize("name, reason", [("empty", "empty"), ("not-a-notebook", "not a Jupyter notebook"),
                                          ("json-not-a-notebook", "not a Jupyter notebook")])
def test_unreadable_submission_scores_zero_with_a_reason(batch, name, reason):
    g = batch[1][name]
    assert reason in g["problem"]
    assert sum(q["points"] for q in g["questions"]) == 0
    assert reason in (batch[2] / name / "feedback.md").read_text()


def test_huge_output_is_capped_and_the_rest_is_graded(batch):
    g = batch[1]["huge-output"]
    assert _points(g) == _full("forget_gate")
    assert any("too large" in n for n in g["notes"])
    assert (batch[2] / "huge-output" / "feedback.md").stat().st_size < 20_000


def test_a_dying_kernel_scores_zero_and_the_run_finishes(batch):
    g = batch[1]["kernel-dies"]
    assert sum(q["points"] for q in g["questions"]) == 0
    assert all("not graded" in q["message"] for q in g["questions"])
    assert len(batch[1]) == len(batch[0])  # every submission has a grade


def test_submissions_are_read_never_written(batch):
    files, _, _, before = batch
    for name, path in files.items():
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before[name], name
    assert not (next(iter(files.values())).parent / "results.json").exists()  # fake-print wrote elsewhere


def test_notebook_from_another_exercise_scores_zero(tmp_path):
    path = tmp_path / "forget_gate.ipynb"  # the name says forget_gate, the notebook is input_gate
    nbformat.write(_solution_notebook("input_gate"), path)
    g = grade_submission(path, exercise="forget_gate")  # refused before any kernel starts
    assert g.score == 0 and g.exercise == "forget_gate"
    assert "input_gate exercise" in g.problem and "forget_gate exercise was expected" in g.problem


# ------------------------------------------------------------------ outputs


def _read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_a_mixed_batch_writes_one_gradebook_per_exercise_with_fixed_columns(batch):
    files, grades, out, _ = batch
    assert not (out / "grades.csv").exists()
    books = {p.name: _read_csv(p) for p in out.glob("grades-*.csv")}
    assert set(books) == {f"grades-{t}.csv" for t in TOPICS} | {"grades-unknown.csv"}
    assert sum(len(rows) for _, rows in books.values()) == len(files)  # every file has its row
    for topic in TOPICS:
        header, rows = books[f"grades-{topic}.csv"]
        names = [q.name for q in get_exercise(topic).questions]
        assert header == ["file", "exercise", *names, "total", "max", "problem"]
        for row in rows:
            assert row["exercise"] == topic and float(row["max"]) == get_exercise(topic).max_points
            assert float(row["total"]) == sum(float(row[n]) for n in names)
    header, rows = books["grades-unknown.csv"]
    assert header == ["file", "exercise", "total", "max", "problem"]
    assert {Path(r["file"]).stem for r in rows} == {"empty", "not-a-notebook", "json-not-a-notebook"}
    assert all(r["total"] == "0" and r["problem"] for r in rows)
    _, rows = books["grades-forget_gate.csv"]
    row = next(r for r in rows if r["file"].endswith("mutation-fg-tanh.ipynb"))
    full = get_exercise("forget_gate").max_points
    assert (row["q1"], row["q2"], row["q3"], row["total"], row["max"]) == ("0", "2", "1", f"{full - 4:g}", f"{full:g}")


def test_every_results_json_follows_gradescopes_specification(batch):
    files, _, out, _ = batch
    found = sorted(out.glob("*/results.json"))
    assert len(found) == len(files)
    for path in found:
        validate_results(json.loads(path.read_text()))
    data = json.loads((out / "mutation-fg-xh" / "results.json").read_text())
    assert data["score"] == get_exercise("forget_gate").max_points - 4 and data["output_format"] == "md"
    scored = [t for t in data["tests"] if "score" in t]
    assert [t["max_score"] for t in scored] == [float(q.points) for q in get_exercise("forget_gate").questions]
    assert scored[0]["score"] == 0.0 and "[x, h]" in scored[0]["output"] and scored[0]["visibility"] == "visible"
    assert "expected tensor" not in scored[0]["output"]
    details = next(t for t in data["tests"] if t["number"] == "1.1")
    assert details["visibility"] == "after_published" and "expected tensor" in details["output"]


def test_points_agree_across_module_gradebook_and_gradescope(batch):
    """Each exercise's points: the module, the gradebook's max, and Gradescope's max_score per question."""
    out = batch[2]
    for topic in TOPICS:
        expected = {q.name: float(q.points) for q in get_exercise(topic).questions}
        _, rows = _read_csv(out / f"grades-{topic}.csv")
        solution = next(r for r in rows if Path(r["file"]).stem == f"solution-{topic}")
        assert {n: float(solution[n]) for n in expected} == expected
        assert float(solution["max"]) == sum(expected.values())
        data = json.loads((out / f"solution-{topic}" / "results.json").read_text())
        assert {f"q{t['number']}": t["max_score"] for t in data["tests"]} == expected


def test_hidden_inputs_come_from_the_course_seed():
    exercise = get_exercise("forget_gate")
    first, again, other = hidden_plans(exercise), hidden_plans(exercise, COURSE_SEED), hidden_plans(exercise, 7)
    notebook = exercise.questions[0].plan(exercise.questions[0].check_seed)
    for a, b in zip(first["q1"], again["q1"], strict=True):
        assert all(torch.equal(x, y) for x, y in zip(a.args, b.args, strict=True))
    assert not torch.equal(first["q1"][0].args[0], other["q1"][0].args[0])
    assert not torch.equal(first["q1"][0].args[0], notebook[0].args[0])  # not the notebook's own cases


def test_readme_grade_recipe_regrades_reproducibly_and_rows_every_file(batch, tmp_path):
    """The README's `lstm-course grade` recipe on one exercise: the same mutant twice, an empty file and
    garbage. Same seed: identical inputs, score and feedback; another seed (the batch's): other inputs."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    tanh = _append(apply(next(m for m in MUTATIONS if m.id == "fg-tanh"), solution_notebook("forget_gate")),
                   "x = 1\nassert x == 2")
    for name in ("alice", "bob"):
        nbformat.write(tanh, folder / f"{name}.ipynb")
    (folder / "carol.ipynb").write_bytes(b"")
    (folder / "dave.ipynb").write_bytes(b"my homework is attached")
    run_recipe("grade", tmp_path)
    out = tmp_path / "grades"
    header, rows = _read_csv(out / "grades.csv")
    exercise = get_exercise("forget_gate")
    assert header == ["file", "exercise", *[q.name for q in exercise.questions], "total", "max", "problem"]
    by = {Path(r["file"]).stem: r for r in rows}
    assert set(by) == {"alice", "bob", "carol", "dave"}
    assert by["alice"]["total"] == by["bob"]["total"] == f"{exercise.max_points - exercise.questions[0].points:g}"
    for name, why in (("carol", "the file is empty"), ("dave", "not a Jupyter notebook")):
        row = by[name]
        assert (row["exercise"], row["q1"], row["total"], row["max"]) == \
            ("forget_gate", "0", "0", f"{exercise.max_points:g}"), row
        assert why in row["problem"]
    alice = (out / "alice" / "feedback.md").read_text()
    assert alice.replace("alice", "bob") == (out / "bob" / "feedback.md").read_text()
    assert "expected tensor of shape" in alice
    last = f"cell {len(tanh.cells)} (Question {len(exercise.questions)})"  # the appended cell, as Jupyter counts
    assert f"{last} raised AssertionError (with no message), at line 2: `assert x == 2`" in alice
    other_seed = (batch[2] / "mutation-fg-tanh" / "feedback.md").read_text()
    assert other_seed.split("## ✔ q2")[0].replace("mutation-fg-tanh", "alice") != alice.split("## ✔ q2")[0]


def test_progress_bar_counts_submissions(tmp_path, capsys):
    a, b = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    a.write_bytes(b"")
    b.write_bytes(b"not json")
    grades = grade([a, b], tmp_path / "out", progress=True)
    assert [g.problem != "" for g in grades] == [True, True]
    assert "2/2" in capsys.readouterr().err
    assert (tmp_path / "out" / "grades.csv").exists()


def test_grade_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="exercise"):
        grade([], tmp_path, exercise="nope")
    with pytest.raises(ValueError, match="jobs"):
        grade([], tmp_path, jobs=0)


def test_harness_runs_in_its_own_namespace_and_is_judged_outside(tmp_path):
    """Without a kernel: the harness source, exec'd next to a student namespace, neither reads nor
    overwrites the student's names, and the grader judges what it saved."""
    import torch

    from lstm_course.exercises import _calls
    from lstm_course.grading._harness import harness_source
    from lstm_course.grading.grader import _judge

    exercise = get_exercise("forget_gate")
    user_ns: dict = {}
    exec("import torch\n"
         "def encode(v):\n    return v  # a student helper that shares a name with the harness\n"
         "def forget_gate(h_prev, x_t, W_f, b_f):\n"
         "    return encode(torch.sigmoid(torch.cat([h_prev, x_t], -1) @ W_f.T + b_f))\n"
         "def kept_memory(f_t, c_prev):\n    return f_t + c_prev\n"
         "q3_answer = 'b'\n", user_ns)
    plans = {q.name: q.plan(5) for q in exercise.questions if hasattr(q, "plan")}
    spec = {"call_timeout": 5.0, "questions": [
        {"name": "q1", "kind": "code", "func": "forget_gate", "forbidden": [],
         "calls": [_calls.encode(tuple(c.args)) for c in plans["q1"]]},
        {"name": "q2", "kind": "code", "func": "kept_memory", "forbidden": [],
         "calls": [_calls.encode(tuple(c.args)) for c in plans["q2"]]},
        {"name": "q3", "kind": "choice", "variable": "q3_answer"}]}
    torch.save(spec, tmp_path / "in.pt")

    class FakeShell:
        pass

    shell = FakeShell()
    shell.user_ns = user_ns
    exec(harness_source(str(tmp_path / "in.pt"), str(tmp_path / "out.pt")), {"get_ipython": lambda: shell})
    assert user_ns["encode"](3) == 3  # the student's helper survived
    results = torch.load(tmp_path / "out.pt", weights_only=True)
    no_source = ast.parse("")  # the static check is tested elsewhere
    grades = {g.name: g for g in _judge(exercise, plans, results, no_source, 5.0)}
    assert grades["q1"].points == 4 and grades["q3"].points == 1
    assert grades["q2"].points == 0 and "wrong values" in grades["q2"].message
