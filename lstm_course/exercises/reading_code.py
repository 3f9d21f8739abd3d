"""Exercise: find the units of the trained character-level reader that read Python (chapter "Reading real code").

q1 writes the measure the chapter ranks units by, the correlation of each unit's value with a property over the
characters of a text; q2 asks for a unit that tells docstrings from other strings, a property the chapter did not
show, judged on held-out files by the unit's |correlation| with ``in_docstring`` among the characters inside
strings (the checker names the usual wrong finds: a unit that moves with every string, which over all characters
correlates with docstrings too but inside strings tells nothing apart (:func:`string_follower`), the untrained
network's best unit, an index that is no unit); q3 and q4 ask what the chapter's string and bracket units do on a
given line, the answers computed with the shipped reader (:func:`predicted_answer`).

The reader, its untrained start, the held-out files and the ground truth come from :mod:`lstm_course.reader`;
they are loaded on first use, once, so importing this module costs nothing.
"""

from __future__ import annotations

import numbers
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from ._core import ChoiceQuestion, CodeQuestion, Exercise, Mistake, Verdict, _short
from ._predict import PredictQuestion, Slip

__all__ = ["EXERCISE", "JUDGED_PROPERTY", "PREFIX", "Q3_LINE", "Q4_LINE", "THRESHOLD", "chapter_unit",
           "UNRELATED", "judged_correlations", "option_agreement", "predicted_answer", "q1", "q2", "q3", "q4",
           "string_follower", "unit_correlations_reference", "unit_side"]

#: The property q2 asks for (a key of :func:`lstm_course.reader.labels.char_labels`), and the quantity it reads.
JUDGED_PROPERTY, QUANTITY = "in_docstring", "c_t"
#: A unit tells docstrings from other strings when its |correlation| with in_docstring, over the held-out
#: characters inside strings, is at least this: about twice what the untrained network's best unit reaches there
#: (0.19 for H = 256, seed 0), and above the 0.32 that the same unit reaches in the trained reader, so that ranking
#: the untrained network's units does not pass by luck.
THRESHOLD = 0.4
#: Inside strings, a unit with |r| below this hardly tells docstrings and other strings apart (q2's usual wrong find).
UNRELATED = 0.1
#: How many characters of the held-out files (whole files, in order) the judge reads.
JUDGED_CHARS = 20_000


# ---------------------------------------------------------------------------- q1: the measure


