"""Known mistakes, written as edits of the solution notebooks' code.

Each :class:`Mutation` turns a solution into a buggy submission: in the code cell of
``topic`` that defines ``func`` (or sets the answer variable), replace ``old`` by ``new``.
``question`` is the question that must lose its points and ``mistake`` the name the
checker and the grader must give (``None``: only "wrong", no name expected); ``also`` lists
questions that call the mutated function and so lose their points too; ``more`` holds further
``(old, new)`` replacements in the same cell, for a mistake made in two places.

Answers to design and predict questions are edited the same way (a number in the answer cell).
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
    more: tuple[tuple[str, str], ...] = ()  # further (old, new) replacements in the same cell


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
    M("fg-predict", "forget_gate", "q4", "q4_answer", "0.525", "0.1", "sigmoid left out"),
    M("fg-predict-bias", "forget_gate", "q4", "q4_answer", "0.525", "0.289", "bias left out"),
    # input gate and candidate
    M("ig-tanh", "input_gate", "q1", "input_gate", "torch.sigmoid(", "torch.tanh(", "tanh where sigmoid belongs"),
    M("ig-cand-sigmoid", "input_gate", "q2", "candidate", "torch.tanh(", "torch.sigmoid(",
      "sigmoid where tanh belongs"),
    M("ig-cand-noact", "input_gate", "q2", "candidate", "torch.tanh(hx @ W_c.T + b_c)", "hx @ W_c.T + b_c",
      "no activation"),
    M("ig-cand-error", "input_gate", "q2", "candidate", "return torch.tanh(", "return torch.tanhh(", None),
    M("ig-keep-bias", "input_gate", "q4", "keep_cell", '"f": (0.0, 0.0, 10.0)', '"f": (0.0, 0.0, -10.0)',
      "wrong sign of b_f"),
    M("ig-keep-leaks", "input_gate", "q4", "keep_cell", '"f": (0.0, 0.0, 10.0)', '"f": (0.0, 0.0, 3.0)',
      "forget gate not saturated"),
    M("ig-keep-h", "input_gate", "q4", "keep_cell", '"c": (0.0, 1.0, 0.0)', '"c": (1.0, 0.0, 0.0)',
      "weight on h instead of x in the candidate"),
    M("ig-keep-malformed", "input_gate", "q4", "keep_cell", '"f": (0.0, 0.0, 10.0)', '"f": (0.0, 10.0)',
      "malformed answer"),
    M("ig-positive-flipped", "input_gate", "q5", "positive_cell", '"i": (0.0, 50.0, 0.0)', '"i": (0.0, -50.0, 0.0)',
      "input gate saturated the wrong way"),
    M("ig-positive-h", "input_gate", "q5", "positive_cell", '"i": (0.0, 50.0, 0.0)', '"i": (50.0, 0.0, 0.0)',
      "weight on h instead of x in the input gate"),
    M("ig-positive-soft", "input_gate", "q5", "positive_cell", '"i": (0.0, 50.0, 0.0)', '"i": (0.0, 10.0, 0.0)',
      "input gate not saturated"),
    M("ig-predict", "input_gate", "q6", "q6_answer", "-0.671", "0.237", "sigmoid for the candidate"),
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
    M("cu-count-bias", "cell_update", "q4", "count_cell", '"f": (0.0, 0.0, 10.0)', '"f": (0.0, 0.0, -10.0)',
      "wrong sign of b_f"),
    M("cu-count-leaks", "cell_update", "q4", "count_cell", '"f": (0.0, 0.0, 10.0)', '"f": (0.0, 0.0, 4.0)',
      "forget gate not saturated"),
    M("cu-count-h", "cell_update", "q4", "count_cell", '"c": (0.0, 10.0, 0.0)', '"c": (10.0, 0.0, 0.0)',
      "weight on h instead of x in the candidate"),
    M("cu-count-soft", "cell_update", "q4", "count_cell", '"c": (0.0, 10.0, 0.0)', '"c": (0.0, 1.0, 0.0)',
      "candidate not saturated"),
    M("cu-wipe-flipped", "cell_update", "q5", "wipe_cell", '"f": (0.0, 0.0, -20.0, 10.0)',
      '"f": (0.0, 0.0, 20.0, -10.0)', "forget gate saturated the wrong way"),
    M("cu-wipe-h", "cell_update", "q5", "wipe_cell", '"f": (0.0, 0.0, -20.0, 10.0)', '"f": (-20.0, 0.0, 0.0, 10.0)',
      "weight on h instead of x in the forget gate"),
    M("cu-predict", "cell_update", "q6", "q6_answer", "1.6", "0.64", "f_t and i_t swapped"),
    M("cu-predict-half", "cell_update", "q7", "q7_answer", "= 6", "= 5", "rounded down"),
    # output gate and hidden state
    M("og-xh", "output_gate", "q1", "output_gate", "[h_prev, x_t]", "[x_t, h_prev]",
      "[x, h] concatenated instead of [h, x]"),
    M("og-hidden-sigmoid", "output_gate", "q2", "hidden_state", "torch.tanh(c_t)", "torch.sigmoid(c_t)",
      "sigmoid where tanh belongs"),
    M("og-hidden-notanh", "output_gate", "q2", "hidden_state", "o_t * torch.tanh(c_t)", "o_t * c_t",
      "tanh left out"),
    M("og-cue-flipped", "output_gate", "q4", "cue_cell", '"o": (0.0, 0.0, 20.0, -10.0)', '"o": (0.0, 0.0, -20.0, 10.0)',
      "output gate saturated the wrong way"),
    M("og-cue-bias", "output_gate", "q4", "cue_cell", '"o": (0.0, 0.0, 20.0, -10.0)', '"o": (0.0, 0.0, 20.0, 10.0)',
      "wrong sign of b_o"),
    M("og-cue-h", "output_gate", "q4", "cue_cell", '"o": (0.0, 0.0, 20.0, -10.0)', '"o": (20.0, 0.0, 0.0, -10.0)',
      "weight on h instead of x in the output gate"),
    M("og-final-bug", "output_gate", "q5", "final_state", "h_t, c_t = lstm_step(", "c_t, h_t = lstm_step(",
      "h and c swapped when unpacking lstm_step"),
    M("og-final-return", "output_gate", "q5", "final_state", "return h_t, c_t", "return c_t, h_t",
      "(c_T, h_T) returned instead of (h_T, c_T)"),
    M("og-predict", "output_gate", "q6", "q6_answer", "0.4975", "1.5", "tanh left out"),
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
    M("wc-sign-bias", "whole_cell", "q5", "sign_cell", '"i": [(0.0, -30.0, 0.0, 10.0)',
      '"i": [(0.0, -30.0, 0.0, -10.0)', "wrong sign of b_i (unit 1)"),
    M("wc-sign-h", "whole_cell", "q5", "sign_cell", '"c": [(0.0, 0.0, 10.0, 0.0)', '"c": [(0.0, 10.0, 0.0, 0.0)',
      "weight on h instead of x in the candidate (unit 1)"),
    M("wc-sign-candidate", "whole_cell", "q5", "sign_cell", '"c": [(0.0, 0.0, 10.0, 0.0)',
      '"c": [(0.0, 0.0, -10.0, 0.0)', "candidate (unit 1) with the wrong sign"),
    M("wc-torch-bug", "whole_cell", "q6", "step_from_torch", "i, f, g, o = gates.chunk", "f, i, g, o = gates.chunk",
      "gates in the wrong order (f, i, g, o instead of i, f, g, o)"),
    M("wc-torch-partial", "whole_cell", "q6", "step_from_torch", "i, f, g, o = gates.chunk", "i, f, o, g = gates.chunk",
      "gates still in the wrong order (i, f, o, g instead of i, f, g, o)"),
    M("wc-params", "whole_cell", "q7", "q7_answer", "2560", "2480", "one bias vector"),
    M("wc-shape", "whole_cell", "q8", "q8_answer", "(4, 30, 16)", "(30, 4, 16)", "batch_first ignored"),
    # backward
    M("bw-order", "backward", "q1", "lstm_step_backward", "i = 1 / (1 + np.exp(-a[:, :H]))",
      "i = 1 / (1 + np.exp(-a[:, H:2 * H]))", None),
    M("bw-db", "backward", "q1", "lstm_step_backward", "db = da.sum(axis=0)", "db = da", "wrong shape"),
    M("bw-torch", "backward", "q1", "lstm_step_backward", "return dx, dh_prev", "import torch\n    "
      "return torch.as_tensor(dx), dh_prev", "torch returned where numpy expected"),
    M("bw-choice", "backward", "q2", "q2_answer", '"b"', '"a"', "chose a"),
    M("bw-no-dh-term", "backward", "q1", "lstm_step_backward", "dc_total = dc + dh * o * (1 - tanh_c**2)",
      "dc_total = dc", "missing δh → δc term"),
    M("bw-tanh", "backward", "q1", "lstm_step_backward", "(1 - tanh_c**2)", "(1 - tanh_c)",
      "1 − tanh instead of 1 − tanh²"),
    M("bw-tanh-candidate", "backward", "q1", "lstm_step_backward", "(1 - g**2)", "(1 - g)",
      "1 − tanh instead of 1 − tanh²"),
    M("bw-no-f", "backward", "q1", "lstm_step_backward", "dc_prev = dc_total * f", "dc_prev = dc_total",
      "f_t left out of δc_{t-1}"),
    M("bw-gate-order", "backward", "q1", "lstm_step_backward", "i = 1 / (1 + np.exp(-a[:, :H]))\n",
      "i = 1 / (1 + np.exp(-a[:, H:2 * H]))\n", "gates in the wrong order (f, i, g, o instead of i, f, g, o)",
      more=(("f = 1 / (1 + np.exp(-a[:, H:2 * H]))", "f = 1 / (1 + np.exp(-a[:, :H]))"),
            ("        dc_total * g * i * (1 - i),  # d a_i\n        dc_total * c_prev * f * (1 - f),  # d a_f",
             "        dc_total * c_prev * f * (1 - f),  # d a_f\n        dc_total * g * i * (1 - i),  # d a_i"))),
    M("bw-sign", "backward", "q1", "lstm_step_backward", "dh * tanh_c * o * (1 - o)", "dh * tanh_c * o * (o - 1)",
      "sign error"),
    M("bw-sign-db", "backward", "q1", "lstm_step_backward", "db = da.sum(axis=0)", "db = -da.sum(axis=0)",
      "sign error"),
    M("bw-predict", "backward", "q4", "q4_answer", "1.051", "0.9", "missing δh → δc term"),
    # gradient flow
    M("gf-forwards", "gradient_flow", "q1", "cell_path_product",
      "P = np.ones_like(f_t)  # P[T-1] = 1, the empty product\n    for k in range(f_t.shape[0] - 2, -1, -1):\n"
      "        P[k] = f_t[k + 1] * P[k + 1]  # P_k = f_{k+1} · P_{k+1}\n    return P",
      "return np.cumprod(f_t, axis=0)", "product taken forwards in time"),
    M("gf-inplace", "gradient_flow", "q1", "cell_path_product", "P = np.ones_like(f_t)",
      "P = f_t\n    P[-1] = 1", "inputs modified in place"),
    M("gf-choice", "gradient_flow", "q2", "q2_answer", '"b"', '"a"', "chose a"),
    M("gf-predict", "gradient_flow", "q4", "q4_answer", "0.0925", "0.088", "one factor too many"),
    # training
    M("tr-count", "training", "q1", "accuracy", ".float().mean().item()", ".sum().item()",
      "count instead of fraction"),
    M("tr-inplace", "training", "q2", "with_forget_bias", "out = bias.clone()", "out = bias",
      "inputs modified in place"),
    M("tr-order", "training", "q2", "with_forget_bias", "out[H:2 * H] = value", "out[:H] = value",
      "gates in the wrong order (set the i block)"),
    M("tr-choice", "training", "q3", "q3_answer", '"d"', '"c"', "chose c"),
    M("tr-bias-twice", "training", "q4", "set_forget_bias", "bias_hh[H:2 * H] = 0.0", "bias_hh[H:2 * H] = value",
      "forget bias added twice"),
    M("tr-bias-kept", "training", "q4", "set_forget_bias", "bias_hh[H:2 * H] = 0.0", "pass",
      "bias_hh's forget rows left as they were"),
    M("tr-bias-block", "training", "q4", "set_forget_bias", "bias_ih[H:2 * H] = value", "bias_ih[:H] = value",
      None),
    M("pr-not-detached", "practice", "q3", "chunk_gradients", "h_t, c_t = h_t.detach(), c_t.detach()", "pass",
      "state not detached between chunks",
      more=(("torch.autograd.grad(loss, W_f)", "torch.autograd.grad(loss, W_f, retain_graph=True)"),)),
    M("pr-c-not-detached", "practice", "q3", "chunk_gradients", "h_t, c_t = h_t.detach(), c_t.detach()",
      "h_t = h_t.detach()", "c_t not detached (only h_t)",
      more=(("torch.autograd.grad(loss, W_f)", "torch.autograd.grad(loss, W_f, retain_graph=True)"),)),
    # variants: the GRU step, the gate that keeps the memory
    M("va-z-swap", "variants", "q1", "gru_step", "return (1 - z_t) * n_t + z_t * h_prev",
      "return z_t * n_t + (1 - z_t) * h_prev", "z and 1 - z swapped"),
    M("va-reset-input", "variants", "q1", "gru_step", "n_t = torch.tanh(i_n + r_t * h_n)",
      "n_t = torch.tanh(r_t * i_n + h_n)", "reset applied to the input term"),
    M("va-reset-before", "variants", "q1", "gru_step", "n_t = torch.tanh(i_n + r_t * h_n)",
      "H = h_prev.shape[-1]\n    n_t = torch.tanh(i_n + (r_t * h_prev) @ weight_hh[2 * H:].T + bias_hh[2 * H:])",
      "reset applied to h before W_hn"),
    M("va-no-reset", "variants", "q1", "gru_step", "n_t = torch.tanh(i_n + r_t * h_n)", "n_t = torch.tanh(i_n + h_n)",
      "reset gate left out"),
    M("va-order", "variants", "q1", "gru_step", "i_r, i_z, i_n = gi.chunk", "i_z, i_r, i_n = gi.chunk",
      "PyTorch's gate order confused (z, r, n instead of r, z, n)",
      more=(("h_r, h_z, h_n = gh.chunk", "h_z, h_r, h_n = gh.chunk"),)),
    M("va-order-lstm-habit", "variants", "q1", "gru_step", "i_r, i_z, i_n = gi.chunk", "i_z, i_n, i_r = gi.chunk",
      "PyTorch's gate order confused (z, n, r instead of r, z, n)",
      more=(("h_r, h_z, h_n = gh.chunk", "h_z, h_n, h_r = gh.chunk"),)),
    M("va-xh", "variants", "q1", "gru_step", "r_t = torch.sigmoid(i_r + h_r)",
      "H = h_prev.shape[-1]\n    W_r = torch.cat([weight_hh[:H], weight_ih[:H]], dim=1)\n"
      "    r_t = torch.sigmoid(torch.cat([x_t, h_prev], dim=-1) @ W_r.T + bias_ih[:H] + bias_hh[:H])",
      "[x, h] concatenated instead of [h, x]",
      more=(("z_t = torch.sigmoid(i_z + h_z)",
             "W_z = torch.cat([weight_hh[H:2 * H], weight_ih[H:2 * H]], dim=1)\n"
             "    z_t = torch.sigmoid(torch.cat([x_t, h_prev], dim=-1) @ W_z.T\n"
             "                        + bias_ih[H:2 * H] + bias_hh[H:2 * H])"),)),
    M("va-swap-inputs", "variants", "q1", "gru_step", "gi = x_t @ weight_ih.T", "gi = h_prev @ weight_ih.T",
      "x_t and h_prev swapped", more=(("gh = h_prev @ weight_hh.T", "gh = x_t @ weight_hh.T"),)),
    M("va-no-bias-hh", "variants", "q1", "gru_step", "gh = h_prev @ weight_hh.T + bias_hh", "gh = h_prev @ weight_hh.T",
      "bias_hh left out"),
    M("va-choice", "variants", "q2", "q2_answer", '"b"', '"c"', "chose c"),
    # practice: a stacked bidirectional LSTM's shapes (and, above, truncated backpropagation)
    M("pr-shape-onedir", "practice", "q1", "q1_answer", "(3, 30, 32)", "(3, 30, 16)", "one direction only"),
    M("pr-shape-batch-first", "practice", "q1", "q1_answer", "(3, 30, 32)", "(30, 3, 32)", "batch_first ignored"),
    M("pr-hn-directions", "practice", "q2", "q2_answer", "(4, 3, 16)", "(2, 3, 16)", "directions not counted"),
    M("pr-hn-concatenated", "practice", "q2", "q2_answer", "(4, 3, 16)", "(2, 3, 32)", "directions concatenated"),
    # reading code: the correlation of every unit, the unit that tracks docstrings, two units on a line
    M("rc-not-centred", "reading_code", "q1", "unit_correlations", "v = values.double() - values.double().mean(0)",
      "v = values.double()", "not centred (the cosine of the raw values)",
      more=(("y = target.double() - target.double().mean()", "y = target.double()"),)),
    M("rc-covariance", "reading_code", "q1", "unit_correlations",
      "r = (y @ v) / torch.where(den > 0, den, torch.ones_like(den))", "r = (y @ v) / len(y)",
      "covariance, not correlation"),
    M("rc-absolute", "reading_code", "q1", "unit_correlations", "return torch.where(den > 0, r, torch.zeros_like(r))",
      "return torch.where(den > 0, r, torch.zeros_like(r)).abs()", "absolute value taken"),
    M("rc-string-unit", "reading_code", "q2", "q2_answer", "q2_answer = 29", "q2_answer = 162",
      "tracks a correlated property"),
    M("rc-untrained-unit", "reading_code", "q2", "q2_answer", "q2_answer = 29", "q2_answer = 233",
      "the untrained network's best unit"),
    M("rc-no-unit", "reading_code", "q2", "q2_answer", "q2_answer = 29", "q2_answer = 256", "no such unit"),
    M("rc-q3", "reading_code", "q3", "q3_answer", '"c"', '"a"', "chose a"),
    M("rc-q4", "reading_code", "q4", "q4_answer", '"b"', '"a"', "chose a"),
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
    for old, new in ((mutation.old, mutation.new), *mutation.more):
        assert old in body, (mutation.id, old, body)
        body = body.replace(old, new, 1)
    nb.cells[k].source = head + marker + body
    return nb


def cell_source(nb: nbformat.NotebookNode, func: str) -> str:
    return nb.cells[find_cell(nb, func)].source


def without_hidden_tests(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A student's view of a solution notebook: the hidden-test cells dropped, the answers kept."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if "### BEGIN HIDDEN TESTS" not in c.source]
    return nb


# ------------------------------------------------------------------ notebooks as a student hands them in

#: Code a student could add to fool checks that run in the student's own kernel (nbgrader's hidden tests):
#: every question object of the notebook (any kind) gets a ``check`` that always passes.
TAMPER = ("for _obj in list(globals().values()):\n"
          "    if callable(getattr(_obj, 'check', None)) and hasattr(_obj, 'points'):\n"
          "        _obj.check = lambda *args, **kwargs: True\n\n")


def student_notebook(topic: str, answers: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode:
    """The released exercise with its answer cells filled in from ``answers`` (default: the solution).

    Cells are matched by id; the solution markers are dropped, as a student never sees them.
    ``answers=None`` and no filling at all is the untouched exercise: use :func:`exercise_notebook`.
    """
    nb = exercise_notebook(topic)
    by_id = {c.id: c for c in (answers if answers is not None else solution_notebook(topic)).cells}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            lines = by_id[cell.id].source.split("\n")
            cell.source = "\n".join(line for line in lines if line.strip() not in ("### BEGIN SOLUTION",
                                                                                  "### END SOLUTION"))
    return nb


def exercise_notebook(topic: str) -> nbformat.NotebookNode:
    """The untouched exercise, exactly as ``exercises/`` holds it."""
    return nbformat.read(ROOT / "exercises" / f"{topic}.ipynb", as_version=4)


def tampered_exercise(topic: str = "forget_gate") -> nbformat.NotebookNode:
    """The untouched exercise with :data:`TAMPER` at the top of its first answer cell (no answer written)."""
    nb = exercise_notebook(topic)
    first = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = TAMPER + first.source
    return nb
