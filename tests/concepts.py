"""The course's key terms, each with the chapter that first teaches it, and a detector of forward references.

``CONCEPTS`` maps a chapter page (as in ``_toc.yml``) to the terms it introduces; each term has a list of regular
expressions, its aliases in words, LaTeX and code (``i_t``, ``i_{t-1}``, ``\\tilde c_t``, ``c̃_t``, ``c_tilde``).
:func:`forward_uses` finds, in a text that belongs to one chapter, the terms that a *later* chapter introduces. A
text may still name such a term when it links the chapter that teaches it (a forward pointer, "[Training](08_…)"),
since the reader is told where it comes from.

Used by ``tests/test_concepts.py`` on every chapter's prose (markdown cells and the comments of the code a reader
sees) and on every exercise's questions (the notebook's markdown, and each question's title, hint, options and
explanation in ``lstm_course/exercises/<topic>.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _symbol(letter: str) -> str:
    r"""A gate's symbol with a time index: ``i_t``, ``i_{t}``, ``i_{t-1}``, ``i_1``, ``i_{t,k}`` (not ``W_i``, ``b_i``,
    ``\phi_t``)."""
    return rf"(?<![\w\\]){letter}_(?:t\b|\{{t[^}}]*\}}|\d)"


#: chapter page -> {term: [regular expressions]}; the order of the chapters is _toc.yml's.
CONCEPTS: dict[str, dict[str, list[str]]] = {
    "book/02_forget_gate": {
        "forget gate": [r"\bforget[- ]gates?\b", _symbol("f"), r"(?<![\w\\])[Wb]_f\b"],
    },
    "book/03_input_gate": {
        "input gate": [r"\binput[- ]gates?\b", _symbol("i"), r"(?<![\w\\])[Wb]_i\b"],
        "candidate": [r"\bcandidates?\b", r"\\tilde\s*\{?\s*c\s*\}?\s*_", r"c̃", r"\bc_tilde\b",
                      r"(?<![\w\\])[Wb]_c\b"],
    },
    "book/04_cell_update": {
        "conveyor belt": [r"\bconveyor belt\b"],
    },
    "book/05_output_gate": {
        "output gate": [r"\boutput[- ]gates?\b", _symbol("o"), r"(?<![\w\\])[Wb]_o\b"],
        "h_t = o_t tanh(c_t)": [r"\btanh\s*\(\s*c_(?:t|\{t[^}]*\})\s*\)", r"\\tanh\s*\(\s*c_(?:t|\{t[^}]*\})\s*\)"],
        "peephole": [r"\bpeepholes?\b"],
    },
    "book/06_whole_cell": {
        "nn.LSTM's parameters": [r"\bweight_(?:ih|hh)\b", r"\bbias_(?:ih|hh)\b", r"\bgate order\b"],
    },
    "book/07_gradient_flow": {
        "backpropagation through time": [r"\bbackpropagation through time\b", r"\bBPTT\b"],
        "exploding gradients": [r"\bexplod(?:e|es|ing)\b"],
    },
    "book/08_training": {
        "linear probe": [r"\bprob(?:e|es|ing)\b"],
    },
    "book/09_variants": {
        "GRU": [r"\bGRUs?\b", r"\bgated recurrent units?\b", r"\breset gates?\b", r"\bupdate gates?\b"],
        "coupled gates": [r"\bcoupled(?:[- ]gates?| input and forget)\b", r"\bCIFG\b"],
    },
    "book/10_practice": {
        "truncated backpropagation": [r"\btruncated\b", r"\bTBPTT\b"],
        "bidirectional": [r"\bbidirectional\b", r"\bbi-directional\b"],
        "packed sequences": [r"\bpack(?:ed)?_(?:padded_)?sequence\b", r"\bpacked sequences?\b"],
    },
    "book/11_reading_code": {
        "bits per character": [r"\bbits per character\b", r"\bbits/char\b"],
        "n-gram": [r"\bn-grams?\b"],
        "sampling temperature": [r"\btemperatures?\b"],
        "ablation": [r"\bablat(?:e|es|ed|ion|ions|ing)\b"],
    },
}


@dataclass(frozen=True)
class ForwardUse:
    """``term`` (first taught in ``introduced``) used in a text of an earlier chapter: ``found`` is what matched."""

    term: str
    introduced: str
    found: str


def _compiled() -> list[tuple[str, str, re.Pattern[str]]]:
    return [(page, term, re.compile(p, re.I if not any(c in p for c in "_\\") else 0))
            for page, terms in CONCEPTS.items() for term, patterns in terms.items() for p in patterns]


_PATTERNS = _compiled()
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def linked_pages(text: str) -> set[str]:
    """The chapter pages ``text`` links (``book/08_training``), from ``08_training.ipynb``, ``../book/…`` or a site's
    ``…/book/08_training.html``."""
    out = set()
    for href in _LINK.findall(text):
        m = re.search(r"(?:^|/)(\d\d_[\w-]+)\.(?:ipynb|html|md)\b", href)
        if m:
            out.add(f"book/{m.group(1)}")
    return out


def forward_uses(text: str, chapter: str, order: list[str]) -> list[ForwardUse]:
    """The terms ``text`` (which belongs to ``chapter``) uses that a chapter after it in ``order`` introduces,
    leaving out those whose chapter ``text`` links. The terms of a chapter missing from ``order`` (not yet in the
    table of contents) are not checked: until it exists, an earlier chapter teaches them."""
    text = _COMMENT.sub("", text)
    here = order.index(chapter)
    links = linked_pages(text)
    found: dict[str, ForwardUse] = {}
    for page, term, pattern in _PATTERNS:
        if page not in order or order.index(page) <= here or page in links or term in found:
            continue
        m = pattern.search(text)
        if m:
            found[term] = ForwardUse(term, page, m.group(0))
    return list(found.values())
