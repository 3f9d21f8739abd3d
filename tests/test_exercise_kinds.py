"""The design, find-the-bug and predict questions, and the exercises' agreement with the chapters.

Per new question: its solution passes and each named mistake is recognised by name (both via
``submissions.mutations`` in ``test_exercises.py``, and here for what needs more than one edit);
an untouched notebook says "not attempted" (``test_exercises.py``); under the grader, see
``test_grader_kinds.py``. Here: a second correct answer for every design question, reproducible
hidden sequences, feedback that names the sequence, the step and the gate, the buggy functions
shown in the notebooks, predictions judged with the stated tolerance, the backward exercise's
cases and mistakes, every chapter reference resolving to a page of ``_toc.yml``, and every number
a multiple-choice text quotes recomputed with the library.
"""

from __future__ import annotations

import ast
import copy
import inspect
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from submissions.mutations import ROOT, cell_source, solution_notebook

from lstm_course import gradients, layout, reference, tasks
from lstm_course.exercises import (
    KINDS,
    TOPICS,
    ChoiceQuestion,
    DebugQuestion,
    DesignQuestion,
    PredictQuestion,
    get_exercise,
    try_cell,
)
from lstm_course.layout import CellWeights

QUESTIONS = [(t, q) for t in TOPICS for q in get_exercise(t).questions]
DESIGN = [(t, q) for t, q in QUESTIONS if q.kind == "design"]
DEBUG = [(t, q) for t, q in QUESTIONS if q.kind == "debug"]
PREDICT = [(t, q) for t, q in QUESTIONS if q.kind == "predict"]
SEEDS = (0, 1, 2)


def _id(pair) -> str:
    return f"{pair[0]}-{pair[1].name}"


def _question(topic: str, name: str):
    return next(q for q in get_exercise(topic).questions if q.name == name)


# ------------------------------------------------------------------ the kinds


def test_every_question_has_a_kind_and_the_new_kinds_are_there():
    for _, q in QUESTIONS:
        assert q.kind in KINDS
    assert {q.kind for _, q in QUESTIONS} == set(KINDS)
    assert (DesignQuestion.kind, DebugQuestion.kind, PredictQuestion.kind) == ("design", "debug", "predict")
    assert len(DESIGN) >= 6 and len(DEBUG) >= 3 and len(PREDICT) >= 6
    # a design question in each gate chapter from the input gate on: a designed cell writes (i_t, c̃_t) and keeps
    # (f_t), so none belongs to the forget gate's exercise, which comes before the input gate is taught
    assert {"input_gate", "cell_update", "output_gate"} <= {t for t, _ in DESIGN}
    assert "forget_gate" not in {t for t, _ in DESIGN}


# ------------------------------------------------------------------ design


#: A second correct answer per design question, different from the module's solution.
ALTERNATIVES = {
    ("input_gate", "q4"): {"f": (0, 0, 7), "i": (0, 5, 8), "c": (0, 1.03, 0)},
    ("cell_update", "q5"): {"f": (0, 0, -16, 8), "i": (0, 0, -6, 6), "c": (0, 1.05, 0, 0)},
    ("input_gate", "q5"): {"f": (0, 0, 8), "i": (0, 100, -2), "c": (0, 1.02, 0)},
    ("cell_update", "q4"): {"f": (0, 0, 12), "i": (0, 20, -10), "c": (0, 0, 5)},
    ("output_gate", "q4"): {"f": (0, 0, 0, 8), "i": (0, 0, 0, 7), "c": (0, 1.2, 0, 0), "o": (0, 0, 12, -6)},
    ("whole_cell", "q5"): {"f": [(0, 0, 0, 8), (0, 0, 0, -10)], "i": [(0, 30, 0, 10), (0, 0, 0, 10)],
                           "c": [(0, 0, 5, 0), (0, 0, 0, -10)], "o": [(0, 0, 0, 10), (0, 0, 0, 10)]},
}


def test_every_design_question_has_a_second_answer():
    assert set(ALTERNATIVES) == {(t, q.name) for t, q in DESIGN}


@pytest.mark.parametrize("pair", DESIGN, ids=_id)
def test_two_different_correct_designs_pass(pair):
    topic, q = pair
    other = ALTERNATIVES[(topic, q.name)]
    assert other != q.answer
    for seed in SEEDS:
        for answer in (q.answer, other):
            verdict = q.judge_answer(answer, seed=seed)
            assert verdict.passed, (q.name, seed, verdict.message)


