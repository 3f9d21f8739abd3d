"""Exercises that close the loop (issue 18.5, 17.3.2): the total at the end, the next chapter's page, the sandbox's
range, plain wording, try-it cells that tell right from wrong, and the keep question's stated threshold."""

from __future__ import annotations

import contextlib
import io
import re

import nbformat
import pytest
import torch
from submissions.mutations import ROOT, solution_notebook

from lstm_course.assign import site_address
from lstm_course.exercises import explore, get_exercise
from lstm_course.exercises import input_gate as ig
from lstm_course.exercises._core import _all_match

#: The exercises whose notebooks end with the total and the next chapter (the others' owners add theirs).
LOOPED = ("forget_gate", "input_gate", "cell_update", "output_gate", "whole_cell", "backward", "gradient_flow",
          "training", "variants")


def _toc_pages() -> list[str]:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"] if c["file"].split("/")[-1][:2].isdigit()]


def _own_chapter(nb) -> str:
    first = next(c.source for c in nb.cells if c.cell_type == "markdown" and "/book/" in c.source)
    return "book/" + re.search(r"/book/([\w-]+)\.html", first).group(1)


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
@pytest.mark.parametrize("topic", LOOPED)
def test_the_notebook_ends_with_the_total_and_a_link_to_the_next_chapters_page(topic, folder):
    nb = nbformat.read(ROOT / folder / f"{topic}.ipynb", as_version=4)
    *_, total_md, total, nxt = nb.cells
    assert total_md.cell_type == "markdown" and "total so far" in total_md.source
    assert total.cell_type == "code" and total.source.strip() == "EXERCISE.progress()"
    pages = _toc_pages()
    want = pages[pages.index(_own_chapter(nb)) + 1]
    link = re.search(r"\]\((\S+)\)", nxt.source)
    assert nxt.cell_type == "markdown" and link, nxt.source
    assert link.group(1) == f"{site_address(ROOT)}{want}.html", (link.group(1), want)
    imports = next(c.source for c in nb.cells if f"from lstm_course.exercises.{topic} import" in c.source)
    assert "EXERCISE" in imports


def test_the_site_address_comes_from_the_repository_url(tmp_path):
    (tmp_path / "_config.yml").write_text("title: x\nrepository:\n  url: https://github.com/Some-Owner/my_course\n"
                                          "  branch: main\n")
    assert site_address(tmp_path) == "https://some-owner.github.io/my_course/"
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://gitlab.com/a/b\n")
    with pytest.raises(ValueError, match="repository.url"):
        site_address(tmp_path)
    assert site_address(ROOT).startswith("https://") and site_address(ROOT).endswith(".github.io/lstm_course/")


def test_progress_adds_up_the_latest_checks_question_by_question(capsys):
    from lstm_course.exercises import forget_gate as fg

    for q in fg.EXERCISE.questions:
        q.last = None
    empty = fg.EXERCISE.progress()
    assert empty.total == 0 and empty.max_points == fg.EXERCISE.max_points
    assert capsys.readouterr().out.count("not checked yet") == len(fg.EXERCISE.questions)
    fg.q1.check(lambda h, x, W, b: torch.sigmoid(torch.cat([h, x], -1) @ W.T + b))
    fg.q3.check("a")  # wrong
    fg.q4.check(0.525)
    capsys.readouterr()
    got = fg.EXERCISE.progress()
    out = capsys.readouterr().out
    assert got.total == fg.q1.points + fg.q4.points
    assert [r[2] for r in got.rows] == [fg.q1.points, 0.0, 0.0, fg.q4.points]
    assert f"Total: {got.total:g} of {fg.EXERCISE.max_points:g} points." in out
    assert re.search(r"✘ q3 .* 0/1 {2}not yet", out) and re.search(r"· q2 .* not checked yet", out)
    for q in fg.EXERCISE.questions:
        q.last = None


def test_success_says_the_case_matches_in_plain_english():
    assert (_all_match(1), _all_match(2), _all_match(5)) == ("The case matches.", "Both cases match.",
                                                             "All 5 cases match.")
    from lstm_course.exercises import forget_gate as fg

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fg.q1.check(lambda h, x, W, b: torch.sigmoid(torch.cat([h, x], -1) @ W.T + b))
    assert "Both cases match." in out.getvalue() and "All 2" not in out.getvalue()
    fg.q1.last = None


