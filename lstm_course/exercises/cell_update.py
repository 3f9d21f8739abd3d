"""Exercise: the cell-state update :math:`c_t = f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t` (chapter 5)."""

from __future__ import annotations

import torch

from .. import cell
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake

__all__ = ["EXERCISE", "q1", "q2", "q3"]


def _rand(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(*shape, generator=gen, dtype=torch.float64)


def _update_cases(gen: torch.Generator) -> list[tuple]:
    def one(*shape):
        f, i = _rand(gen, *shape), _rand(gen, *shape)
        c = torch.randn(*shape, generator=gen, dtype=torch.float64)
        g = 2 * _rand(gen, *shape) - 1
        return (f, c, i, g)

    return [one(4), one(3, 4)]


def _solution_q1(f_t, c_prev, i_t, c_tilde):
    return f_t * c_prev + i_t * c_tilde  # (…, H)


q1 = CodeQuestion(
    "q1", "the cell update c_t", 3, func_name="cell_update", arg_names=("f_t", "c_prev", "i_t", "c_tilde"),
    cases=_update_cases, reference=cell.cell_update,
    mistakes=[
        Mistake("gates in the wrong order (f_t and i_t swapped)",
                "f_t scales the old memory c_prev; i_t scales the candidate c_tilde.",
                output=lambda f, c, i, g: cell.cell_update(i, c, f, g)),
        Mistake("forget gate left out", "Multiply c_prev by f_t before adding: f_t * c_prev.",
                output=lambda f, c, i, g: cell.cell_update(torch.ones_like(f), c, i, g)),
        Mistake("input gate left out", "Multiply the candidate by i_t: i_t * c_tilde.",
                output=lambda f, c, i, g: cell.cell_update(f, c, torch.ones_like(i), g)),
        Mistake("tanh applied to c_t", "c_t is not squashed: tanh(c_t) belongs to the hidden state, not here.",
                output=lambda f, c, i, g: torch.tanh(cell.cell_update(f, c, i, g))),
    ],
    forbidden=("lstm_course.cell.cell_update", "lstm_course.cell.lstm_step"),
    hint="Two element-wise products and one sum. Build a new tensor; do not update c_prev with *= or +=.",
    solution=_solution_q1,
)


def _seq_cases(gen: torch.Generator) -> list[tuple]:
    T, H = 5, 3
    return [(_rand(gen, T, H), _rand(gen, T, H), 2 * _rand(gen, T, H) - 1,
             torch.randn(H, generator=gen, dtype=torch.float64))]


def _cells_over_time(f_seq, i_seq, c_tilde_seq, c0):
    """``(T, H)``: every :math:`c_t`, each from the library's ``cell_update`` applied to the previous one."""
    c, out = c0, []
    for f, i, g in zip(f_seq, i_seq, c_tilde_seq, strict=True):
        c = cell.cell_update(f, c, i, g)  # (H,)
        out.append(c)
    return torch.stack(out)  # (T, H)


def _solution_q2(f_seq, i_seq, c_tilde_seq, c0):
    c_t, states = c0, []
    for f_t, i_t, c_tilde in zip(f_seq, i_seq, c_tilde_seq, strict=True):
        c_t = f_t * c_t + i_t * c_tilde  # (H,)
        states.append(c_t)
    return torch.stack(states)  # (T, H)


q2 = CodeQuestion(
    "q2", "the cell state over several steps", 3, func_name="cell_over_time",
    arg_names=("f_seq", "i_seq", "c_tilde_seq", "c0"), cases=_seq_cases, reference=_cells_over_time,
    mistakes=[
        Mistake("c not carried from step to step", "Feed each step's c_t into the next step as c_prev.",
                output=lambda f, i, g, c0: torch.stack([cell.cell_update(f[t], c0, i[t], g[t])
                                                        for t in range(f.shape[0])])),
        Mistake("c_0 included in the output", "Return c_1 … c_T (T rows), not c_0 … c_{T-1}.",
                output=lambda f, i, g, c0: torch.cat([c0[None], _cells_over_time(f, i, g, c0)[:-1]])),
    ],
    forbidden=("lstm_course.cell.cell_update", "lstm_course.cell.lstm_step"),
    hint="Loop over t, update c, append it; torch.stack the list at the end.",
    solution=_solution_q2,
)

q3 = ChoiceQuestion(
    "q3", "the conveyor belt", 1, variable="q3_answer",
    options={"a": "c_10 = c_0", "b": "c_10 = 0", "c": "c_10 = tanh(c_0)", "d": "c_10 = 10 c_0"},
    answer="a", why={"b": "that needs f_t = 0.", "c": "no tanh acts on the cell path.",
                     "d": "the update adds i_t ⊙ c̃_t, which is 0 here."},
    hint="Write c_t with f_t = 1 and i_t = 0.",
    explanation="With f_t = 1 and i_t = 0, c_t = c_{t-1}: the memory travels unchanged.",
)

EXERCISE = Exercise("cell_update", "The cell-state update", (q1, q2, q3))
