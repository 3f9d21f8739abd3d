"""``glue``: put a computed number into the prose of the built book, and do nothing elsewhere.

The chapters state their numbers with myst-nb's ``{glue:text}`` role, so a claim in the text is
always the value the code computed.  myst-nb is part of the book build, not of the library: on
Colab (where only ``lstm_course`` is installed) the chapters must still run, so this wrapper
falls back to a no-op there.
"""

from __future__ import annotations

__all__ = ["glue"]


def glue(name: str, value: object, display: bool = True) -> None:
    """Record ``value`` under ``name`` for ``{glue:text}`name``` (myst-nb), if myst-nb is installed."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # e.g. on Colab: the prose then shows the placeholder, the code still runs
        return None
    myst_glue(name, value, display=display)
    return None