@pytest.mark.parametrize("pair", DESIGN, ids=_id)
def test_hidden_sequences_are_fresh_per_seed_reproducible_and_include_edge_cases(pair):
    _, q = pair
    a, again, b = q.plan(5), q.plan(5), q.plan(6)
    assert [t.label for t in a] == [t.label for t in again]
    assert all(torch.equal(x.x, y.x) for x, y in zip(a, again, strict=True))
    assert [t.label for t in a] != [t.label for t in b]  # the random sequences differ
    n = q.task.edges
    assert [t.label for t in q.plan(7)[:n]] == [t.label for t in q.plan(8)[:n]]  # the edge cases are always there
    H, I = q.size
    assert all(t.x.dim() == 2 and t.x.shape[1] == I for t in a) and H in (1, 2)


def test_a_design_answer_can_be_a_cellweights():
    q = _question("input_gate", "q4")
    t = lambda *v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    weights = CellWeights(t([0.0, 0.0]), t(10.0), t([0.0, 0.0]), t(10.0), t([0.0, 1.0]), t(0.0), t([0.0, 0.0]),
                          t(0.0))
    weights = CellWeights(*[w.reshape(1, -1) if k % 2 == 0 else w.reshape(1) for k, w in enumerate(weights)])
    assert q.judge_answer(weights, seed=0).passed
    assert q.judge_answer(weights._replace(b_f=-weights.b_f), seed=0).mistake == "wrong sign of b_f"


def test_feedback_names_the_sequence_the_step_and_the_gate():
    """The issue's example: a marker that does not close the forget gate enough."""
    q = _question("cell_update", "q5")
    weak = dict(q.answer, f=(0.0, 0.0, -10.5, 10.0))  # f = σ(-0.5) ≈ 0.38 on the marker
    verdict = q.judge_answer(weak, seed=0)
    assert not verdict.passed
    first = verdict.message.splitlines()[0]
    assert re.match(r"On hidden sequence \d+ of \d+ \(x_1 = .*marker at step (\d+).*\), at step \1: c_t = ", first)
    assert re.search(r"At step 2 the forget gate was 0\.378; to wipe the memory on the marker it should be at most "
                     r"0\.05\.", verdict.message)
    assert verdict.mistake == "forget gate not saturated"


def test_feedback_names_the_unit_of_a_two_unit_cell():
    q = _question("whole_cell", "q5")
    slow = copy.deepcopy(q.answer)
    slow["f"][0] = (0.0, 0.0, 0.0, 3.0)  # unit 1 forgets: σ(3)^24 ≈ 0.31
    verdict = q.judge_answer(slow, seed=0)
    assert "the forget gate (unit 1) was 0.953; to keep the sign it should be at least 0.99" in verdict.message
    assert verdict.mistake == "forget gate (unit 1) not saturated"


@pytest.mark.parametrize("answer, why", [
    ({"f": (0, 0, 10), "i": (0, 0, 10)}, "exactly the keys 'f', 'i', 'c'"),
    ({"f": (0, 0, 10), "i": (0, 0, 10), "c": (0, 1, 0), "o": (0, 0, 0)}, "exactly the keys 'f', 'i', 'c'"),
    ({"f": (0, 0, 10), "i": (0, 0, 10), "c": (0, 1)}, "must be one row of 3 numbers"),
    ({"f": (0, 0, float("nan")), "i": (0, 0, 10), "c": (0, 1, 0)}, "NaN"),
    ({"f": "open", "i": (0, 0, 10), "c": (0, 1, 0)}, "must be numbers"),
    ([0, 0, 10], "must be a dict of rows"),
])
def test_a_malformed_design_answer_says_what_is_wrong(answer, why):
    verdict = _question("input_gate", "q4").judge_answer(answer, seed=0)
    assert verdict.mistake == "malformed answer" and why in verdict.message, verdict.message


def test_try_cell_prints_every_gate_at_every_step(capsys):
    try_cell(_question("input_gate", "q4").answer, [0.2, 0.0, 0.0])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and "f_t" in lines[0] and "c_t" in lines[0]
    assert lines[-1].split()[0] == "3" and lines[-1].split()[-1] == "0.197"  # c_3 = tanh(0.2) σ(10)^… ≈ 0.197
    assert "o_t" not in lines[0] and "h_t" not in lines[0]  # a cell of three rows, asked before the output gate
    try_cell(_question("output_gate", "q4").answer, [(0.8, 0), (0, 1)])
    assert "o_t" in capsys.readouterr().out
    try_cell(..., [0.2])
    assert "Fill in" in capsys.readouterr().out


