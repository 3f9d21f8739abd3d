"""Exercise: the GRU step and the gate that keeps its memory (chapter "Variants").

q1 writes one step of ``torch.nn.GRU`` from its stacked parameters (the checker names the usual
mistakes: ``z`` and ``1 - z`` swapped, the reset gate on the wrong term, PyTorch's gate order
confused, ``[x, h]`` against ``[h, x]``, ``bias_hh`` left out); q2 asks which gate of the GRU keeps the
memory. The shapes of a stacked bidirectional LSTM moved to the exercise of chapter "Practice".
"""

from __future__ import annotations

import itertools

import torch

from .. import gru, layout
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake

__all__ = ["EXERCISE", "q1", "q2"]

TORCH_GRU = ("torch.nn.GRU", "torch.nn.GRUCell", "torch.gru", "torch.gru_cell", "torch._VF.gru",
             "torch._VF.gru_cell")
LIBRARY = (*TORCH_GRU, "lstm_course.gru.gru_step", "lstm_course.gru.reset_gate", "lstm_course.gru.update_gate",
           "lstm_course.gru.gru_candidate", "lstm_course.gru.gru_hidden_state", "lstm_course.gru_layer.GRU",
           "lstm_course.layout.gru_from_torch_layout", "lstm_course.layout.split_gru_gates",
           "lstm_course.layout.gru_gate_slice")


def _cases(gen: torch.Generator) -> list[tuple]:
    """Case 1 is unbatched with I = H (so that an [x, h] mix-up gives numbers, not a shape error); case 2 a batch."""
    r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64) * 0.8  # noqa: E731
    out = []
    for B, I, H in ((None, 3, 3), (4, 2, 3)):
        lead = () if B is None else (B,)
        out.append((r(*lead, I), r(*lead, H), r(3 * H, I), r(3 * H, H), r(3 * H), r(3 * H)))
    return out