def test_explore_widens_the_controls_for_a_counter_with_b_f_20(capsys):
    counter = {"f": (0.0, 0.0, 20.0), "i": (0.0, 0.0, 10.0), "c": (0.0, 10.0, 0.0)}
    assert get_exercise("cell_update").questions[3].judge_answer(counter, seed=0).passed  # a correct counter
    shown = explore(counter, [1, 0, 1, 1])
    assert shown is not None and shown.config["units"][0]["b_f"] == 20.0
    assert shown.config["ranges"]["b"] == [-20.0, 20.0] and shown.config["ranges"]["W"] == [-20.0, 20.0]
    assert "reach ±20 here" in capsys.readouterr().out
    usual = explore(get_exercise("cell_update").questions[3].answer, [1, 0])
    assert usual.config["ranges"]["b"] == [-10.0, 10.0] and capsys.readouterr().out == ""
    positive = explore(ig.q5.answer, [0.2, -0.2])  # W_i on x_t = 50
    assert positive.config["ranges"]["W"] == [-50.0, 50.0]


@pytest.mark.parametrize("topic", LOOPED)
def test_each_design_question_states_its_sandboxs_range(topic):
    nb = solution_notebook(topic)
    for q in get_exercise(topic).questions:
        if q.kind != "design":
            continue
        n = int(q.name[1:])
        start = next(k for k, c in enumerate(nb.cells) if c.source.startswith(f"## Question {n} "))
        end = next((k for k, c in enumerate(nb.cells) if k > start and c.source.startswith("## ")), len(nb.cells))
        text = "\n".join(c.source for c in nb.cells[start:end] if c.cell_type == "markdown")
        if q.size == (1, 1):
            assert "reach ±10" in text and "widens" in text, (topic, q.name)
        else:
            assert "has one input" in text and "try_cell" in text, (topic, q.name)


def _cell_with(topic: str, text: str) -> str:
    (source,) = [c.source for c in solution_notebook(topic).cells if c.cell_type == "code" and text in c.source]
    return source


def _run_cell(source: str, **names) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, {"torch": torch, **names})  # noqa: S102 - the notebook's own try-it cell
    return out.getvalue()


def test_the_try_it_cells_tell_a_right_answer_from_a_wrong_one():
    right_f = lambda h, x, W, b: torch.sigmoid(torch.cat([h, x], -1) @ W.T + b)  # noqa: E731
    swapped = lambda h, x, W, b: torch.sigmoid(torch.cat([x, h], -1) @ W.T + b)  # noqa: E731
    try_f = _cell_with("forget_gate", "for bias in")
    assert _run_cell(try_f, forget_gate=right_f) != _run_cell(try_f, forget_gate=swapped)
    mine, library = [], []
    for line in _run_cell(try_f, forget_gate=right_f).splitlines():
        (mine if "yours" in line else library).append(line.split("tensor")[1])
    assert mine == library  # a right gate prints the library's numbers

    def over_time(f, i, g, c0, carry=True, swap=False):
        c, out = c0, []
        for a, b, d in zip(f, i, g, strict=True):
            a, b = (b, a) if swap else (a, b)
            c = a * (c if carry else c0) + b * d
            out.append(c)
        return torch.stack(out)

    try_c = _cell_with("cell_update", "for f_value in")
    right = _run_cell(try_c, cell_over_time=over_time)
    assert "tensor([2.0000])" in right and "tensor([0.2008])" in right
    assert right != _run_cell(try_c, cell_over_time=lambda *a: over_time(*a, carry=False))
    assert right != _run_cell(try_c, cell_over_time=lambda *a: over_time(*a, swap=True))


def test_keep_question_threshold_stated_in_its_explanation_holds():
    """Issue 17.3.2: the stated forget bias works with the solution's other rows, and 0.5 less does not."""
    q = ig.q4
    assert f"b_f = {ig.KEEP_B_F:g} or more works while b_f = {ig.KEEP_B_F - 0.5:g} does not" in q._solution
    for b_f, passes in ((ig.KEEP_B_F, True), (ig.KEEP_B_F + 3, True), (ig.KEEP_B_F - 0.5, False)):
        answer = dict(q.answer, f=(0.0, 0.0, b_f))
        assert all(q.judge_answer(answer, seed=s).passed == passes for s in range(3)), b_f
    from lstm_course.exercises._design import design_weights, run

    x = torch.zeros(20, 1, dtype=torch.float64)
    x[0, 0] = 0.3
    c = run(design_weights(dict(q.answer, f=(0.0, 0.0, ig.KEEP_B_F - 0.5)), 1, 1), x).c[:, 0]
    first = next(t for t in range(20) if c[t] < 0.285)
    assert f"c_t falls to {float(c[first]):.4f} at step {first + 1}, below 0.285" in q._solution
    assert f"tanh(0.3) = {float(torch.tanh(torch.tensor(0.3, dtype=torch.float64))):.4f}" in q._solution

