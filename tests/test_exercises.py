"""The in-notebook checker: solutions pass, each known mistake fails with its name, stubs say "not attempted"."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from submissions.mutations import MUTATIONS, ROOT, apply, cell_source, find_cell, solution_notebook

from lstm_course.exercises import TOPICS, CodeQuestion, get_exercise

#: Topics whose solution notebook exists (all of TOPICS once the course is complete; see the last test).
WRITTEN = tuple(t for t in TOPICS if (ROOT / "solutions" / f"{t}.ipynb").exists())


def _namespace(nb) -> dict:
    """Run the notebook's answer cells (definitions and answer variables) in a fresh namespace."""
    ns: dict = {"torch": torch, "np": np, "numpy": np}
    exercise = get_exercise(nb.metadata["lstm_course"]["exercise"])
    imports = next(c.source for c in nb.cells if "from lstm_course.exercises." in c.source)
    exec(compile(imports, "<imports>", "exec"), ns)
    for q in exercise.questions:
        name = q.func_name if isinstance(q, CodeQuestion) else q.variable
        exec(compile(cell_source(nb, name), f"<{name}>", "exec"), ns)
    return ns


def _answer(q, ns):
    return ns[q.func_name] if isinstance(q, CodeQuestion) else ns[q.variable]  # debug questions are code questions


@pytest.mark.parametrize("topic", WRITTEN)
def test_every_solution_passes_every_check(topic, capsys):
    nb = solution_notebook(topic)
    ns = _namespace(nb)
    exercise = get_exercise(topic)
    assert 2 <= len(exercise.questions) <= 8
    for q in exercise.questions:
        result = q.check(_answer(q, ns))
        assert result, f"{topic} {q.name}: {result.verdict.message}"
        assert result.points == q.points > 0
    assert "✔ Correct" in capsys.readouterr().out


@pytest.mark.parametrize("topic", WRITTEN)
def test_untouched_exercise_says_not_attempted_without_raising(topic, capsys):
    import nbformat

    from lstm_course.assign import render_exercise

    nb = nbformat.reads(render_exercise(solution_notebook(topic)), as_version=4)
    ns = _namespace(nb)
    for q in get_exercise(topic).questions:
        result = q.check(_answer(q, ns))
        assert not result and result.verdict.status == "not_attempted", (topic, q.name)
        assert result.points == 0
    out = capsys.readouterr().out
    assert "Not attempted yet" in out and "Traceback" not in out


@pytest.mark.parametrize("mutation", [m for m in MUTATIONS if m.topic in WRITTEN], ids=lambda m: m.id)
def test_each_known_mistake_is_named(mutation, capsys):
    nb = apply(mutation)
    ns = _namespace(nb)
    exercise = get_exercise(mutation.topic)
    for q in exercise.questions:
        result = q.check(_answer(q, ns))
        if q.name == mutation.question:
            assert not result and result.points == 0, mutation.id
            assert result.verdict.mistake == mutation.mistake, (mutation.id, result.verdict.message)
        elif q.name in mutation.also:
            assert not result, (mutation.id, q.name)
        else:
            assert result, (mutation.id, q.name, result.verdict.message)
    out = capsys.readouterr().out
    assert "Traceback" not in out
    if mutation.mistake and not mutation.mistake.startswith("chose"):
        assert mutation.mistake.lower() in out.lower()


def test_mutations_cover_the_named_mistakes():
    names = {m.mistake for m in MUTATIONS}
    for required in ("gates in the wrong order", "tanh where sigmoid belongs", "sigmoid where tanh belongs",
                     "missing bias", "[x, h] concatenated instead of [h, x]", "transposed weight", "wrong shape",
                     "numpy returned where torch expected", "inputs modified in place"):
        assert any(n and n.startswith(required) for n in names), required
    assert {m.topic for m in MUTATIONS} == set(TOPICS)


def test_check_without_a_function_and_with_a_non_function(capsys):
    q1 = get_exercise("forget_gate").questions[0]
    assert q1.check().verdict.status == "not_attempted"
    assert q1.check(...).verdict.status == "not_attempted"
    assert q1.check(42).verdict.mistake == "not a function"
    assert "Traceback" not in capsys.readouterr().out


def test_an_exception_is_summarised_in_one_line(capsys):
    q1 = get_exercise("forget_gate").questions[0]

    def forget_gate(h_prev, x_t, W_f, b_f):
        return {}["no such key"]

    result = q1.check(forget_gate)
    assert result.verdict.status == "error"
    assert "KeyError: 'no such key'" in result.verdict.message
    assert "Traceback" not in capsys.readouterr().out


