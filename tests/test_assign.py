"""`lstm-course assign`: exercises/ is generated from solutions/ and kept in sync."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lstm_course.assign import assign, render_exercise, stub_source
from lstm_course.cli import main

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
