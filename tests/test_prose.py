"""lstm_course.prose: numbers written out in the markdown, checked against the code under the build and tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from lstm_course.prose import CHECK_ENV, Prose, ProseMismatch, find_quotes, format_quote

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def _notebook(tmp_path: Path, *markdown: str) -> Path:
    cells = [{"cell_type": "markdown", "id": f"m{k}", "metadata": {}, "source": md} for k, md in enumerate(markdown)]
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_format_quote_follows_python_format_specs():
    assert format_quote(0.5, ".1f") == "0.5"
    assert format_quote(0.98201, ".3f") == "0.982"
    assert format_quote(3.0) == "3"  # an integral float without a spec reads as an integer
    assert format_quote(12) == "12"
    assert format_quote(100 * 0.8808, ".0f") == "88"


def test_find_quotes_reads_name_format_and_preceding_text():
    sites = find_quotes([(3, "so $f_t$ = 0.881<!-- f_t:.3f --> and T = 60<!-- T -->.")])
    assert [(s.cell, s.name, s.fmt) for s in sites] == [(3, "f_t", ".3f"), (3, "T", "")]
    assert sites[0].before.endswith("0.881") and sites[1].before.endswith("60")


def test_matching_prose_passes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _notebook(tmp_path, "# Title", "the gate is 0.881<!-- f_t:.3f -->, over 60<!-- T --> steps")
    prose = Prose("chapter.ipynb")
    prose.quote("f_t", torch.sigmoid(torch.tensor(2.0)))  # a 0-d tensor is quoted as its number
    prose.quote("T", 60)
    monkeypatch.setenv(CHECK_ENV, "1")
    assert prose.mismatches() == []
    prose.check()


def test_drifted_number_fails_naming_the_quote_and_cell(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _notebook(tmp_path, "# Title", "the gate is 0.881<!-- f_t:.3f -->")
    prose = Prose("chapter.ipynb")
    prose.quote("f_t", 0.9)
    monkeypatch.setenv(CHECK_ENV, "1")
    with pytest.raises(ProseMismatch, match=r"cell 2: the text says '.*0\.881' before <!-- f_t:\.3f -->.*'0\.900'"):
        prose.check()


def test_unrecorded_quote_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _notebook(tmp_path, "chance is 25<!-- chance:.0f --> %")
    monkeypatch.setenv(CHECK_ENV, "1")
    with pytest.raises(ProseMismatch, match="chance --> was never recorded"):
        Prose("chapter.ipynb").check()


def test_learners_never_see_the_check_fail(tmp_path, monkeypatch):
    """Without the variable (Jupyter, Colab, VS Code) a drift is not reported: the learner may change parameters."""
    monkeypatch.chdir(tmp_path)
    _notebook(tmp_path, "the gate is 0.881<!-- f_t:.3f -->")
    monkeypatch.delenv(CHECK_ENV, raising=False)
    prose = Prose("chapter.ipynb")
    prose.quote("f_t", 0.1)
    assert prose.check() is None


def test_missing_notebook_and_bad_names_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CHECK_ENV, "1")
    with pytest.raises(FileNotFoundError, match="Prose\\(notebook='nope.ipynb'\\).*own file name"):
        Prose("nope.ipynb").check()
    with pytest.raises(ValueError, match="quote name must be an identifier"):
        Prose("x.ipynb").quote("f t", 1.0)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_that_quotes_numbers_checks_them_last(path):
    """A chapter with `<!-- name -->` markers creates Prose for its own file and ends with `prose.check()`."""
    cells = json.loads(path.read_text())["cells"]
    markdown = [(k, "".join(c["source"])) for k, c in enumerate(cells, 1) if c["cell_type"] == "markdown"]
    if not find_quotes(markdown):
        pytest.skip(f"{path.name} quotes no computed number")
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert any(f'Prose("{path.name}")' in source for source in code), f"{path.name} must create Prose({path.name!r})"
    last = cells[-1]
    assert last["cell_type"] == "code" and "".join(last["source"]).strip().endswith("prose.check()")
    assert "remove-cell" in last["metadata"].get("tags", [])
