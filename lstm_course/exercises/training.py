"""Exercise: training on the memory task (chapter "Training"), cheap to grade: no training loop runs.

Code and multiple choice (q1-q3) and a bug to find in training code (q4: the forget bias added twice).
Truncated backpropagation, taught in chapter "Practice", has its question in that chapter's exercise.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .. import layout
from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake
from ._debug import DebugQuestion

__all__ = ["EXERCISE", "q1", "q2", "q3", "q4", "set_forget_bias_buggy"]


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
    "q3", "which forget-gate bias lets the LSTM learn the recall task", 1, variable="q3_answer",
    options={"a": "-3", "b": "0 (PyTorch's default)", "c": "+1 (a common recommendation)", "d": "+5"},
    answer="d",
    why={"a": "σ(-3) ≈ 0.05: the cell forgets almost everything at every step.",
         "b": "σ(0) = 0.5 halves the memory at every step: in a random LSTM the cell path keeps about 4e-17 of "
              "step 1 after 59 steps.",
         "c": "σ(1) ≈ 0.73: in a random LSTM the cell path keeps only about 3e-08 of step 1 after 59 steps, far too "
              "little to carry the first symbol (or its gradient) to the end. +1 suits shorter memories."},
    hint="The task has T = 60 steps. What is σ(b) for b = -3, 0, +1, +5, and what is that number to the power 59?",
    explanation="With b_f = +5, σ(5) ≈ 0.993: in a random LSTM the cell path keeps about 0.66 of step 1 after 59 steps "
                "(+3 keeps about 0.06, +1 about 3e-08), so the first symbol and its gradient cross the whole sequence "
                "from the first training step on. The chapter's configuration starts the forget bias at +5.",
)


class Biases(NamedTuple):
    """nn.LSTM's two bias vectors, named so that feedback can say which one differs."""

    bias_ih: torch.Tensor
    bias_hh: torch.Tensor


def set_forget_bias_buggy(bias_ih, bias_hh, value):
    """nn.LSTM's biases (4H,) with the forget gate's bias b_f = bias_ih + bias_hh set to value. It has a bug."""
    H = bias_ih.shape[0] // 4
    bias_ih, bias_hh = bias_ih.clone(), bias_hh.clone()
    bias_ih[H:2 * H] = value  # rows i, f, g, o: f is the second block
    bias_hh[H:2 * H] = value
    return bias_ih, bias_hh


def _set_forget_bias(bias_ih, bias_hh, value, *, ih: float | None = None, hh: float | None = 0.0,
                     gate: str = "f") -> Biases:
    """New biases with ``gate``'s rows of ``bias_ih`` set to ``ih`` (default ``value``) and of ``bias_hh`` to ``hh``.

    ``None`` leaves a vector's rows as they are; the defaults give :math:`b_f` = ``value`` exactly.
    """
    rows = layout.gate_slice(gate, bias_ih.shape[0] // 4)
    out_ih, out_hh = bias_ih.clone(), bias_hh.clone()
    out_ih[rows] = value if ih is None else ih
    if hh is not None:
        out_hh[rows] = hh
    return Biases(out_ih, out_hh)


def _bias2_cases(gen: torch.Generator) -> list[tuple]:
    r = lambda n: torch.randn(n, generator=gen, dtype=torch.float64)  # noqa: E731
    return [(r(12), r(12), 1.0), (r(20), r(20), 5.0)]


def _solution_q4(bias_ih, bias_hh, value):
    H = bias_ih.shape[0] // 4
    bias_ih, bias_hh = bias_ih.clone(), bias_hh.clone()
    bias_ih[H:2 * H] = value  # rows i, f, g, o: f is the second block
    bias_hh[H:2 * H] = 0.0  # nn.LSTM adds the two biases: b_f = value + 0
    return bias_ih, bias_hh


def _effective(value):
    """What nn.LSTM computes with: ``bias_ih + bias_hh`` as ``(4, H)``, one row per gate (i, f, g, o), from a
    function's ``(bias_ih, bias_hh)``; anything else unchanged, so that the comparison says what came back."""
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, torch.Tensor) for v in value) \
            and value[0].shape == value[1].shape and value[0].dim() == 1 and value[0].shape[0] % 4 == 0:
        return (value[0] + value[1]).reshape(4, -1)
    return value


class _BiasBehaviour(DebugQuestion):
    """A find-the-bug question judged on the behaviour: the biases nn.LSTM adds, ``bias_ih + bias_hh``, so that every
    fix that gives b_f = value and leaves the other gates alone passes, however it splits the two vectors."""

    def judge(self, calls, outcomes):
        outcomes = [dict(o, value=_effective(o.get("value"))) if o.get("status") == "ok" else o for o in outcomes]
        return super().judge(calls, outcomes)


def _as_effective(fn):
    return lambda *args: _effective(fn(*args))


q4 = _BiasBehaviour(
    "q4", "find the bug: setting nn.LSTM's forget bias", 3, func_name="set_forget_bias",
    arg_names=("bias_ih", "bias_hh", "value"), cases=_bias2_cases,
    reference=_as_effective(lambda bi, bh, v: _set_forget_bias(bi, bh, v)), buggy=_as_effective(set_forget_bias_buggy),
    bug="forget bias added twice",
    bug_fix="nn.LSTM adds bias_ih and bias_hh, so setting both to value makes b_f = 2 · value. Give the two vectors' "
            "forget rows a sum of value: for example value in bias_ih and 0 in bias_hh.",
    parts=("the input gate's bias", "the forget gate's bias b_f", "the candidate's bias", "the output gate's bias"),
    part_axis=0,
    forbidden=("lstm_course.exercises.training._set_forget_bias",),
    mistakes=[Mistake("bias_hh's forget rows left as they were",
                      "b_f = bias_ih + bias_hh: the old bias_hh rows still add to value; set them to 0.",
                      output=_as_effective(lambda bi, bh, v: _set_forget_bias(bi, bh, v, hh=None))),
              *[Mistake(f"gates in the wrong order (set the {g} block)",
                        "nn.LSTM's bias rows are i, f, g, o: the forget gate is the second block of H rows.",
                        output=_as_effective(lambda bi, bh, v, g=g: _set_forget_bias(bi, bh, v, gate=g)))
                for g in ("i", "g", "o")]],
    hint="Run the buggy function and compute b_f = bias_ih[H:2H] + bias_hh[H:2H] from what it returns: is it value? "
         "nn.LSTM adds the two vectors, so only their sum matters to it.",
    solution=_solution_q4,
)
q4.buggy = set_forget_bias_buggy  # the function the notebook shows; the judge compares bias_ih + bias_hh


EXERCISE = Exercise("training", "Training on a task that needs memory", (q1, q2, q3, q4))
