"""No concept before its chapter (issues 18.3 and 17.3.3).

Every chapter's prose (markdown cells, and the comments of the code cells a reader sees) and every exercise
question (the notebook's markdown and comments, and each question's title, hint, options, explanation and
feedback in ``lstm_course/exercises/<topic>.py``) may use only the key terms of ``tests/concepts.py`` that its
chapter or an earlier one introduces, unless the same cell links the chapter that teaches the term. An exercise
belongs to the chapter its notebook links first.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest
import yaml
from concepts import CONCEPTS, forward_uses, linked_pages

from lstm_course.exercises import TOPICS, get_exercise

ROOT = Path(__file__).resolve().parents[1]
HIDDEN = {"remove-cell", "remove-input", "hide-input", "hide-cell"}


def _order() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [p for p in pages if re.match(r"book/\d\d_", p)]


ORDER = _order()


def _comments(source: str) -> str:
    """The ``#`` comments of a code cell (IPython magics and shell lines dropped first)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return ""
    return "\n".join(t.string.lstrip("#") for t in tokens if t.type == tokenize.COMMENT)


def _reader_texts(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """``(cell number, text)`` of what a reader reads in each cell."""
    out = []
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            out.append((k + 1, cell.source))
        elif cell.cell_type == "code" and not HIDDEN & set(cell.metadata.get("tags", [])):
            text = _comments(cell.source)
            if text.strip():
                out.append((k + 1, text))
    return out


def _report(where: str, uses) -> str:
    return "; ".join(f"{where} uses {u.term!r} ({u.found!r}), first taught in {u.introduced}" for u in uses)


# ------------------------------------------------------------------------ the detector itself


def test_the_detector_finds_a_later_term_in_words_latex_and_code():
    order = ["book/02_forget_gate", "book/03_input_gate", "book/04_cell_update", "book/05_output_gate"]
    chapter = "book/02_forget_gate"
    # the issue's own example, and the forget-gate exercise's old keep question
    assert [u.term for u in forward_uses("every input $x_t = 1$ opens its input gate", chapter, order)] == [
        "input gate"]
    assert {u.term for u in forward_uses("an open input gate and a candidate tanh(w x_t) ≈ x_t", chapter, order)} \
        == {"input gate", "candidate"}
    for text in (r"$i_t = 0.9$", r"$i_{t-1}$", r"the gate $i_1$", r"$\tilde c_t$", r"$\tilde{c}_t$", "c̃_t",
                 "c_tilde", r"with $b_i = 2$"):
        assert forward_uses(text, chapter, order), text
    assert [u.term for u in forward_uses(r"$h_t = o_t \odot \tanh(c_t)$", "book/04_cell_update", order)] == [
        "output gate", "h_t = o_t tanh(c_t)"]


def test_the_detector_respects_word_boundaries_order_and_forward_links():
    order = ["book/02_forget_gate", "book/03_input_gate", "book/04_cell_update"]
    quiet = ("the inputs x_t and h_{t-1}", "W_f and b_f", "the input gated nothing", r"$\phi_t$", "a bias b_ih",
             "0.599<!-- i_t:.3f -->", "tanh(c_prev)")
    for text in quiet:
        assert not forward_uses(text, "book/02_forget_gate", order), text
    assert not forward_uses("the input gate $i_t$", "book/03_input_gate", order)  # its own chapter
    assert not forward_uses("the forget gate $f_t$", "book/04_cell_update", order)  # an earlier one
    pointer = "the input gate, which [The input gate and the candidate](03_input_gate.ipynb) explains"
    assert not forward_uses(pointer, "book/02_forget_gate", order)
    site = "see [it](https://o.github.io/r/book/03_input_gate.html#x): the input gate"
    assert linked_pages(site) == {"book/03_input_gate"} and not forward_uses(site, "book/02_forget_gate", order)
    # a term whose chapter is not (yet) in the table of contents is not checked; once it is, it is
    assert not forward_uses("truncated backpropagation", "book/04_cell_update", order)
    assert forward_uses("truncated backpropagation", "book/04_cell_update", [*order, "book/10_practice"])


def test_every_chapter_of_the_table_of_contents_has_its_terms_listed_or_none():
    assert set(CONCEPTS) - set(ORDER) <= {"book/10_practice"}, "a page of concepts.py left the table of contents"
    assert ORDER[0] == "book/01_data_path" and ORDER == sorted(ORDER)


# ------------------------------------------------------------------------ the chapters


@pytest.mark.parametrize("page", ORDER)
def test_no_chapter_uses_a_term_before_the_chapter_that_teaches_it(page):
    nb = nbformat.read(ROOT / f"{page}.ipynb", as_version=4)
    problems = [_report(f"{page}.ipynb cell {k}", forward_uses(text, page, ORDER)) for k, text in _reader_texts(nb)]
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------ the exercises


def _chapter_of(nb: nbformat.NotebookNode) -> str:
    first = next(c.source for c in nb.cells if c.cell_type == "markdown" and linked_pages(c.source))
    return sorted(linked_pages(first), key=ORDER.index)[0]


def _question_texts(q) -> list[str]:
    texts = [q.title, q._hint, str(getattr(q, "_solution", "")), getattr(q, "explanation", "")]
    texts += list(getattr(q, "options", {}).values()) + list(getattr(q, "_why", {}).values())
    texts += [f"{m.name}. {m.fix}" for m in getattr(q, "mistakes", ())]
    texts += [f"{s.name}. {getattr(s, 'fix', '')}" for s in getattr(q, "slips", ())]
    for attr in ("bug", "bug_fix"):
        texts.append(str(getattr(q, attr, "")))
    if getattr(q, "working", None):
        texts.append(q.working())
    return [t for t in texts if t]


@pytest.mark.parametrize("topic", TOPICS)
def test_no_exercise_question_uses_a_term_before_its_chapter(topic):
    nb = nbformat.read(ROOT / "exercises" / f"{topic}.ipynb", as_version=4)
    chapter = _chapter_of(nb)
    problems = [_report(f"exercises/{topic}.ipynb cell {k}", forward_uses(text, chapter, ORDER))
                for k, text in _reader_texts(nb)]
    module = f"lstm_course.exercises.{topic}"
    for q in get_exercise(topic).questions:
        for text in _question_texts(q):
            problems.append(_report(f"{module}.{q.name}", forward_uses(text, chapter, ORDER)))
    problems = [p for p in dict.fromkeys(problems) if p]
    assert not problems, f"{topic} belongs to {chapter}:\n" + "\n".join(problems)
