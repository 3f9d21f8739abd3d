"""`lstm-course assign`: exercises/ is generated from solutions/ and kept in sync."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lstm_course.assign import assign, exercise_of, render_exercise, stub_source
from lstm_course.cli import main
from lstm_course.exercises import get_exercise
from lstm_course.notebook_cells import annotate, cell_questions, heading_points, nbgrader_points, question_heading

ROOT = Path(__file__).resolve().parents[1]


def test_exercises_are_in_sync_with_solutions():
    stale = assign(ROOT / "solutions", ROOT / "exercises", check=True)
    assert stale == [], f"run `lstm-course assign`: out of sync {stale}"


def test_every_solution_has_an_exercise_and_back():
    sol = {p.name for p in (ROOT / "solutions").glob("*.ipynb")}
    ex = {p.name for p in (ROOT / "exercises").glob("*.ipynb")}
    assert sol and sol == ex


def test_check_detects_a_stale_exercise(tmp_path):
    src = tmp_path / "solutions"
    src.mkdir()
    (src / "forget_gate.ipynb").write_bytes((ROOT / "solutions" / "forget_gate.ipynb").read_bytes())
    dest = tmp_path / "exercises"
    assert assign(src, dest) == [dest / "forget_gate.ipynb"]
    assert assign(src, dest, check=True) == []
    nb = nbformat.read(dest / "forget_gate.ipynb", as_version=4)
    nb.cells[4].source += "\n# edited by hand"
    nbformat.write(nb, dest / "forget_gate.ipynb")
    assert assign(src, dest, check=True) == [dest / "forget_gate.ipynb"]
    assert main(["assign", "--source", str(src), "--dest", str(dest), "--check"]) == 1
    assert main(["assign", "--source", str(src), "--dest", str(dest)]) == 0
    assert main(["assign", "--source", str(src), "--dest", str(dest), "--check"]) == 0


def test_solution_in_a_function_becomes_an_indented_stub():
    src = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    out = stub_source(src)
    assert "return x + y" not in out and "BEGIN SOLUTION" not in out
    assert "    raise NotImplementedError(" in out and "    y = 1" in out
    namespace: dict = {}
    exec(compile(out, "<stub>", "exec"), namespace)  # the stub is valid Python
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def test_top_level_answer_becomes_an_ellipsis_so_the_notebook_still_runs():
    out = stub_source('### BEGIN SOLUTION\nq3_answer = "b"\n### END SOLUTION')
    namespace: dict = {}
    exec(out, namespace)
    assert namespace["q3_answer"] is Ellipsis and '"b"' not in out


def test_hidden_tests_are_removed_and_an_emptied_cell_dropped():
    assert stub_source("### BEGIN HIDDEN TESTS\nassert secret()\n### END HIDDEN TESTS") is None
    out = stub_source("x = 1\n### BEGIN HIDDEN TESTS\nassert x == 1\n### END HIDDEN TESTS\nprint(x)")
    assert out == "x = 1\nprint(x)"


def test_a_graded_cell_stays_empty_and_locked_as_nbgrader_leaves_it():
    solution = nbformat.read(ROOT / "solutions" / "forget_gate.ipynb", as_version=4)
    exercise = nbformat.reads(render_exercise(solution), as_version=4)
    assert [c.id for c in exercise.cells] == [c.id for c in solution.cells]  # no cell dropped
    graded = [c for c in exercise.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.metadata.nbgrader.grade_id for c in graded] == [f"{q.name}_tests" for q in
                                                              get_exercise("forget_gate").questions]
    for cell in graded:
        assert cell.source == "" and cell.metadata.editable is False and cell.metadata.deletable is False
    answers = [c for c in exercise.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and all(c.metadata.deletable is False and "editable" not in c.metadata for c in answers)


def test_markdown_solution_and_unbalanced_markers():
    assert stub_source("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "markdown") == "Why?\nYOUR ANSWER HERE"
    with pytest.raises(ValueError, match="never closed"):
        stub_source("### BEGIN SOLUTION\nx = 1")
    with pytest.raises(ValueError, match="no matching"):
        stub_source("x = 1\n### END SOLUTION")


def test_exercise_notebooks_hold_no_solution_no_hidden_test_no_output():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        solution = nbformat.read(path, as_version=4)
        exercise = nbformat.reads(render_exercise(solution), as_version=4)
        text = "\n".join(c.source for c in exercise.cells)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, path.name
        for cell in exercise.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
        assert exercise.metadata["lstm_course"]["exercise"] == path.stem
        assert exercise.metadata["kernelspec"]["name"] == "python3"
        # every solution region was replaced by a stub
        n_solutions = sum(c.source.count("### BEGIN SOLUTION") for c in solution.cells)
        n_stubs = text.count("raise NotImplementedError(") + text.count("= ...  # YOUR ANSWER HERE")
        assert n_stubs == n_solutions, path.name


def test_committed_notebooks_are_stripped():
    for folder in ("solutions", "exercises"):
        for path in (ROOT / folder).glob("*.ipynb"):
            nb = nbformat.read(path, as_version=4)
            assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
            for cell in nb.cells:
                assert "id" in cell
                if cell.cell_type == "code":
                    assert cell.outputs == [] and cell.execution_count is None, path


# ------------------------------------------------------------------ points and nbgrader metadata, from one place


def test_points_live_in_the_exercise_module_only():
    """Every heading's "(N points)" and nbgrader's points equal ``q.points``, for every kind of question."""
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for nb in (nbformat.read(path, as_version=4), nbformat.read(ROOT / "exercises" / path.name, as_version=4)):
            exercise = get_exercise(exercise_of(nb, path))
            expected = {q.name: float(q.points) for q in exercise.questions}
            headings = {f"q{question_heading(c)}": heading_points(c) for c in nb.cells
                        if question_heading(c) is not None}
            assert headings == expected, path.name
            assert nbgrader_points(nb) == expected, path.name


def test_every_marked_cell_carries_nbgrader_schema_3_metadata():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        sections = cell_questions(nb)
        ids = []
        for cell, q in zip(nb.cells, sections, strict=True):
            marked = "### BEGIN SOLUTION" in cell.source or "### BEGIN HIDDEN TESTS" in cell.source
            meta = cell.metadata.get("nbgrader")
            assert (meta is not None) == marked, (path.name, cell.id)
            if meta is None:
                continue
            assert meta["schema_version"] == 3
            assert {"solution", "grade", "locked", "grade_id"} <= set(meta)
            assert meta["grade_id"].startswith(f"{q}_")
            if "### BEGIN HIDDEN TESTS" in cell.source:
                assert meta["grade"] and meta["locked"] and not meta["solution"] and "points" in meta
            else:
                assert meta["solution"] and not meta["locked"]
            ids.append(meta["grade_id"])
        assert len(ids) == len(set(ids)), path.name


def _copy_solution(tmp_path, topic="forget_gate"):
    src = tmp_path / "solutions"
    src.mkdir(exist_ok=True)
    (src / f"{topic}.ipynb").write_bytes((ROOT / "solutions" / f"{topic}.ipynb").read_bytes())
    dest = tmp_path / "exercises"
    assign(src, dest)
    return src, dest


def test_changing_points_in_the_module_is_drift_that_assign_repairs(tmp_path, monkeypatch):
    src, dest = _copy_solution(tmp_path)
    q1 = get_exercise("forget_gate").questions[0]
    monkeypatch.setattr(q1, "points", 5)
    assert assign(src, dest, check=True) == [src / "forget_gate.ipynb", dest / "forget_gate.ipynb"]
    assign(src, dest)
    for path in (src / "forget_gate.ipynb", dest / "forget_gate.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert "## Question 1 (5 points): the forget gate" in nb.cells[3].source
        assert nbgrader_points(nb)["q1"] == 5.0
    assert assign(src, dest, check=True) == []


def test_points_edited_by_hand_in_a_notebook_are_drift(tmp_path):
    src, dest = _copy_solution(tmp_path)
    nb = nbformat.read(src / "forget_gate.ipynb", as_version=4)
    nb.cells[3].source = nb.cells[3].source.replace("(4 points)", "(10 points)")
    q2_tests = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q2_tests")
    q2_tests.metadata.nbgrader.points = 9
    nbformat.write(nb, src / "forget_gate.ipynb")
    assert assign(src, dest, check=True) == [src / "forget_gate.ipynb"]
    assert main(["assign", "--source", str(src), "--dest", str(dest), "--check"]) == 1
    assign(src, dest)
    assert nbgrader_points(nbformat.read(src / "forget_gate.ipynb", as_version=4)) == \
        {q.name: float(q.points) for q in get_exercise("forget_gate").questions}


def test_annotate_names_the_cell_and_the_fix():
    exercise = get_exercise("forget_gate")
    nb = nbformat.read(ROOT / "solutions" / "forget_gate.ipynb", as_version=4)
    bad = nbformat.from_dict(nb)
    bad.cells[13].source = bad.cells[13].source.replace("Question 3", "Question 7")
    with pytest.raises(ValueError, match=r"cell 14: the heading says Question 7.*no question 'q7'"):
        annotate(bad, exercise, "x.ipynb")
    bad = nbformat.from_dict(nb)
    bad.cells = [c for c in bad.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "q2_tests"]
    with pytest.raises(ValueError, match="q2 has no `### BEGIN HIDDEN TESTS` cell"):
        annotate(bad, exercise, "x.ipynb")
    bad = nbformat.from_dict(nb)
    bad.cells[3].source = "Some text"
    with pytest.raises(ValueError, match="cell 5: a `### BEGIN SOLUTION` .* before the first `## Question N` heading"):
        annotate(bad, exercise, "x.ipynb")
    bad = nbformat.from_dict(nb)
    bad.cells[9].source = "Some text"
    with pytest.raises(ValueError, match="no `## Question N` heading for q2 of exercise 'forget_gate'"):
        annotate(bad, exercise, "x.ipynb")
    bad = nbformat.from_dict(nb)
    bad.cells.insert(8, nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS"))
    with pytest.raises(ValueError, match="q1 has hidden tests in cells 7, 9; put them in one cell"):
        annotate(bad, exercise, "x.ipynb")


def test_a_heading_without_points_gets_them():
    exercise = get_exercise("forget_gate")
    nb = nbformat.read(ROOT / "solutions" / "forget_gate.ipynb", as_version=4)
    nb.cells[13].source = nb.cells[13].source.replace("Question 3 (1 point):", "Question 3:")
    assert heading_points(nb.cells[13]) is None
    out = annotate(nb, exercise)
    assert out.cells[13].source.startswith("## Question 3 (1 point): reading the gate")
