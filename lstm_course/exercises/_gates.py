"""Cases and known mistakes shared by the gate questions (forget, input, candidate, output).

Every wrong variant is computed from the library's own function, so no LSTM
equation is written twice: ``logit(σ(z)) = z`` recovers a gate's pre-activation.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._core import Mistake

#: The library functions a gate question forbids (any of them computes a gate).
CELL_FUNCTIONS = tuple(f"lstm_course.cell.{n}" for n in
                       ("forget_gate", "input_gate", "candidate", "output_gate", "lstm_step", "_affine"))

SIZES = ((3, 2), (4, 3))  # (H, I) of the unbatched and the batched case


def _randn(gen: torch.Generator, *shape: int, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float64) * scale


def gate_cases(gen: torch.Generator) -> list[tuple]:
    """An unbatched and a batched ``(h_prev, x_t, W, b)``, float64, weights small enough not to saturate."""
    (H1, I1), (H2, I2) = SIZES
    return [
        (_randn(gen, H1), _randn(gen, I1), _randn(gen, H1, H1 + I1, scale=0.6), _randn(gen, H1, scale=0.5)),
        (_randn(gen, 5, H2), _randn(gen, 5, I2), _randn(gen, H2, H2 + I2, scale=0.6), _randn(gen, H2, scale=0.5)),
    ]


def swap_hx_columns(W: torch.Tensor, H: int) -> torch.Tensor:
    """The weight that, applied to ``[h, x]``, equals ``W`` applied to ``[x, h]``."""
    I = W.shape[1] - H
    return torch.cat([W[:, I:], W[:, :I]], dim=1)  # (H, H+I)


def gate_mistakes(ref: Callable, act: str) -> list[Mistake]:
    """Mistakes of a gate ``act(W [h, x] + b)``; ``act`` is ``"sigmoid"`` or ``"tanh"``."""
    inverse = torch.logit if act == "sigmoid" else torch.atanh
    other, other_name = (torch.tanh, "tanh") if act == "sigmoid" else (torch.sigmoid, "sigmoid")

    def pre(h, x, W, b):  # W [h, x] + b, recovered from the library's gate
        return inverse(ref(h, x, W, b))

    return [
        Mistake(f"{other_name} where {act} belongs",
                f"This value needs torch.{act} (range {'(0, 1)' if act == 'sigmoid' else '(-1, 1)'}), "
                f"not torch.{other_name}.",
                output=lambda h, x, W, b: other(pre(h, x, W, b))),
        Mistake("missing bias", "Add the bias after the matrix product: W [h, x] + b.",
                output=lambda h, x, W, b: ref(h, x, W, torch.zeros_like(b))),
        Mistake("[x, h] concatenated instead of [h, x]",
                "The book concatenates the previous hidden state first: torch.cat([h_prev, x_t], dim=-1).",
                output=lambda h, x, W, b: ref(h, x, swap_hx_columns(W, h.shape[-1]), b)),
        Mistake("no activation", f"Apply torch.{act} to W [h, x] + b.", output=pre),
        Mistake("transposed weight",
                "The weight has shape (H, H+I) and acts on [h, x] from the left: use hx @ W.T (or W @ hx for one "
                "example).", probe=lambda a: (a[0], a[1], a[2].T.contiguous(), a[3])),
    ]