def test_the_design_checker_runs_the_library_cell(monkeypatch):
    """The checker runs lstm_course.cell.lstm_step: breaking it breaks the verdict (no second copy of the math)."""
    from lstm_course import cell

    q = _question("cell_update", "q4")
    assert q.judge_answer(q.answer, seed=0).passed
    real = cell.lstm_step
    monkeypatch.setattr(cell, "lstm_step", lambda *a, **k: tuple(0 * v if isinstance(v, torch.Tensor) else v
                                                                 for v in real(*a, **k)))
    assert not q.judge_answer(q.answer, seed=0).passed


# ------------------------------------------------------------------ find the bug


BUGGY_CELL = {"final_state": "final_state_buggy", "step_from_torch": "step_from_torch_buggy",
              "set_forget_bias": "set_forget_bias_buggy", "chunk_gradients": "chunk_gradients_buggy"}


def _function_ast(source: str, name: str) -> str:
    fn = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.dump(fn)


@pytest.mark.parametrize("pair", DEBUG, ids=_id)
def test_the_notebook_shows_the_modules_buggy_function_and_it_is_named_as_the_bug(pair, capsys):
    topic, q = pair
    buggy_name = BUGGY_CELL[q.func_name]
    nb = solution_notebook(topic)
    shown = cell_source(nb, buggy_name)
    assert _function_ast(shown, buggy_name) == _function_ast(textwrap.dedent(inspect.getsource(q.buggy)), buggy_name)
    result = q.check(q.buggy)
    assert not result and result.verdict.mistake == q.bug
    out = capsys.readouterr().out
    assert f"The bug is still there: {q.bug}." in out and "Still differs:" in out


def test_a_partial_fix_says_what_still_differs():
    from lstm_course.exercises import practice, training

    def later_chunks_off(x, weights, chunk):
        grads = practice._solution_q3(x, weights, chunk)  # (chunks, H, H+I)
        return torch.cat([grads[:1], grads[1:] + 1])

    verdict = practice.q3.check(later_chunks_off).verdict
    assert "Still differs: the gradient of chunk 2, the gradient of chunk 3. Already right: the gradient of chunk 1." \
        in verdict.message
    verdict = training.q4.check(lambda bi, bh, v: (training._solution_q4(bi, bh, v)[0], bh)).verdict
    assert ("Still differs: the forget gate's bias b_f. Already right: the input gate's bias, the candidate's bias, "
            "the output gate's bias.") in verdict.message
    assert verdict.mistake == "bias_hh's forget rows left as they were"


def test_training_q4_is_judged_on_the_biases_the_lstm_adds():
    """Any split of b_f = value between bias_ih and bias_hh passes; the buggy one (2 · value) does not."""
    from lstm_course.exercises import training

    def other_split(bias_ih, bias_hh, value):
        H = bias_ih.shape[0] // 4
        bias_ih = bias_ih.clone()
        bias_ih[H:2 * H] = value - bias_hh[H:2 * H]  # bias_hh untouched
        return bias_ih, bias_hh.clone()

    assert training.q4.check(other_split).verdict.status == "correct"
    assert training.q4.check(training.set_forget_bias_buggy).verdict.mistake == "forget bias added twice"


@pytest.mark.parametrize("pair", DEBUG, ids=_id)
def test_calling_the_checkers_own_reference_is_forbidden(pair):
    _, q = pair
    verdict = q.check(lambda *args: q.reference(*args)).verdict
    assert verdict.status == "forbidden", verdict.message


# ------------------------------------------------------------------ predict


def _question_text(topic: str, name: str) -> str:
    nb = solution_notebook(topic)
    n = int(name[1:])
    return next(c.source for c in nb.cells if c.cell_type == "markdown" and f"## Question {n} " in c.source)


@pytest.mark.parametrize("pair", PREDICT, ids=_id)
def test_a_prediction_is_judged_with_the_stated_tolerance_and_the_computation_comes_after(pair):
    topic, q = pair
    text = _question_text(topic, q.name)
    assert (f"within {q.tolerance_text}" if q.tolerance is not None else "exactly") in text, text
    value = q.value()
    before = q.judge_answer(...).message + q._hint
    assert "How it is computed" not in before
    if isinstance(value, tuple):
        assert q.judge_answer(value).passed and q.judge_answer(list(value)).passed
        wrong = tuple(v + 1 for v in value)
    else:
        shown = q._show(value)
        assert not re.search(rf"(?<![\w.]){re.escape(shown)}(?![\w.])", before)  # nothing gives it away before
        if q.tolerance is None:
            assert q.judge_answer(value).passed and not q.judge_answer(value + 1).passed
            wrong = value + 7
        else:
            assert q.judge_answer(value + 0.9 * q.tolerance).passed
            assert not q.judge_answer(value + 1.1 * q.tolerance).passed
            wrong = value + 10 * q.tolerance + 1
    verdict = q.judge_answer(wrong)
    assert not verdict.passed and "How it is computed:" in verdict.message and q.working() in verdict.message
    assert q.judge_answer("0.5").mistake in ("not a number", "not a shape")
    for slip in q.slips:  # every usual slip is recognised by name, and none of them is the right answer
        assert q.judge_answer(slip.value()).mistake == slip.name, slip.name
        assert not q.judge_answer(slip.value()).passed


