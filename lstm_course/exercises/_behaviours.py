"""The behaviours of the design questions: what a hand-set cell must do, on which hidden sequences.

Each :class:`~._design.Task` draws its edge cases plus random sequences, says at which step a
run went wrong, and lists what each gate should do at a step (for the feedback). Steps are
numbered ``t = 1 … T``, with :math:`h_0 = c_0 = 0`.
"""

from __future__ import annotations

import math

import torch

from ._design import Failure, Rule, Task, Trace, Trial, signed, steps_text, uniform, within

__all__ = ["CountOnes", "ExposeAtCue", "Keep", "SignOfFirst", "Wipe", "WritePositive"]

INF = math.inf


def _zeros(T: int, I: int) -> torch.Tensor:
    return torch.zeros(T, I, dtype=torch.float64)  # (T, I)


def _coin(gen: torch.Generator, p: float = 0.5) -> bool:
    return float(torch.rand((), generator=gen)) < p


def _randint(gen: torch.Generator, lo: int, hi: int) -> int:
    """An integer in ``[lo, hi]``."""
    return int(torch.randint(lo, hi + 1, (), generator=gen))


class Keep(Task):
    """Write :math:`x_1` into :math:`c_t` at step 1 and keep it to within 5 % for all 20 steps (later inputs are 0)."""

    T, rel, edges = 20, 0.05, 4
    keep_f = 0.95 ** (1 / 19)  # the forget gate that keeps 95 % over 19 steps

    def trials(self, gen: torch.Generator) -> list[Trial]:
        values = [0.3, -0.3, 0.05, -0.05] + [signed(gen, 0.05, 0.3) for _ in range(6)]
        out = []
        for v in values:
            x = _zeros(self.T, 1)
            x[0, 0] = v
            out.append(Trial(f"x_1 = {v:.3g}, then {self.T - 1} zeros", x, {"v": v}))
        return out

    def failure(self, trial: Trial, trace: Trace) -> Failure | None:
        v = trial.meta["v"]
        for t in range(self.T):
            c = float(trace.c[t, 0])
            if not within(c, v, self.rel):
                lo, hi = sorted((v * (1 - self.rel), v * (1 + self.rel)))
                return Failure(t + 1, f"c_t = {c:.4g}, but it should still hold x_1 = {v:.4g} to within 5 % "
                               f"(between {lo:.4g} and {hi:.4g})")
        return None

    def rules(self, trial: Trial, step: int) -> list[Rule]:
        v = trial.meta["v"]
        if step == 1:
            lo, hi = sorted((v * (1 - self.rel), v * (1 + self.rel)))
            return [Rule("i", 0.95, INF, "to write x_1"), Rule("c", lo, hi, "to propose x_1 itself")]
        return [Rule("f", self.keep_f, INF, f"to keep 95 % of the memory over {self.T - 1} steps"),
                Rule("w", -0.005 * abs(v), 0.005 * abs(v), "to leave the memory alone while x_t = 0")]


