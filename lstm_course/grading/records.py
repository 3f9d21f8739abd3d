"""What a grade is: one question's and one submitted file's (shared by the grader and Gradescope's format).

Kept apart from :mod:`.grader` (which runs submissions) and :mod:`.results` (which writes Gradescope's
``results.json``) so that both import it and neither imports the other's module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["QuestionGrade", "SubmissionGrade"]


@dataclass
class QuestionGrade:
    name: str
    title: str
    points: float
    max_points: float
    status: str
    message: str
    mistake: str | None = None


@dataclass
class SubmissionGrade:
    """The grade of one submitted file."""

    file: str
    exercise: str | None
    questions: list[QuestionGrade] = field(default_factory=list)
    max_points: float = 0.0
    problem: str = ""  # why the whole submission scored 0, if it did
    notes: list[str] = field(default_factory=list)  # cell errors, timeouts, truncated output
    seconds: float = 0.0
    seed: int | None = None  # the course seed the hidden inputs were drawn from

    @property
    def score(self) -> float:
        return float(sum(q.points for q in self.questions))
