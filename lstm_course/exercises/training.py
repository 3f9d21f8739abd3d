"""Exercise: training on the memory task (chapter 9), cheap to grade: no training loop runs."""

from __future__ import annotations

import torch

from .. import layout
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake

__all__ = ["EXERCISE", "q1", "q2", "q3"]


def _acc_cases(gen: torch.Generator) -> list[tuple]:
    B, C = 12, 4
    logits = torch.randn(B, C, generator=gen, dtype=torch.float64)
    targets = torch.randint(0, C, (B,), generator=gen)
    targets[: B // 3] = logits[: B // 3].argmax(-1)  # some right, some wrong
    return [(logits, targets)]


def _accuracy(logits, targets) -> float:
    """Fraction of rows whose largest logit is the target class."""
    return float((logits.argmax(dim=-1) == targets).double().mean())


def _solution_q1(logits, targets):
    predictions = logits.argmax(dim=-1)  # (B,)
    return (predictions == targets).float().mean().item()


q1 = CodeQuestion(
    "q1", "accuracy", 2, func_name="accuracy", arg_names=("logits", "targets"), cases=_acc_cases,
    reference=_accuracy,
    mistakes=[
        Mistake("count instead of fraction", "Divide by the batch size (or use .mean()): accuracy is in [0, 1].",
                output=lambda lg, t: float((lg.argmax(-1) == t).sum())),
    ],
    forbidden=("lstm_course.tasks.evaluate",),
    hint="The prediction is the class with the largest logit: logits.argmax(dim=-1). Compare with targets, average.",
    solution=_solution_q1,
)


def _bias_cases(gen: torch.Generator) -> list[tuple]:
    H = 3
    return [(torch.randn(4 * H, generator=gen, dtype=torch.float64), 2.0),
            (torch.randn(4 * 5, generator=gen, dtype=torch.float64), -1.5)]


def _with_forget_bias(bias, value):
    """``bias`` (4H,) with the forget gate's rows set to ``value``; a new tensor."""
    out = bias.clone()
    out[layout.gate_slice("f", bias.shape[0] // 4)] = value  # (H,)
    return out


def _wrong_gate(gate: str):
    def output(bias, value):
        out = bias.clone()
        out[layout.gate_slice(gate, bias.shape[0] // 4)] = value
        return out

    return output


def _solution_q2(bias, value):
    H = bias.shape[0] // 4
    out = bias.clone()  # a new tensor: the caller's bias stays as it was
    out[H:2 * H] = value  # nn.LSTM's rows are i, f, g, o: f is the second block
    return out


q2 = CodeQuestion(
    "q2", "initialise the forget-gate bias", 3, func_name="with_forget_bias", arg_names=("bias", "value"),
    cases=_bias_cases, reference=_with_forget_bias,
    mistakes=[Mistake(f"gates in the wrong order (set the {name} block)",
                      "nn.LSTM's bias rows are i, f, g, o: the forget gate is the second block of H rows.",
                      output=_wrong_gate(g)) for g, name in (("i", "i"), ("g", "g"), ("o", "o"))],
    forbidden=("lstm_course.layout.gate_slice", "lstm_course.layout.split_gates"),
    hint="H = bias.shape[0] // 4; clone the bias, then set rows H:2H (the forget gate in nn.LSTM's i, f, g, o).",
    solution=_solution_q2,
)

q3 = ChoiceQuestion(
    "q3", "which forget-gate bias helps long memory", 1, variable="q3_answer",
    options={"a": "a large negative value, like -3", "b": "exactly 0", "c": "a positive value, like +1 to +3"},
    answer="c",
    why={"a": "f_t ≈ σ(-3) ≈ 0.05: the cell forgets almost everything at every step.",
         "b": "f_t starts near σ(0) = 0.5, halving the memory at every step."},
    hint="What is σ(b) for b = -3, 0, +3, and what is that number to the power 50?",
    explanation="A positive forget bias starts f_t near 1, so the cell path keeps memory (and gradient) from the "
                "start of training.",
)

EXERCISE = Exercise("training", "Training on a task that needs memory", (q1, q2, q3))
