"""Optional parts of the course library, and the one-line error when one is missing.

The batch grader, ``lstm-course assign`` and ``lstm-course grade`` need the ``grader`` extra
(``nbclient``, ``nbformat``, ``ipykernel``): ``pip install "lstm_course[grader]"``, or ``make``
in a checkout of the course, which installs everything.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["GRADER_INSTALL", "GRADER_MODULES", "MissingExtraError", "require_grader"]

#: The command that installs the grader extra.
GRADER_INSTALL = 'pip install "lstm_course[grader]"'
#: The modules the grader extra provides.
GRADER_MODULES = ("nbformat", "nbclient", "ipykernel")


class MissingExtraError(ImportError):
    """An optional extra of ``lstm_course`` is not installed; the message names the command that installs it."""


def _importable(name: str) -> bool:
    if name in sys.modules:
        return sys.modules[name] is not None
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require_grader(what: str = "the grader") -> None:
    """Raise :class:`MissingExtraError` naming ``what`` and the install command if the grader extra is missing."""
    missing = [m for m in GRADER_MODULES if not _importable(m)]
    if missing:
        raise MissingExtraError(f"{what} needs the grader extra ({', '.join(missing)} not installed): "
                                f"run {GRADER_INSTALL} (or `make` in a checkout of the course).")
