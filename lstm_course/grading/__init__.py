"""Batch grading of exercise notebooks (``lstm-course grade``); see :mod:`.grader`.

Needs the ``grader`` extra: importing this package without it raises
:class:`~lstm_course.extras.MissingExtraError`, whose message names ``pip install "lstm_course[grader]"``.
"""

from ..extras import require_grader

require_grader("lstm_course.grading")

from .grader import (  # noqa: E402 - after the check, so a missing extra gives one clear line
    COURSE_SEED,
    QuestionGrade,
    SubmissionGrade,
    grade,
    grade_submission,
    gradebooks,
    hidden_plans,
)

__all__ = ["COURSE_SEED", "QuestionGrade", "SubmissionGrade", "grade", "grade_submission", "gradebooks",
           "hidden_plans"]