def unit_correlations_reference(values: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Pearson's correlation of every unit with ``target`` over the characters, the measure of chapter "Reading real
    code" (:func:`lstm_course.reader.units.pearson_by_unit`):

    .. math:: r_k = \frac{\sum_n (v_{nk} - \bar v_k)(y_n - \bar y)}
                         {\sqrt{\sum_n (v_{nk} - \bar v_k)^2}\,\sqrt{\sum_n (y_n - \bar y)^2}}

    ``values`` (N, H), one row per character; ``target`` (N,), the property (0/1 or a count). Returns (H,) float64;
    a unit (or a target) that never changes has ``r_k = 0``.
    """
    from ..reader.units import pearson_by_unit

    return torch.from_numpy(pearson_by_unit(values.detach().double().numpy(), target.detach().double().numpy()))


def _cosine(values, target):
    v, y = values.double(), target.double()
    den = v.norm(dim=0) * y.norm()
    return torch.where(den > 0, (y @ v) / torch.where(den > 0, den, torch.ones_like(den)), torch.zeros_like(den))


def _covariance(values, target):
    v = values.double() - values.double().mean(0)
    y = target.double() - target.double().mean()
    return (y @ v) / values.shape[0]


def _absolute(values, target):
    return unit_correlations_reference(values, target).abs()


def _q1_cases(gen: torch.Generator) -> list[tuple]:
    """Characters of a made-up text: a 0/1 property, units that follow it (one of them inverted), a unit that never
    moves (its r is 0, not nan), and noise; then a count-valued property."""
    out = []
    for N, H in ((40, 5), (64, 3)):
        y = (torch.rand(N, generator=gen) < 0.4).double()  # (N,)
        if H == 3:
            y = torch.randint(0, 4, (N,), generator=gen).double()  # a count, like the bracket depth
        noise = torch.randn(N, H, generator=gen, dtype=torch.float64)  # (N, H)
        v = noise * 0.7 + 3.0
        v[:, 0] += 2.0 * y  # follows the property
        v[:, 1] -= 1.5 * y  # follows it, inverted
        if H > 3:
            v[:, 3] = 0.25  # never moves
        out.append((v, y))
    return out


q1 = CodeQuestion(
    "q1", "the correlation of every unit with a property", 3, func_name="unit_correlations",
    arg_names=("values", "target"), cases=_q1_cases, reference=unit_correlations_reference,
    mistakes=[Mistake("not centred (the cosine of the raw values)", "Subtract each unit's mean over the characters, "
                      "and the target's mean, before the products: the correlation is about how the value moves "
                      "with the property, not about its level.", output=_cosine),
              Mistake("covariance, not correlation", "Divide by both standard deviations (the norms of the centred "
                      "columns), so that r is between -1 and 1 whatever the unit's scale.", output=_covariance),
              Mistake("absolute value taken", "Return the signed r: a unit that is low inside the property tracks it "
                      "as well as one that is high, and the sign says which. Rank units by |r| afterwards.",
                      output=_absolute)],
    hint="For each unit k (a column of values), centre the column and the target, then r_k = (their dot product) / "
         "(the product of their norms). A unit that never moves has norm 0: give it r = 0, not nan.",
    solution='''def unit_correlations(values, target):
    v = values.double() - values.double().mean(0)  # (N, H): each unit centred over the characters
    y = target.double() - target.double().mean()  # (N,)
    den = v.norm(dim=0) * y.norm()  # (H,)
    r = (y @ v) / torch.where(den > 0, den, torch.ones_like(den))  # (H,)
    return torch.where(den > 0, r, torch.zeros_like(r))''',
)


# ---------------------------------------------------------------------------- q2: find the unit


@lru_cache(maxsize=1)
def _judged() -> dict[str, Any]:
    """The held-out characters the judge reads, their ground truth, and both readers' values there.

    Whole held-out files in order until :data:`JUDGED_CHARS`; each file is read from a fresh state.
    """
    from ..reader import Reader, build_model, corpus, labels, load_reader

    texts, total = [], 0
    for _name, text in corpus.corpus_files("heldout"):
        texts.append(text)
        total += len(text)
        if total >= JUDGED_CHARS:
            break
    trained = load_reader()
    untrained = Reader(build_model("lstm", int((trained.log or {}).get("seed", 0))))  # where training started
    out: dict[str, Any] = {"chars": total, "reader": trained}
    truth = [labels.char_labels(t) for t in texts]
    for key in (JUDGED_PROPERTY, "in_string", "bracket_depth"):
        out[key] = torch.from_numpy(np.concatenate([t[key] for t in truth]).astype(np.float64))  # (N,)
    inside = out["in_string"] > 0  # (N,) the characters of string literals
    out["string_chars"] = int(inside.sum())
    with torch.no_grad():
        for tag, reader in (("trained", trained), ("untrained", untrained)):
            values = torch.cat([reader.trace(t, (QUANTITY,))[QUANTITY] for t in texts])  # (N, H)
            # the judge: among the characters inside strings, docstring (1) or another string (0)
            out[f"{tag}_r"] = unit_correlations_reference(values[inside], out[JUDGED_PROPERTY][inside])  # (H,)
            out[f"{tag}_all_r"] = unit_correlations_reference(values, out[JUDGED_PROPERTY])  # (H,) every character
            if tag == "trained":
                out["values"] = values
                out["trained_string_all_r"] = unit_correlations_reference(values, out["in_string"])  # (H,)
    out["H"] = int(out["trained_r"].shape[0])
    return out


def judged_correlations() -> dict[str, Any]:
    """What q2's judge measures on the held-out characters: ``trained_r`` and ``untrained_r`` (H,), each unit's
    correlation with :data:`JUDGED_PROPERTY` among the characters inside strings (``string_chars`` of them);
    ``trained_all_r`` the same over every character (``chars``); ``trained_string_all_r`` each unit's correlation
    with ``in_string`` over every character; ``H``."""
    return _judged()


def _best(key: str) -> int:
    return int(_judged()[key].abs().argmax())


def _tracks(unit: int) -> bool:
    """The judge: among the held-out characters inside strings, the unit's |r| with the property reaches
    :data:`THRESHOLD`."""
    return abs(float(_judged()["trained_r"][unit])) >= THRESHOLD


def _best_tracker() -> int:
    """The unit with the largest |r| among the characters inside strings."""
    return _best("trained_r")


def string_follower() -> int:
    """The usual wrong find of q2: among the units whose |r| with in_docstring inside strings is below
    :data:`UNRELATED` (they hardly tell docstrings and other strings apart), the one with the largest
    |r| with in_docstring over every character. Such a unit moves with every string, and every docstring is a
    string, so over all characters it looks like a docstring unit."""
    j = _judged()
    unrelated = j["trained_r"].abs() < UNRELATED  # (H,)
    return int(torch.where(unrelated, j["trained_all_r"].abs(), torch.full_like(j["trained_all_r"], -1.0)).argmax())


def _as_unit(answer: Any) -> int | None:
    if isinstance(answer, (bool, np.bool_)):
        return None
    if isinstance(answer, torch.Tensor) and answer.numel() == 1 and not answer.is_floating_point() \
            and answer.dtype != torch.bool:
        return int(answer)
    if isinstance(answer, numbers.Integral):
        return int(answer)
    return None


class UnitQuestion(PredictQuestion):
    """Name a unit (an index); it counts when the judge says it tells docstrings from other strings on held-out
    text (:func:`_tracks`), so any unit that does is right, not only the best one.

    ``value()`` is the best such unit, ``working()`` the measurement; the slips are the usual wrong finds.
    """

    def __init__(self, name: str, title: str, points: float, *, variable: str, slips, hint: str) -> None:
        super().__init__(name, title, points, variable=variable, value=_best_tracker, tolerance=None,
                         working=self._measurement, slips=slips, hint=hint)

    @staticmethod
    def _measurement() -> str:
        j = _judged()
        r = j["trained_r"]
        order = torch.argsort(r.abs(), descending=True)
        passing = [int(k) for k in order if _tracks(int(k))]
        top = ", ".join(f"unit {int(k)} (r = {float(r[k]):+.2f})" for k in order[:3])
        return (f"Among the {j['string_chars']:,} characters inside strings of {j['chars']:,} characters of held-out "
                f"files, which the reader never trained on, each unit's {QUANTITY} was correlated with "
                f"{JUDGED_PROPERTY} (1 in a docstring, 0 in another string). The largest |r|: {top}. "
                f"Units with |r| ≥ {THRESHOLD}: {passing or 'none'}.")

    def _matches(self, got: Any, want: Any) -> bool:
        unit = _as_unit(got)
        return unit is not None and 0 <= unit < _judged()["H"] and _tracks(unit)

    def judge_answer(self, answer: Any) -> Verdict:
        """Judge a unit index on the held-out files, and name the usual wrong finds."""
        if answer is None or answer is Ellipsis:
            return Verdict("not_attempted", f"Write the unit's index into `{self.variable}`, then check again.")
        j = _judged()
        unit, H = _as_unit(answer), j["H"]
        if unit is None:
            return Verdict("wrong", f"`{self.variable}` should be a unit's index, a whole number from 0 to {H - 1}; "
                           f"got {_short(answer)}.", "not a number")
        computed = f"How it is computed:\n{self.working()}"
        if not 0 <= unit < H:
            return Verdict("wrong", f"No such unit: the reader has H = {H} units, numbered 0 to {H - 1}, so {unit} is "
                           f"not one of them.\n{computed}", "no such unit")
        r, r_all = float(j["trained_r"][unit]), float(j["trained_all_r"][unit])
        said = (f"Unit {unit}: inside the strings of held-out files, r = {r:+.3f} with {JUDGED_PROPERTY} "
                f"(over every character, {r_all:+.3f})")
        if _tracks(unit):
            extra = ""
            if unit == chapter_unit("in_string"):
                deeper = (r > 0) == (float(j["trained_string_all_r"][unit]) > 0)  # docstrings further on its side
                extra = (" It is also the chapter's string unit: it moves further to its string side in "
                         + ("docstrings, text written for people, than in other strings." if deeper else
                            "other strings than in docstrings."))
            elif unit == chapter_unit("bracket_depth"):
                extra = (" It is also the chapter's bracket unit: a docstring stands alone at bracket depth 0, while "
                         "most other strings are arguments inside a call's brackets, so part of what it knows about "
                         "docstrings is the bracket depth.")
            return Verdict("correct", f"{said}: |r| ≥ {THRESHOLD}, it tells docstrings from other strings.{extra}")
        lines = [f"{said}; it needs |r| ≥ {THRESHOLD} inside strings.", computed]
        mistake = None
        for slip in self.slips:
            if unit == slip.value():
                lines.append(f"Likely mistake: {slip.name}. {slip.fix}")
                mistake = slip.name
                break
        return Verdict("wrong", "\n".join(lines), mistake)


q2 = UnitQuestion(
    "q2", "find the unit that tells docstrings from other strings", 4, variable="q2_answer",
    slips=[Slip("tracks a correlated property", string_follower,
                "This unit moves with strings: over every character it correlates with in_string, and so with "
                "in_docstring, because every docstring is a string; but among the characters inside strings it is "
                "the same for docstrings and other strings. Correlate only over the characters inside strings."),
           Slip("the untrained network's best unit", lambda: _best("untrained_r"),
                "This is the best unit of the untrained network, the one training started from; in the trained "
                "reader it does not reach the bar. Rank the units of the trained reader (load_reader())."),
           ],
    hint="Keep only the characters inside strings (in_string is 1), correlate every unit's c_t there with "
         "in_docstring (your q1), and take a unit with a large |r|.",
)


# ---------------------------------------------------------------------------- q3, q4: predict a unit on a line

#: The code the reader reads before the line of q3 and q4 (from a fresh state, as it reads a file), and the lines.
PREFIX = 'import os\n\n\ndef main(path):\n    """Print the size of a file."""\n    size = os.path.getsize(path)\n'
Q3_LINE = "    return size  # the size of the file; it can't be negative\n"
Q4_LINE = '    x = "(" + path\n'


def _span(line: str, a: int, b: int | None = None) -> np.ndarray:
    mask = np.zeros(len(line), dtype=bool)
    mask[a:b] = True
    return mask


_Q3_WORDS = Q3_LINE.index("# ") + 2  # the comment's first word
#: Per question: the property the unit tracks, and each option as the characters of the line where it puts the unit
#: on the property's side (a boolean mask over the line).
_OPTION_MASKS: dict[str, tuple[str, dict[str, np.ndarray]]] = {
    "q3": ("in_string", {
        "a": _span(Q3_LINE, 0, 0),
        "b": _span(Q3_LINE, Q3_LINE.index("can't") + 3),
        "c": _span(Q3_LINE, _Q3_WORDS),
        "d": _span(Q3_LINE, 0)}),
    "q4": ("bracket_depth", {
        "a": _span(Q4_LINE, 0, 0),
        "b": _span(Q4_LINE, Q4_LINE.index("(")),
        "c": _span(Q4_LINE, 0)}),
}


def chapter_unit(prop: str) -> int:
    """The unit whose c_t tracks ``prop`` best on all held-out files, as the chapter's table shows it (the stored
    analysis, :func:`lstm_course.reader.analysis.tracker_row`)."""
    from ..reader.analysis import tracker_row

    return int(tracker_row(prop, "c_t")["unit"])


def unit_side(prop: str, text: str) -> tuple[int, np.ndarray]:
    """The chapter's unit for ``prop`` (:func:`chapter_unit`), and for every character of ``text``, read after
    :data:`PREFIX` (from a fresh state), whether its c_t is nearer its mean on the judged held-out characters where
    the property holds (``prop > 0``) than its mean where it does not: ``(unit, (len(text),) bool)``."""
    j = _judged()
    unit = chapter_unit(prop)
    v, on = j["values"][:, unit].double(), j[prop] > 0  # (N,), (N,)
    inside, outside = float(v[on].mean()), float(v[~on].mean())
    c = j["reader"].trace(PREFIX + text, (QUANTITY,))[QUANTITY][len(PREFIX):, unit].double()  # (len(text),)
    return unit, ((c - outside).abs() > (c - inside).abs()).numpy()


def option_agreement(name: str) -> dict[str, float]:
    """For q3 or q4: the fraction of the line's characters on which each option agrees with what the unit does."""
    prop, options = _OPTION_MASKS[name]
    line = {"q3": Q3_LINE, "q4": Q4_LINE}[name]
    _, side = unit_side(prop, line)
    return {letter: float((mask == side).mean()) for letter, mask in options.items()}


