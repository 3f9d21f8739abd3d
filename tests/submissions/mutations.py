"""Known mistakes, written as edits of the solution notebooks' code.

Each :class:`Mutation` turns a solution into a buggy submission: in the code cell of
``topic`` that defines ``func`` (or sets the answer variable), replace ``old`` by ``new``.
``question`` is the question that must lose its points and ``mistake`` the name the
checker and the grader must give (``None``: only "wrong", no name expected).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Mutation:
    id: str
    topic: str
    question: str
    func: str  # function name, or the answer variable
    old: str
    new: str
    mistake: str | None


M = Mutation
MUTATIONS: tuple[Mutation, ...] = (
    # forget gate
    M("fg-tanh", "forget_gate", "q1", "forget_gate", "torch.sigmoid(", "torch.tanh(", "tanh where sigmoid belongs"),
    M("fg-nobias", "forget_gate", "q1", "forget_gate", " + b_f)", ")", "missing bias"),
    M("fg-xh", "forget_gate", "q1", "forget_gate", "[h_prev, x_t]", "[x_t, h_prev]",
      "[x, h] concatenated instead of [h, x]"),
    M("fg-transposed", "forget_gate", "q1", "forget_gate", "W_f.T", "W_f", "transposed weight"),
    M("fg-numpy", "forget_gate", "q1", "forget_gate", "+ b_f)", "+ b_f).numpy()",
      "numpy returned where torch expected"),
    M("fg-shape", "forget_gate", "q1", "forget_gate", "+ b_f)", "+ b_f).reshape(-1)", "wrong shape"),
    M("fg-inplace", "forget_gate", "q2", "kept_memory", "return f_t * c_prev", "c_prev *= f_t\n    return c_prev",
      "inputs modified in place"),
    M("fg-one-minus", "forget_gate", "q2", "kept_memory", "f_t * c_prev", "(1 - f_t) * c_prev",
      "(1 - f_t) instead of f_t"),
    M("fg-choice", "forget_gate", "q3", "q3_answer", '"b"', '"a"', "chose a"),
    # input gate and candidate
    M("ig-tanh", "input_gate", "q1", "input_gate", "torch.sigmoid(", "torch.tanh(", "tanh where sigmoid belongs"),
    M("ig-cand-sigmoid", "input_gate", "q2", "candidate", "torch.tanh(", "torch.sigmoid(",
      "sigmoid where tanh belongs"),
    M("ig-cand-noact", "input_gate", "q2", "candidate", "torch.tanh(hx @ W_c.T + b_c)", "hx @ W_c.T + b_c",
      "no activation"),
    M("ig-cand-error", "input_gate", "q2", "candidate", "return torch.tanh(", "return torch.tanhh(", None),
)


def find_cell(nb: nbformat.NotebookNode, func: str) -> int:
    """Index of the code cell that defines ``func`` (or assigns the answer variable ``func``)."""
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and re.search(rf"^(def {func}\(|{func} =)", cell.source, re.M):
            return k
    raise LookupError(f"no cell defines {func}")


def solution_notebook(topic: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / f"{topic}.ipynb", as_version=4)


def apply(mutation: Mutation, nb: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode:
    """A copy of the solution notebook (or ``nb``) with the mutation applied."""
    nb = copy.deepcopy(nb if nb is not None else solution_notebook(mutation.topic))
    k = find_cell(nb, mutation.func)
    head, marker, body = nb.cells[k].source.partition("### BEGIN SOLUTION")
    assert mutation.old in body, (mutation.id, body)
    nb.cells[k].source = head + marker + body.replace(mutation.old, mutation.new, 1)
    return nb


def cell_source(nb: nbformat.NotebookNode, func: str) -> str:
    return nb.cells[find_cell(nb, func)].source