# ------------------------------------------------------------------ the backward exercise (issue 9)


def test_backward_cases_are_batched_and_unbatched_and_the_variants_match_the_reference_when_right():
    from lstm_course.exercises import backward

    cases = backward._cases(torch.Generator().manual_seed(0))
    assert {c[2].ndim for c in cases} == {1, 2} and len(cases) >= 3
    for case in cases:  # the wrong-variant generator, with every switch at its right setting, is the reference
        right, variant = backward._reference(*case), backward._variant(*case)
        assert all(np.allclose(a, b) for a, b in zip(right, variant, strict=True))
    named = {m.name for m in backward.q1.mistakes}
    for name in ("missing δh → δc term", "1 − tanh instead of 1 − tanh²", "f_t left out of δc_{t-1}", "sign error"):
        assert name in named
    assert any(n.startswith("gates in the wrong order") for n in named)


# ------------------------------------------------------------------ chapters by title, links that resolve (issue 9)


def _toc_files() -> set[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {toc["root"]}
    stack = list(toc.get("parts", [])) + list(toc.get("chapters", []))
    while stack:
        item = stack.pop()
        if "file" in item:
            files.add(item["file"])
        stack += item.get("chapters", []) + item.get("sections", [])
    return files


def _title(page: Path) -> str:
    import nbformat

    nb = nbformat.read(page, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown" and c.source.lstrip().startswith("# "))
    return first.source.lstrip().splitlines()[0][2:].strip()


def _chapter_links(text: str) -> list[tuple[str, Path]]:
    """``(title, book/<page>.ipynb)`` of every link to a chapter's page on the site (``<site>book/<page>.html``)."""
    from lstm_course.assign import site_address

    site = re.escape(site_address(ROOT))
    return [(title, ROOT / "book" / f"{page}.ipynb")
            for title, page in re.findall(rf"\[([^\]]+)\]\({site}book/([\w-]+)\.html(?:#[^)]*)?\)", text)]


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_every_exercise_links_its_chapter_by_title_and_the_link_resolves(folder):
    """Chapter links point at the site's page (they work in a notebook downloaded on its own), never at a path."""
    import nbformat

    toc = _toc_files()
    for topic in TOPICS:
        nb = nbformat.read(ROOT / folder / f"{topic}.ipynb", as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        links = _chapter_links(text)
        assert links, f"{folder}/{topic}.ipynb links no chapter"
        assert "../book/" not in text and "](book/" not in text, f"{folder}/{topic}.ipynb links a chapter by path"
        for title, page in links:
            assert page.exists(), page
            assert str(page.relative_to(ROOT).with_suffix("")) in toc, f"{page} is not a page of _toc.yml"
            assert title == _title(page), (topic, title, _title(page))


NUMBERED = re.compile(r"\bchapters?\s+\d", re.I)


def test_no_exercise_names_a_chapter_by_number():
    import nbformat

    for folder in ("solutions", "exercises"):
        for topic in TOPICS:
            nb = nbformat.read(ROOT / folder / f"{topic}.ipynb", as_version=4)
            for cell in nb.cells:
                assert not NUMBERED.search(cell.source), (folder, topic, cell.source[:120])
    for topic in TOPICS:
        module = inspect.getmodule(get_exercise(topic).questions[0])
        assert not NUMBERED.search(inspect.getsource(module)), topic
        for q in get_exercise(topic).questions:
            texts = [q._hint, str(getattr(q, "_solution", "")), *getattr(q, "_why", {}).values()]
            assert not any(NUMBERED.search(t) for t in texts), (topic, q.name)


# ------------------------------------------------------------------ what the multiple-choice texts quote (issue 9)


def _sigma(b: float) -> float:
    return float(torch.sigmoid(torch.tensor(b, dtype=torch.float64)))


def _texts(q: ChoiceQuestion) -> str:
    return " ".join([q._solution, *q._why.values(), *q.options.values()])


def test_gradient_flow_q2_quotes_what_the_gradients_module_measures():
    q = _question("gradient_flow", "q2")
    T = 50
    lstm = gradients.lstm_gradient_norms(T, forget_bias=3.0)
    rnn = gradients.rnn_gradient_norms(T)
    lstm_left, rnn_left = gradients.gradient_ratio_at(lstm.h), gradients.gradient_ratio_at(rnn)
    path = lstm.forget_path[0]
    text = _texts(q)
    assert f"about {lstm_left:.2f} of it is left" in text and f"about {lstm_left:.2f} at h_t" in text
    assert f"about {path:.2f} (σ(3)^49)" in text and f"{_sigma(3.0) ** (T - 1):.2f}" == f"{path:.2f}"
    assert f"about {rnn_left:.0e} of" in text
    # the notebook's wording: "less than a millionth" separates the two models; σ(3) ≈ 0.95
    nb_text = _question_text("gradient_flow", "q2")
    assert "less than a millionth" in nb_text and rnn_left < 1e-6 < lstm_left and q._answer == "b"
    assert f"f_t \\approx {_sigma(3.0):.2f}" in nb_text
    q3 = _question("gradient_flow", "q3")
    product = gradients.forget_path_product(np.full((51, 1), 0.9))[0, 0]
    assert f"0.9^50 ≈ {product:.2g}" in q3._solution and f"about {product:.1g}" == q3.options[q3._answer]


def test_training_q3_quotes_what_the_gradients_module_measures_and_the_chapters_setting():
    q = _question("training", "q3")
    config = tasks.DEFAULT_CONFIG
    T = config.task.length
    text = _texts(q)
    assert f"$T = {T}$" in _question_text("training", "q3") and f"after {T - 1} steps" in text
    assert q.options[q._answer] == f"+{config.forget_bias:g}"
    assert f"b_f = +{config.forget_bias:g}, σ({config.forget_bias:g}) ≈ {_sigma(config.forget_bias):.3f}" in text
    left = {b: gradients.lstm_gradient_norms(T, forget_bias=b).forget_path[0] for b in (0.0, 1.0, 3.0, 5.0)}
    assert f"keeps about {left[0.0]:.0e}" in q._why["b"]
    assert f"keeps only about {left[1.0]:.0e}" in q._why["c"] and f"+1 about {left[1.0]:.0e}" in q._solution
    assert f"+3 keeps about {left[3.0]:.2f}" in q._solution and f"keeps about {left[5.0]:.2f}" in q._solution
    assert f"σ(1) ≈ {_sigma(1.0):.2f}" in text and f"σ(-3) ≈ {_sigma(-3.0):.2f}" in text


def test_backward_q2_quotes_what_a_gradient_check_of_the_reference_gives():
    q = _question("backward", "q2")
    rng = np.random.default_rng(0)
    B, I, H = 3, 2, 4
    errors = reference.gradient_check(rng.normal(size=(B, I)), rng.normal(size=(B, H)), rng.normal(size=(B, H)),
                                      rng.normal(size=(I, 4 * H)) * 0.5, rng.normal(size=(H, 4 * H)) * 0.5,
                                      rng.normal(size=4 * H) * 0.5)
    assert max(errors.values()) < 1e-8 and "around 1e-8 or below" in q._solution
    assert q.options[q._answer] == "1e-9"


def test_backward_q3_and_cell_update_q3_quote_what_the_library_computes():
    q = _question("backward", "q3")
    rng = np.random.default_rng(1)
    _, _, cache = reference.lstm_step_forward(rng.normal(size=(2, 3)), rng.normal(size=(2, 4)),
                                              rng.normal(size=(2, 4)), rng.normal(size=(3, 16)),
                                              rng.normal(size=(4, 16)), rng.normal(size=16))
    dc = rng.normal(size=(2, 4))
    dc_prev = reference.lstm_step_backward(np.zeros_like(dc), dc, cache)[2]
    assert np.allclose(dc_prev, dc * cache["f"]) and q.options[q._answer] == "dc_t ⊙ f_t"
    from lstm_course import cell

    q = _question("cell_update", "q3")
    c, one = torch.randn(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for _ in range(10):  # c_10 after ten steps with f_t = 1, i_t = 0
        c_next = cell.cell_update(one, c, 0 * one, torch.randn(3, dtype=torch.float64))
        assert torch.equal(c_next, c)
    assert q.options[q._answer] == "c_10 = c_0"


def test_whole_cell_q4_quotes_the_layout_modules_gate_order():
    q = _question("whole_cell", "q4")
    assert q.options[q._answer] == ", ".join(layout.GATE_ORDER)
    assert ", ".join(layout.GATE_ORDER) in q._solution
