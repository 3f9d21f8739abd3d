"""The reading-code exercise (chapter 11): the judge of "find the unit" measures on held-out files, names the usual
wrong finds, and the answers to the predict questions are what the shipped reader does.

The generic exercise tests (solutions pass, untouched notebooks say "not attempted", every mutation is named, the
grader agrees) cover this exercise through ``TOPICS``; here is what is particular to it. The reader's traces are
computed once per session (``reading_code.judged_correlations`` caches them).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from submissions.mutations import cell_source, solution_notebook

from lstm_course.exercises import reading_code as rc
from lstm_course.reader import char_labels, corpus_files, load_reader


@pytest.fixture(scope="module")
def judged():
    return rc.judged_correlations()


def test_the_reference_correlation_is_pearsons_r_and_a_constant_unit_gives_zero():
    gen = torch.Generator().manual_seed(0)
    values = torch.randn(50, 4, generator=gen, dtype=torch.float64)
    values[:, 2] = 1.5
    target = (torch.rand(50, generator=gen) < 0.3).double()
    r = rc.unit_correlations_reference(values, target)
    for k in (0, 1, 3):
        assert r[k] == pytest.approx(np.corrcoef(values[:, k].numpy(), target.numpy())[0, 1], abs=1e-12)
    assert r[2] == 0.0


def test_the_judge_reads_held_out_files_only(judged):
    heldout = {name for name, _ in corpus_files("heldout")}
    train = {name for name, _ in corpus_files("train")}
    assert not heldout & train
    assert judged["chars"] >= rc.JUDGED_CHARS and judged["H"] == load_reader().hidden_size
    assert 0 < judged["string_chars"] < judged["chars"]
    # the exercise's own search runs on training files, never on the judged ones
    nb = solution_notebook("reading_code")
    assert all(f'"{name}"' in cell_source(nb, "train_texts") for name in ("string.py", "gzip.py", "fnmatch.py"))
    assert {"string.py", "gzip.py", "fnmatch.py"} <= train


def test_a_unit_that_tells_docstrings_apart_passes_and_a_unit_below_the_threshold_fails(judged):
    best = rc.q2.value()
    assert rc.q2.judge_answer(best).passed
    r = judged["trained_r"].abs()
    assert r[best] >= rc.THRESHOLD > 0.2 > judged["untrained_r"].abs().max()  # training made such units
    untrained_best = int(judged["untrained_r"].abs().argmax())
    assert r[untrained_best] < rc.THRESHOLD  # the bar stands above the unit the untrained network already had
    assert rc.THRESHOLD >= 2 * judged["untrained_r"].abs().max()  # and at twice what the untrained network reaches
    weak = int(torch.argmin(r))
    verdict = rc.q2.judge_answer(weak)
    assert not verdict.passed and "How it is computed:" in verdict.message
    assert not rc.q2.judge_answer(np.int64(weak)).passed and rc.q2.judge_answer(np.int64(best)).passed
    # the solution's unit is found on training files and holds on held-out ones
    nb = solution_notebook("reading_code")
    assert rc.q2.judge_answer(int(cell_source(nb, "q2_answer").split("q2_answer = ")[1].split()[0])).passed
    # the notebook states the judge's bar as the module applies it
    q2_text = next(c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Question 2"))
    assert f"$|r| \\ge {rc.THRESHOLD}$" in q2_text


def test_the_chapter_units_that_pass_q2_are_explained_truly(judged):
    string_unit, bracket_unit = rc.chapter_unit("in_string"), rc.chapter_unit("bracket_depth")
    for unit in (string_unit, bracket_unit):
        if abs(judged["trained_r"][unit]) >= rc.THRESHOLD:
            assert "It is also the chapter's" in rc.q2.judge_answer(unit).message
    # the bracket unit's message: a docstring stands alone at depth 0, most other strings sit inside brackets
    inside, doc = judged["in_string"] > 0, judged["in_docstring"] > 0
    depth = judged["bracket_depth"]
    assert not (depth[doc] > 0).any() and (depth[inside & ~doc] > 0).double().mean() > 0.5


def test_the_usual_wrong_finds_are_named(judged):
    follower = rc.string_follower()  # a unit that moves with every string
    assert abs(judged["trained_string_all_r"][follower]) >= 0.45  # it moves with strings
    assert abs(judged["trained_all_r"][follower]) >= 0.45  # so over every character it looks like a docstring unit
    assert abs(judged["trained_r"][follower]) < rc.UNRELATED  # but inside strings it tells nothing apart
    verdict = rc.q2.judge_answer(follower)
    assert not verdict.passed and verdict.mistake == "tracks a correlated property", verdict.message
    untrained_best = int(judged["untrained_r"].abs().argmax())
    verdict = rc.q2.judge_answer(untrained_best)
    assert not verdict.passed and verdict.mistake == "the untrained network's best unit", verdict.message
    for outside in (-1, judged["H"], 10_000):
        assert rc.q2.judge_answer(outside).mistake == "no such unit"
    for not_a_unit in (3.0, "7", True, [1]):
        assert rc.q2.judge_answer(not_a_unit).mistake == "not a number"
    assert rc.q2.judge_answer(...).status == "not_attempted"


def test_the_predict_questions_answers_are_what_the_reader_does():
    for q in (rc.q3, rc.q4):
        agree = rc.option_agreement(q.name)
        assert rc.predicted_answer(q.name) == q._answer, (q.name, agree)
        runner_up = sorted(agree.values())[-2]
        assert agree[q._answer] >= 0.9 and agree[q._answer] - runner_up >= 0.15, (q.name, agree)


def test_what_the_predict_questions_say_the_units_do_is_what_they_do():
    line = rc.Q3_LINE
    unit, side = rc.unit_side("in_string", line)
    first = int(np.argmax(side))  # where the string unit moves to its string side
    words = line.index("# ") + 2  # the comment's first word
    assert not side[:first].any() and side[first:].all()  # then it stays there, the newline included
    assert words <= first < line.index(" ", words)  # within the comment's first word
    assert char_labels(rc.PREFIX + line)["in_string"][len(rc.PREFIX):].max() == 0  # tokenize: no string here
    # it tracks text for people: over the held-out files, strings or comments more than strings
    from lstm_course.reader.analysis import tracker_row

    assert tracker_row("string_or_comment")["unit"] == unit
    assert tracker_row("string_or_comment")["abs_r"] > tracker_row("in_string")["abs_r"]
    _, side = rc.unit_side("bracket_depth", rc.Q4_LINE)  # the bracket unit moves at the ( inside the string
    assert not side[:rc.Q4_LINE.index("(")].any() and side[rc.Q4_LINE.index("("):].all()


def test_the_predict_code_is_python_that_tokenize_reads():
    for line in (rc.Q3_LINE, rc.Q4_LINE):
        labels = char_labels(rc.PREFIX + line)
        assert len(labels["in_string"]) == len(rc.PREFIX + line)
    assert char_labels(rc.PREFIX + rc.Q4_LINE)["bracket_depth"][len(rc.PREFIX):].max() == 0  # tokenize: no bracket