def predicted_answer(name: str) -> str:
    """The option of q3 or q4 that matches what the shipped reader's unit does on the line."""
    agree = option_agreement(name)
    return max(agree, key=agree.get)


q3 = ChoiceQuestion(
    "q3", "predict the string unit on a line", 2, variable="q3_answer",
    options={"a": "nowhere on this line: there is no string on it",
             "b": "from the apostrophe of can't to the end of the line, as if it opened a string",
             "c": "on the comment, from its first word to the end of the line",
             "d": "on the whole line"},
    answer="c",
    why={"a": "That is what tokenize says: a comment is not a string, and this line has none. The unit moves to its "
              "string side all the same, a few characters into the comment, and stays there.",
         "b": "The unit does not wait for the apostrophe of can't: it is on its string side from the comment's "
              "first word on, and stays there past the apostrophe to the end of the line.",
         "d": "On the indentation and `return size`, before the comment, the unit is on its outside side; it "
              "moves only in the comment."},
    hint="The unit was found by its correlation with in_string over held-out files; a high correlation is not "
         "equality. What else in a Python file is written in words, for people to read?",
    explanation="On the code before the comment the unit is on its outside side. A few characters into the comment, "
                "at its first word, it moves to its string side and stays there to the end of the line, the newline "
                "included; at the apostrophe of can't it is already there. tokenize finds no string on this line: "
                "the unit tracks text written for people, strings, docstrings and comments, rather than "
                "tokenize's exact string tokens (over the held-out files it correlates more with being in a string "
                "or a comment than with being in a string).",
)

q4 = ChoiceQuestion(
    "q4", "predict the bracket unit on a line", 2, variable="q4_answer",
    options={"a": "nowhere on this line: no bracket is open",
             "b": "from the ( inside the string to the end of the line",
             "c": "on the whole line"},
    answer="b",
    why={"a": "That is what tokenize says: a bracket inside a string opens nothing. The reader was fooled: at the "
              "( inside the string the unit moved to its open-bracket side.",
         "c": "Before the string the unit is on its closed side, where the ) at the end of the line above left "
              "it; it moves at the ( ."},
    hint="The unit was found by its correlation with tokenize's bracket depth, which does not count a bracket "
         "inside a string. What does the reader know when it reads that ( ?",
    explanation="The unit moves to the open-bracket side at the ( inside the string and stays there to the end of "
                "the line, as if a bracket were open, although tokenize counts none: on this line the unit reacts to "
                "the character ( itself, not to the bracket depth that tokenize computes.",
)

EXERCISE = Exercise("reading_code", "Reading real code", (q1, q2, q3, q4))
