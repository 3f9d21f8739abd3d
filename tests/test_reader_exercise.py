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
    weak = int(torch.argmin(r))
    verdict = rc.q2.judge_answer(weak)
    assert not verdict.passed and "How it is computed:" in verdict.message
    assert not rc.q2.judge_answer(np.int64(weak)).passed and rc.q2.judge_answer(np.int64(best)).passed
    # the solution's unit is found on training files and holds on held-out ones
    nb = solution_notebook("reading_code")
    assert rc.q2.judge_answer(int(cell_source(nb, "q2_answer").split("q2_answer = ")[1].split()[0])).passed


def test_the_usual_wrong_finds_are_named(judged):
    string_unit = rc.chapter_unit("in_string")  # the chapter's string unit
    assert abs(judged["trained_all_r"][string_unit]) >= 0.5  # over every character it looks like a docstring unit
    verdict = rc.q2.judge_answer(string_unit)
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


def test_the_predict_code_is_python_that_tokenize_reads():
    for line in (rc.Q3_LINE, rc.Q4_LINE):
        labels = char_labels(rc.PREFIX + line)
        assert len(labels["in_string"]) == len(rc.PREFIX + line)
    assert char_labels(rc.PREFIX + rc.Q4_LINE)["bracket_depth"][len(rc.PREFIX):].max() == 0  # tokenize: no bracket
