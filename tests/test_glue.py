"""lstm_course.glue: delegates to myst-nb when present, a silent no-op without it."""

from __future__ import annotations

import sys
import types

import pytest

from lstm_course.glue import glue


def test_delegates_to_myst_nb(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    glue("f_value", 0.88, display=False)
    assert calls == [("f_value", 0.88, False)]


def test_no_op_without_myst_nb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # makes `import myst_nb` raise ImportError
    assert glue("f_value", 0.88) is None