def _reference(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of ``torch.nn.GRU``: the library's :func:`~lstm_course.gru.gru_step` on the book's weights."""
    return gru.gru_step(x_t, h_prev, layout.gru_from_torch_layout(weight_ih, weight_hh, bias_ih, bias_hh))


def _parts(x, h, wi, wh, bi, bh):
    """The six half pre-activations ``W_i* x + b_i*`` and ``W_h* h + b_h*``, by PyTorch's documented rows."""
    H = wh.shape[1]
    gi = {g: x @ wi[layout.gru_gate_slice(g, H)].T + bi[layout.gru_gate_slice(g, H)] for g in layout.GRU_GATE_ORDER}
    gh = {g: h @ wh[layout.gru_gate_slice(g, H)].T + bh[layout.gru_gate_slice(g, H)] for g in layout.GRU_GATE_ORDER}
    return gi, gh


def _z_swapped(x, h, wi, wh, bi, bh):
    gi, gh = _parts(x, h, wi, wh, bi, bh)
    r, z = torch.sigmoid(gi["r"] + gh["r"]), torch.sigmoid(gi["z"] + gh["z"])
    n = torch.tanh(gi["n"] + r * gh["n"])
    return z * n + (1 - z) * h  # the mistake: z weights the candidate


def _reset_on_input(x, h, wi, wh, bi, bh):
    gi, gh = _parts(x, h, wi, wh, bi, bh)
    r, z = torch.sigmoid(gi["r"] + gh["r"]), torch.sigmoid(gi["z"] + gh["z"])
    n = torch.tanh(r * gi["n"] + gh["n"])  # the mistake: r scales the input half
    return (1 - z) * n + z * h


def _reset_before_matrix(x, h, wi, wh, bi, bh):
    H = wh.shape[1]
    gi, gh = _parts(x, h, wi, wh, bi, bh)
    r, z = torch.sigmoid(gi["r"] + gh["r"]), torch.sigmoid(gi["z"] + gh["z"])
    rows = layout.gru_gate_slice("n", H)
    n = torch.tanh(gi["n"] + (r * h) @ wh[rows].T + bh[rows])  # Cho et al.'s form: W_hn (r ⊙ h) + b_hn
    return (1 - z) * n + z * h


def _no_reset(x, h, wi, wh, bi, bh):
    gi, gh = _parts(x, h, wi, wh, bi, bh)
    z = torch.sigmoid(gi["z"] + gh["z"])
    return (1 - z) * torch.tanh(gi["n"] + gh["n"]) + z * h


def _reorder_rows(t: torch.Tensor, assumed: tuple[str, ...]) -> torch.Tensor:
    """Rows as a student who believes the stack is in order ``assumed`` reads them."""
    H = t.shape[0] // 3
    true_blocks = [t[layout.gru_gate_slice(g, H)] for g in layout.GRU_GATE_ORDER]
    return torch.cat([true_blocks[assumed.index(g)] for g in layout.GRU_GATE_ORDER], dim=0)


def _order_mistakes() -> list[Mistake]:
    out = []
    for assumed in itertools.permutations(layout.GRU_GATE_ORDER):
        if assumed == layout.GRU_GATE_ORDER:
            continue
        out.append(Mistake(
            f"PyTorch's gate order confused ({', '.join(assumed)} instead of r, z, n)",
            "torch.nn.GRU stacks the rows as r, z, n: the first H rows are the reset gate, the next H the update "
            "gate, the last H the candidate.",
            output=lambda x, h, wi, wh, bi, bh, a=assumed: _reference(x, h, *(_reorder_rows(t, a)
                                                                            for t in (wi, wh, bi, bh)))))
    return out


def _xh_swapped(x, h, wi, wh, bi, bh):
    """[x, h] against [W_h | W_i] for the two gates: W_h* meets x and W_i* meets h (needs I = H)."""
    if x.shape[-1] != h.shape[-1]:
        raise ValueError("only when I = H")
    H = wh.shape[1]
    rz = slice(0, 2 * H)  # r and z rows: the two gates the book writes on [h_{t-1}, x_t]
    wi2, wh2 = wi.clone(), wh.clone()
    wi2[rz], wh2[rz] = wh[rz], wi[rz]
    return _reference(x, h, wi2, wh2, bi, bh)


def _inputs_swapped(x, h, wi, wh, bi, bh):
    """x_t multiplied by weight_hh and h_{t-1} by weight_ih everywhere (needs I = H)."""
    if x.shape[-1] != h.shape[-1]:
        raise ValueError("only when I = H")
    gi, gh = _parts(h, x, wi, wh, bi, bh)
    r, z = torch.sigmoid(gi["r"] + gh["r"]), torch.sigmoid(gi["z"] + gh["z"])
    return (1 - z) * torch.tanh(gi["n"] + r * gh["n"]) + z * h


def _solution_q1(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    gi = x_t @ weight_ih.T + bias_ih  # (…, 3H): W_i* x_t + b_i*, rows r, z, n
    gh = h_prev @ weight_hh.T + bias_hh  # (…, 3H): W_h* h_{t-1} + b_h*
    i_r, i_z, i_n = gi.chunk(3, dim=-1)  # (…, H) each; nn.GRU's row order: r, z, n
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r_t = torch.sigmoid(i_r + h_r)  # reset gate
    z_t = torch.sigmoid(i_z + h_z)  # update gate
    n_t = torch.tanh(i_n + r_t * h_n)  # candidate: the reset gate scales W_hn h_{t-1} + b_hn
    return (1 - z_t) * n_t + z_t * h_prev  # h_t


q1 = CodeQuestion(
    "q1", "one step of nn.GRU, gru_step", 4, func_name="gru_step",
    arg_names=("x_t", "h_prev", "weight_ih", "weight_hh", "bias_ih", "bias_hh"), cases=_cases, reference=_reference,
    mistakes=[
        Mistake("z and 1 - z swapped", "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}: the update gate z_t weights the old "
                "state (z_t → 1 keeps it), 1 - z_t the candidate.", output=_z_swapped),
        Mistake("reset applied to the input term",
                "The reset gate scales the hidden half: n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn)).",
                output=_reset_on_input),
        Mistake("reset applied to h before W_hn",
                "PyTorch applies r_t after the product: r_t ⊙ (W_hn h_{t-1} + b_hn), not W_hn (r_t ⊙ h_{t-1}) + b_hn "
                "(that is Cho et al.'s original form).", output=_reset_before_matrix),
        Mistake("reset gate left out", "The candidate reads the hidden half through the reset gate: "
                "r_t ⊙ (W_hn h_{t-1} + b_hn).", output=_no_reset),
        *_order_mistakes(),
        Mistake("[x, h] concatenated instead of [h, x]",
                "If you concatenate, keep the orders together: [h_{t-1}, x_t] against [W_h | W_i] (hidden first), "
                "or compute W_i x_t and W_h h_{t-1} separately.", output=_xh_swapped),
        Mistake("x_t and h_prev swapped", "weight_ih multiplies the input x_t, weight_hh the previous state h_{t-1}.",
                output=_inputs_swapped),
        Mistake("bias_hh left out", "nn.GRU adds both biases, bias_ih and bias_hh (and b_hn sits inside the reset "
                "product).", output=lambda x, h, wi, wh, bi, bh: _reference(x, h, wi, wh, bi, torch.zeros_like(bh))),
    ],
    forbidden=LIBRARY,
    hint="Compute gi = x_t @ weight_ih.T + bias_ih and gh = h_prev @ weight_hh.T + bias_hh, cut each into three "
         "blocks of H in nn.GRU's order r, z, n, then r_t = σ(gi_r + gh_r), z_t = σ(gi_z + gh_z), "
         "n_t = tanh(gi_n + r_t ⊙ gh_n) and h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}.",
    solution=_solution_q1,
)


q2 = ChoiceQuestion(
    "q2", "which GRU gate keeps the memory", 1, variable="q2_answer",
    options={"a": "the reset gate r_t: r_t → 1 keeps h_{t-1}",
             "b": "the update gate z_t: z_t → 1 keeps h_{t-1}",
             "c": "the update gate z_t: z_t → 0 keeps h_{t-1}",
             "d": "the candidate n_t: n_t → 1 keeps h_{t-1}"},
    answer="b",
    why={"a": "r_t only decides how much of h_{t-1} the candidate n_t sees; with z_t = 0 the old state is replaced "
              "whatever r_t is.",
         "c": "h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}: z_t → 0 takes the candidate and drops h_{t-1}.",
         "d": "n_t is the proposed new content, not a gate; it is in (-1, 1)."},
    hint="Set z_t to 1 and then to 0 in h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}.",
    explanation="h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}: with z_t = 1 the state is copied unchanged, like an LSTM "
                "with f_t = 1 and i_t = 0. The GRU's z_t is the LSTM's forget gate, and 1 - z_t its input gate, "
                "coupled.",
)

EXERCISE = Exercise("variants", "Variants", (q1, q2))
