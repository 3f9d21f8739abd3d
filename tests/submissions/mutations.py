"""Known mistakes, written as edits of the solution notebooks' code.

Each :class:`Mutation` turns a solution into a buggy submission: in the code cell of
``topic`` that defines ``func`` (or sets the answer variable), replace ``old`` by ``new``.
``question`` is the question that must lose its points and ``mistake`` the name the
checker and the grader must give (``None``: only "wrong", no name expected); ``also`` lists
questions that call the mutated function and so lose their points too.
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
    also: tuple[str, ...] = ()  # other questions that use this function and so fail too


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
    # cell update
    M("cu-swapped", "cell_update", "q1", "cell_update", "f_t * c_prev + i_t * c_tilde", "i_t * c_prev + f_t * c_tilde",
      "gates in the wrong order (f_t and i_t swapped)"),
    M("cu-inplace", "cell_update", "q1", "cell_update", "return f_t * c_prev + i_t * c_tilde",
      "c_prev.mul_(f_t)\n    return c_prev + i_t * c_tilde", "inputs modified in place"),
    M("cu-tanh", "cell_update", "q1", "cell_update", "return f_t * c_prev + i_t * c_tilde",
      "return torch.tanh(f_t * c_prev + i_t * c_tilde)", "tanh applied to c_t"),
    M("cu-not-carried", "cell_update", "q2", "cell_over_time", "c_t = f_t * c_t + i_t * c_tilde",
      "c_t = f_t * c0 + i_t * c_tilde", "c not carried from step to step"),
    M("cu-choice", "cell_update", "q3", "q3_answer", '"a"', '"d"', "chose d"),
    # output gate and hidden state
    M("og-xh", "output_gate", "q1", "output_gate", "[h_prev, x_t]", "[x_t, h_prev]",
      "[x, h] concatenated instead of [h, x]"),
    M("og-hidden-sigmoid", "output_gate", "q2", "hidden_state", "torch.tanh(c_t)", "torch.sigmoid(c_t)",
      "sigmoid where tanh belongs"),
    M("og-hidden-notanh", "output_gate", "q2", "hidden_state", "o_t * torch.tanh(c_t)", "o_t * c_t",
      "tanh left out"),
    # whole cell
    M("wc-order", "whole_cell", "q1", "lstm_step", "hx @ weights.W_f.T + weights.b_f",
      "hx @ weights.W_i.T + weights.b_i", None, also=("q3",)),
    M("wc-order-swap", "whole_cell", "q1", "lstm_step", "c_t = f_t * c_prev + i_t * c_tilde",
      "c_t = o_t * c_prev + i_t * c_tilde\n    o_t = torch.sigmoid(hx @ weights.W_f.T + weights.b_f)",
      "gates in the wrong order (W_o for f, W_f for o)", also=("q3",)),
    M("wc-returns-swapped", "whole_cell", "q1", "lstm_step", "return h_t, c_t", "return c_t, h_t",
      "(c_t, h_t) returned instead of (h_t, c_t)", also=("q3",)),
    M("wc-torch-order", "whole_cell", "q2", "weights_from_torch", "W_i, W_f, W_c, W_o = W.chunk",
      "W_f, W_i, W_c, W_o = W.chunk", None),
    M("wc-torch-bias", "whole_cell", "q2", "weights_from_torch", "b = bias_ih + bias_hh", "b = bias_ih",
      "bias_hh left out"),
    M("wc-seq-c", "whole_cell", "q3", "lstm_sequence", "lstm_step(x_t, h_t, c_t, weights)",
      "lstm_step(x_t, h_t, c0, weights)", "c not carried from step to step"),
    M("wc-seq-shape", "whole_cell", "q3", "lstm_sequence", "torch.stack(outputs)", "torch.stack(outputs, dim=1)",
      "wrong shape"),
    # backward
    M("bw-order", "backward", "q1", "lstm_step_backward", "i = 1 / (1 + np.exp(-a[:, :H]))",
      "i = 1 / (1 + np.exp(-a[:, H:2 * H]))", None),
    M("bw-db", "backward", "q1", "lstm_step_backward", "db = da.sum(axis=0)", "db = da", "wrong shape"),
    M("bw-torch", "backward", "q1", "lstm_step_backward", "return dx, dh_prev", "import torch\n    "
      "return torch.as_tensor(dx), dh_prev", "torch returned where numpy expected"),
    M("bw-choice", "backward", "q2", "q2_answer", '"b"', '"a"', "chose a"),
    # gradient flow
    M("gf-forwards", "gradient_flow", "q1", "cell_path_product",
      "P = np.ones_like(f_t)  # P[T-1] = 1, the empty product\n    for k in range(f_t.shape[0] - 2, -1, -1):\n"
      "        P[k] = f_t[k + 1] * P[k + 1]  # P_k = f_{k+1} · P_{k+1}\n    return P",
      "return np.cumprod(f_t, axis=0)", "product taken forwards in time"),
    M("gf-inplace", "gradient_flow", "q1", "cell_path_product", "P = np.ones_like(f_t)",
      "P = f_t\n    P[-1] = 1", "inputs modified in place"),
    M("gf-choice", "gradient_flow", "q2", "q2_answer", '"b"', '"a"', "chose a"),
    # training
    M("tr-count", "training", "q1", "accuracy", ".float().mean().item()", ".sum().item()",
      "count instead of fraction"),
    M("tr-inplace", "training", "q2", "with_forget_bias", "out = bias.clone()", "out = bias",
      "inputs modified in place"),
    M("tr-order", "training", "q2", "with_forget_bias", "out[H:2 * H] = value", "out[:H] = value",
      "gates in the wrong order (set the i block)"),
    M("tr-choice", "training", "q3", "q3_answer", '"c"', '"a"', "chose a"),
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


def without_hidden_tests(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A student's view of a solution notebook: the hidden-test cells dropped, the answers kept."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if "### BEGIN HIDDEN TESTS" not in c.source]
    return nb
