"""Buggy submissions, generated from the solution notebooks by small text edits (see ``mutations``)."""
