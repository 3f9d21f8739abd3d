"""Batch grading of exercise notebooks (``lstm-course grade``); see :mod:`.grader`."""

from .grader import QuestionGrade, SubmissionGrade, grade, grade_submission

__all__ = ["QuestionGrade", "SubmissionGrade", "grade", "grade_submission"]
