"""Every question of every exercise through the grader's harness and judge, without a Jupyter kernel.

``test_grader.py`` grades real kernels (a few notebooks, they are slow to start). Here each
exercise notebook is run cell by cell in a plain namespace standing in for the kernel
(IPython syntax transformed as the kernel would), the grader's harness cell is executed after
it, and the grader's judge scores what the harness saved: the untouched exercise scores 0 with
"not attempted" on every question, design, debug and predict included, and the instructor's
answers (hidden tests removed) score full marks.
"""

from __future__ import annotations

import ast
import copy
import warnings

import nbformat
import pytest
import torch
from IPython.core.inputtransformer2 import TransformerManager
from submissions.mutations import exercise_notebook, solution_notebook, without_hidden_tests

from lstm_course.exercises import TOPICS, get_exercise
from lstm_course.grading import hidden_plans
from lstm_course.grading._harness import harness_source
from lstm_course.grading.grader import _harness_spec, _judge

SEED = 4242


class _Shell:
    """What the harness reads from ``get_ipython()``: the user namespace."""

    def __init__(self, user_ns: dict) -> None:
        self.user_ns = user_ns


def _run_like_a_kernel(nb: nbformat.NotebookNode, tmp_path) -> dict:
    """Run the notebook's code cells, then the harness; return the harness's saved results."""
    ns: dict = {"__name__": "__main__"}
    shell = _Shell(ns)
    ns["get_ipython"] = lambda: shell
    transform = TransformerManager().transform_cell
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.strip():
            with warnings.catch_warnings():  # a kernel shows a notebook's warnings; it does not stop on them
                warnings.simplefilter("ignore")
                exec(compile(transform(cell.source), "<cell>", "exec"), ns)
    exercise = get_exercise(nb.metadata["lstm_course"]["exercise"])
    plans = hidden_plans(exercise, SEED)
    spec = _harness_spec(exercise, plans, 10.0)  # as grade_submission writes it
    torch.save(spec, tmp_path / "in.pt")
    exec(harness_source(str(tmp_path / "in.pt"), str(tmp_path / "out.pt")), ns)
    return torch.load(tmp_path / "out.pt", weights_only=True), plans, exercise


def _grades(nb, tmp_path) -> dict:
    results, plans, exercise = _run_like_a_kernel(nb, tmp_path)
    tree = ast.parse("")  # the static check of forbidden calls is tested in test_grader.py
    return {g.name: g for g in _judge(exercise, plans, results, tree, 10.0)}


@pytest.mark.parametrize("topic", TOPICS)
def test_the_untouched_exercise_scores_zero_on_every_question(topic, tmp_path, capsys):
    grades = _grades(exercise_notebook(topic), tmp_path)
    assert set(grades) == {q.name for q in get_exercise(topic).questions}
    for name, g in grades.items():
        assert g.points == 0 and g.status == "not_attempted", (topic, name, g.message)
    assert "Traceback" not in capsys.readouterr().out


@pytest.mark.parametrize("topic", TOPICS)
def test_the_instructors_answers_score_full_marks(topic, tmp_path, capsys):
    nb = without_hidden_tests(solution_notebook(topic))
    grades = _grades(nb, tmp_path)
    for name, g in grades.items():
        assert g.points == g.max_points > 0, (topic, name, g.message)
    assert "Traceback" not in capsys.readouterr().out


def test_a_design_answer_of_plain_numbers_travels_through_the_harness(tmp_path):
    """The answer dict is encoded in the kernel and rebuilt here; a wrong sign is still named by the grader."""
    nb = copy.deepcopy(without_hidden_tests(solution_notebook("cell_update")))
    cell = next(c for c in nb.cells if c.source.startswith("# count_cell"))
    cell.source = cell.source.replace('"f": (0.0, 0.0, 10.0)', '"f": (0.0, 0.0, -10.0)')
    grades = _grades(nb, tmp_path)
    assert grades["q4"].points == 0 and grades["q4"].mistake == "wrong sign of b_f"
    assert "On hidden sequence" in grades["q4"].message
    assert sum(g.points for g in grades.values()) == get_exercise("cell_update").max_points - grades["q4"].max_points