class Wipe(Task):
    """Inputs (value, marker): keep what a value writes, wipe the memory on a marker, keep a value written after."""

    input_size, T, rel, wiped = 2, 12, 0.1, 0.05
    inputs = ("value", "marker")

    def _trial(self, v: float, markers: list[int], writes: dict[int, float]) -> Trial:
        x = _zeros(self.T, 2)
        x[0, 0] = v
        for k in markers:
            x[k - 1, 1] = 1.0
        for k, u in writes.items():
            x[k - 1, 0] = u
        target, written, scale = [], 1, abs(v)
        held: float | None = v
        for t in range(1, self.T + 1):
            if t in markers:
                held = None
            if t in writes:
                held, written, scale = writes[t], t, abs(writes[t])
            target.append((held, written, scale))
        parts = [f"x_1 = {v:.3g}"]
        parts += [f"marker at step {k}" for k in markers] or ["no marker"]
        parts += [f"{u:.3g} written at step {k}" for k, u in writes.items()]
        return Trial(", ".join(parts), x, {"markers": markers, "writes": writes, "target": target})

    def trials(self, gen: torch.Generator) -> list[Trial]:
        def v() -> float:
            return signed(gen, 0.1, 0.4)

        out = [self._trial(0.4, [2], {}), self._trial(-0.1, [self.T], {}), self._trial(0.1, [], {}),
               self._trial(-0.4, [6], {7: 0.1}), self._trial(0.25, [4, 9], {6: -0.4})]
        for _ in range(5):
            k = _randint(gen, 2, self.T)
            writes = {}
            if k + 1 <= self.T and _coin(gen):
                writes[_randint(gen, k + 1, min(self.T, k + 3))] = v()
            out.append(self._trial(v(), [k], writes))
        return out

    def failure(self, trial: Trial, trace: Trace) -> Failure | None:
        last_marker = None
        for t, (held, written, scale) in enumerate(trial.meta["target"], start=1):
            c = float(trace.c[t - 1, 0])
            if t in trial.meta["markers"]:
                last_marker = t
            if held is None:
                if abs(c) > self.wiped * scale:
                    return Failure(t, f"c_t = {c:.3g} after the marker at step {last_marker}: the memory should be "
                                   f"wiped (|c_t| at most {self.wiped * scale:.2g})")
            elif not within(c, held, self.rel):
                return Failure(t, f"c_t = {c:.3g}, but it should hold {held:.3g} (written at step {written}) to "
                               "within 10 %")
        return None

    def rules(self, trial: Trial, step: int) -> list[Rule]:
        held, _, scale = trial.meta["target"][step - 1]
        if step in trial.meta["markers"]:
            return [Rule("f", -INF, self.wiped, "to wipe the memory on the marker"),
                    Rule("w", -0.01 * scale, 0.01 * scale, "for the marker itself to write nothing")]
        if step == 1 or step in trial.meta["writes"]:
            lo, hi = sorted((held * (1 - self.rel), held * (1 + self.rel)))
            return [Rule("i", 0.9, INF, "to write the value"), Rule("c", lo, hi, "to propose the value itself")]
        return [Rule("f", 0.995, INF, "to keep the memory between markers"),
                Rule("w", -0.005 * scale, 0.005 * scale, "to leave the memory alone while the value is 0")]