def test_calling_the_library_is_refused_statically_and_at_run_time(capsys):
    import lstm_course

    q1 = get_exercise("forget_gate").questions[0]

    def forget_gate(h_prev, x_t, W_f, b_f):
        return lstm_course.forget_gate(h_prev, x_t, W_f, b_f)

    static = q1.check(forget_gate)
    assert static.verdict.status == "forbidden" and "lstm_course" in static.verdict.message

    hidden = getattr(lstm_course, "out" + "put_gate")  # invisible to a static look

    def sneaky(h_prev, x_t, W_f, b_f):
        return hidden(h_prev, x_t, W_f, b_f)

    runtime = q1.check(sneaky)
    assert runtime.verdict.status == "forbidden" and "output_gate" in runtime.verdict.message
    assert runtime.points == 0


def test_hint_and_solution_print_something_useful(capsys):
    for topic in WRITTEN:
        for q in get_exercise(topic).questions:
            q.hint()
            q.solution()
            out = capsys.readouterr().out
            assert f"Hint ({q.name})" in out and f"Solution ({q.name})" in out
            if isinstance(q, CodeQuestion):
                assert f"def {q.func_name}(" in out
            else:
                assert q.kind in ("choice", "design", "predict") and f"{q.variable} = " in out


def test_choice_question_rejects_letters_that_are_not_options(capsys):
    q3 = get_exercise("forget_gate").questions[2]
    assert q3.check("z").verdict.mistake == "not an option"
    assert q3.check(3).verdict.mistake == "not an option"
    assert q3.check(" B ")  # case and spaces do not matter


def test_find_cell_finds_answer_variables():
    nb = solution_notebook("forget_gate")
    assert "q3_answer" in nb.cells[find_cell(nb, "q3_answer")].source


def test_static_guard_follows_imports_aliases_and_helpers():
    from lstm_course.exercises._guard import forbidden_uses, notebook_source

    cells = [
        "%matplotlib inline\nimport lstm_course as L\nfrom torch import nn",
        "from lstm_course.cell import input_gate as ig",
        "def helper(h, x, W, b):\n    return ig(h, x, W, b)",
        "def forget_gate(h, x, W, b):\n    return helper(h, x, W, b)",
        "def lstm_step(x, h, c, w):\n    return nn.LSTM(2, 3)",
        "def output_gate(h, x, W, b):\n    return L.cell.output_gate(h, x, W, b)",
        "def fine(h, x, W, b):\n    return (W @ torch.cat([h, x])).sigmoid()",
        "def broken(:\n",  # a cell that does not parse is skipped, not fatal
    ]
    tree = notebook_source(cells)
    forbidden = ("lstm_course.cell.input_gate", "lstm_course.cell.output_gate", "torch.nn.LSTM")
    assert forbidden_uses(tree, "forget_gate", forbidden) == ["lstm_course.cell.input_gate"]  # via the helper
    assert forbidden_uses(tree, "lstm_step", forbidden) == ["torch.nn.LSTM"]
    assert forbidden_uses(tree, "output_gate", forbidden) == ["lstm_course.cell.output_gate"]
    assert forbidden_uses(tree, "fine", forbidden) == []
    assert forbidden_uses(tree, "missing", forbidden) == []


def _assigned(source: str, name: str):
    """The literal value assigned to ``name`` in ``source`` (between the solution markers)."""
    import ast

    node = next(n for n in ast.parse(source).body if isinstance(n, ast.Assign) and n.targets[0].id == name)
    return ast.literal_eval(node.value)


def _body(source: str, func: str) -> list[str]:
    """The statements of ``def func`` (docstring and imports left out), as AST dumps: comments do not count."""
    import ast

    fn = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == func)
    body = [s for s in fn.body if not isinstance(s, (ast.Import, ast.ImportFrom))]
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]
    return [ast.dump(s) for s in body]


@pytest.mark.parametrize("topic", WRITTEN)
def test_solution_shown_by_solution_matches_the_solution_notebook(topic):
    """`q.solution()` and the instructor notebook give the same answer (one answer, not two that drift)."""
    nb = solution_notebook(topic)
    for q in get_exercise(topic).questions:
        if isinstance(q, CodeQuestion):
            assert _body(q._solution, q.func_name) == _body(cell_source(nb, q.func_name), q.func_name), q.name
        elif q.kind == "choice":
            assert f'"{q._answer}"' in cell_source(nb, q.variable), q.name
        else:  # design and predict: the notebook's literal is the module's answer (predict: within its tolerance)
            value = _assigned(cell_source(nb, q.variable), q.variable)
            if q.kind == "design":
                assert value == {k: (list(v) if isinstance(v, list) else v) for k, v in q.answer.items()}, q.name
            else:
                assert q.judge_answer(value).passed, q.name