class WritePositive(Task):
    """Add :math:`x_t` to the memory when it is positive, leave the memory alone when it is negative."""

    T, rel = 10, 0.1

    def trials(self, gen: torch.Generator) -> list[Trial]:
        T = self.T
        fixed = [[0.3] * T, [-0.3] * T, [0.1, -0.1] * (T // 2), [-0.2] * (T - 1) + [0.1], [0.1] * T]
        rand = [[signed(gen, 0.1, 0.3) for _ in range(T)] for _ in range(5)]
        return [Trial(f"x = {steps_text(xs)}", torch.tensor(xs, dtype=torch.float64)[:, None], {"x": xs})
                for xs in fixed + rand]

    def failure(self, trial: Trial, trace: Trace) -> Failure | None:
        prev = 0.0
        for t, x in enumerate(trial.meta["x"], start=1):
            c = float(trace.c[t - 1, 0])
            delta, want, tol = c - prev, (x if x > 0 else 0.0), self.rel * abs(x)
            if abs(delta - want) > tol:
                if x > 0:
                    return Failure(t, f"x_t = {x:.3g} is positive, but c_t changed by {delta:.3g}; it should grow by "
                                   "x_t (within 10 %)")
                return Failure(t, f"x_t = {x:.3g} is negative, but c_t changed by {delta:.3g}; it should not change "
                               f"(within ±{tol:.2g})")
            prev = c
        return None

    def rules(self, trial: Trial, step: int) -> list[Rule]:
        x = trial.meta["x"][step - 1]
        keep = [Rule("f", 0.99, INF, "to keep what was written")] if step > 1 else []
        if x > 0:
            return [Rule("i", 0.9, INF, "to write a positive input"),
                    Rule("c", x * (1 - self.rel), x * (1 + self.rel), "to propose x_t itself"), *keep]
        return [Rule("i", -INF, 0.1, "to write nothing for a negative input"), *keep]


class ExposeAtCue(Task):
    """Inputs (value, cue): write :math:`x_1`, keep it, and show it in :math:`h_t` only at a cue."""

    input_size, T = 2, 10
    inputs = ("value", "cue")
    shown, hidden = 0.9, 0.05

    def _trial(self, v: float, cues: list[int]) -> Trial:
        x = _zeros(self.T, 2)
        x[0, 0] = v
        for k in cues:
            x[k - 1, 1] = 1.0
        where = ("cue at step" + ("s " if len(cues) > 1 else " ") + ", ".join(map(str, cues))) if cues else "no cue"
        return Trial(f"x_1 = {v:.3g}, {where}", x, {"v": v, "cues": set(cues)})

    def trials(self, gen: torch.Generator) -> list[Trial]:
        def v() -> float:
            return signed(gen, 0.5, 1.0)

        T = self.T
        out = [self._trial(0.5, [1]), self._trial(-0.5, [T]), self._trial(1.0, [5, 6, 7]), self._trial(-1.0, []),
               self._trial(0.7, list(range(1, T + 1)))]
        for _ in range(5):
            n = _randint(gen, 1, 3)
            cues = sorted({_randint(gen, 2, T) for _ in range(n)})
            out.append(self._trial(v(), cues))
        return out

    def failure(self, trial: Trial, trace: Trace) -> Failure | None:
        v, c1 = trial.meta["v"], float(trace.c[0, 0])
        if c1 * v <= 0 or abs(c1) < 0.3:
            return Failure(1, f"c_1 = {c1:.3g}: step 1 should write x_1 = {v:.3g} into the memory (same sign, "
                           "|c_1| at least 0.3)")
        for t in range(1, self.T + 1):
            c, h = float(trace.c[t - 1, 0]), float(trace.h[t - 1, 0])
            if not within(c, c1, 0.1):
                return Failure(t, f"c_t = {c:.3g} drifted from c_1 = {c1:.3g}; the memory should be kept (within 10 %)")
            full = abs(math.tanh(c))
            if t in trial.meta["cues"] and abs(h) < self.shown * full:
                return Failure(t, f"there is a cue, but h_t = {h:.3g}; the memory should show: |h_t| at least "
                               f"{self.shown:g} |tanh(c_t)| = {self.shown * full:.3g}")
            if t not in trial.meta["cues"] and abs(h) > self.hidden * full:
                return Failure(t, f"there is no cue, but h_t = {h:.3g}; the memory should stay hidden: |h_t| at most "
                               f"{self.hidden:g} |tanh(c_t)| = {self.hidden * full:.3g}")
        return None

    def rules(self, trial: Trial, step: int) -> list[Rule]:
        if step == 1:
            out = [Rule("i", 0.9, INF, "to write x_1")]
        else:
            out = [Rule("f", 0.99, INF, "to keep the memory"),
                   Rule("w", -0.01, 0.01, "to leave the memory alone after step 1")]
        if step in trial.meta["cues"]:
            return [Rule("o", self.shown, INF, "to show the memory at the cue"), *out]
        return [Rule("o", -INF, self.hidden, "to hide the memory without a cue"), *out]


class CountOnes(Task):
    """Inputs 0 or 1: :math:`c_t` counts the ones seen so far, to within 0.1, for 20 steps."""

    T, tol = 20, 0.1

    def trials(self, gen: torch.Generator) -> list[Trial]:
        T = self.T
        fixed = [[0] * T, [1] * T, [1] + [0] * (T - 1), [0] * (T - 1) + [1], [1, 0] * (T // 2)]
        rand = [[int(_coin(gen)) for _ in range(T)] for _ in range(5)]
        return [Trial(f"x = {steps_text(bits, 10)}, {sum(bits)} ones", torch.tensor(bits, dtype=torch.float64)[:, None],
                      {"x": bits}) for bits in fixed + rand]

    def failure(self, trial: Trial, trace: Trace) -> Failure | None:
        n = 0
        for t, x in enumerate(trial.meta["x"], start=1):
            n += x
            c = float(trace.c[t - 1, 0])
            if abs(c - n) > self.tol:
                return Failure(t, f"c_t = {c:.3g} after {n} one{'s' if n != 1 else ''}; it should count them: "
                               f"c_t = {n} ± {self.tol:g}")
        return None

    def rules(self, trial: Trial, step: int) -> list[Rule]:
        keep = [Rule("f", 0.999, INF, "to keep the count")] if step > 1 else []
        if trial.meta["x"][step - 1] == 1:
            return [*keep, Rule("i", 0.99, INF, "to add the whole candidate"),
                    Rule("c", 0.99, INF, "to propose +1 for a one")]
        return [*keep, Rule("w", -0.005, 0.005, "to add nothing for a zero")]


class SignOfFirst(Task):
    """Two units, one input: at the last step, unit 1's :math:`h_T` shows the sign of :math:`x_1` (at least 0.5).

    Later inputs are distractors in (-1, 1) and the length varies, so the sign must be written at
    step 1 only and kept.
    """

    hidden_size, margin = 2, 0.5

    def _trial(self, xs: list[float], label: str) -> Trial:
        return Trial(label, torch.tensor(xs, dtype=torch.float64)[:, None], {"x": xs})

    def trials(self, gen: torch.Generator) -> list[Trial]:
        out = [self._trial([0.5], "x_1 = 0.5, T = 1"),
               self._trial([0.2] + [-1.0] * 24, "x_1 = 0.2, then 24 inputs of -1"),
               self._trial([-0.2] + [1.0] * 24, "x_1 = -0.2, then 24 inputs of +1"),
               self._trial([-1.0, 1.0], "x_1 = -1, x_2 = +1"),
               self._trial([0.6] + [1.0, -1.0] * 12, "x_1 = 0.6, then 24 inputs alternating +1, -1")]
        for _ in range(5):
            T = _randint(gen, 2, 25)
            xs = [signed(gen, 0.2, 1.0)] + [uniform(gen, -1.0, 1.0) for _ in range(T - 1)]
            out.append(self._trial(xs, f"x_1 = {xs[0]:.3g}, then {T - 1} random inputs in (-1, 1)"))
        return out

    def failure(self, trial: Trial, trace: Trace) -> Failure | None:
        x1, T = trial.meta["x"][0], len(trial.meta["x"])
        h = float(trace.h[T - 1, 0])
        if h * math.copysign(1.0, x1) < self.margin:
            want = f"at least {self.margin:g}" if x1 > 0 else f"at most -{self.margin:g}"
            return Failure(T, f"the last step's h_T (unit 1) = {h:.3g}, but it should show the sign of x_1 = {x1:.3g}: "
                           f"{want}")
        return None

    def rules(self, trial: Trial, step: int) -> list[Rule]:
        x1, T = trial.meta["x"][0], len(trial.meta["x"])
        if step == 1:
            lo, hi = (0.5, INF) if x1 > 0 else (-INF, -0.5)
            out = [Rule("i", 0.9, INF, "to write at step 1"), Rule("c", lo, hi, "to propose the sign of x_1")]
        else:
            out = [Rule("w", -0.02, 0.02, "to write nothing after step 1"), Rule("f", 0.99, INF, "to keep the sign")]
        if step == T:
            out.append(Rule("o", 0.7, INF, "to show the memory at the last step"))
        return out
