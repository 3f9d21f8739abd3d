"""lstm_course.prose: numbers written out in the markdown, checked against the code under the build and tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from lstm_course.prose import (
    CHECK_ENV,
    MARKER,
    NOTEBOOK_DIR_ENV,
    Prose,
    ProseMismatch,
    check_site,
    find_quotes,
    format_quote,
    power_of_ten,
)

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


def _site(text: str):
    (site,) = find_quotes([(4, text)])
    return site


def test_find_quotes_reads_a_tolerance():
    site = _site("the mean input gate is about 0.45<!-- i_mean:.2f ±0.05 -->.")
    assert (site.name, site.fmt, site.tol) == ("i_mean", ".2f", "0.05")
    assert _site("x 0.45<!-- i_mean:.2f ± 0.05 -->").tol == "0.05"  # a space after ± is allowed, not ignored
    assert _site("x 0.45<!-- i_mean:.2f -->").tol is None


@pytest.mark.parametrize(("text", "value", "ok"), [
    ("about 0.45<!-- m:.2f ±0.05 -->", 0.48, True),
    ("about 0.45<!-- m:.2f ±0.05 -->", 0.40, True),
    ("about 0.45<!-- m:.2f ±0.05 -->", 0.51, False),  # 0.51 is 0.06 away
    ("about 0.45<!-- m:.2f ±0.05 -->", 0.3949, False),  # formats as 0.39
    ("about 14<!-- c:.0f ±1 --> in size", 14.4, True),
    ("about 14<!-- c:.0f ±1 --> in size", 15.6, False),  # formats as 16
    ("only 0.75 %<!-- share:.2f ±0.05 -->", 0.71, True),  # a unit after the number
    ("a share of 75.3%<!-- share:.1% ±1 -->", 0.745, True),  # compared in the units the text shows
    ("a share of 75.3%<!-- share:.1% ±1 -->", 0.74, False),
    ("a loss of −0.50<!-- l:.2f ±0.1 -->", -0.45, True),
    ("1,200<!-- n:,.0f ±100 -->", 1290.0, True),
    ("1,200<!-- n:,.0f ±100 -->", 1310.0, False),
])
def test_toleranced_quote_accepts_the_band_and_rejects_outside_it(text, value, ok):
    problem = check_site(_site(text), value)
    assert (problem is None) == ok, problem
    if not ok:
        assert "more than" in problem and "<!-- " in problem


def test_exact_quotes_stay_exact():
    assert check_site(_site("σ(0) = 0.5<!-- s:.1f -->"), 0.5) is None
    assert "the code computes '0.6'" in check_site(_site("σ(0) = 0.5<!-- s:.1f -->"), 0.55001)
    assert check_site(_site("count 1,234<!-- n:, -->"), 1234) is None


@pytest.mark.parametrize("text", ["about 10⁻¹⁴", "about $10^{-14}$", "about 10^-14", "about 1e-14", "10⁻¹⁴ or so"])
def test_power_of_ten_reads_the_common_spellings(text):
    assert power_of_ten(text.replace(" or so", "")) == -14
    assert power_of_ten("about 10³") == 3 and power_of_ten("about 0.45") is None


@pytest.mark.parametrize(("text", "value", "ok"), [
    ("about 10⁻¹⁴<!-- d:oom -->", 1.3e-14, True),
    ("about 10⁻¹⁴<!-- d:oom -->", 1.6e-14, True),   # what another CPU computes
    ("about 10⁻¹⁴<!-- d:oom -->", 4e-15, True),     # log10 = -14.4 rounds to -14
    ("about 10⁻¹⁴<!-- d:oom -->", 2.5e-15, False),  # log10 = -14.6: 10⁻¹⁵
    ("about 10⁻¹⁴<!-- d:oom -->", 4e-14, False),    # log10 = -13.4: 10⁻¹³
    ("about 10⁻¹⁴<!-- d:oom -->", -1.3e-14, True),  # the magnitude counts
    ("about 10⁻¹⁴<!-- d:oom ±1 -->", 4e-14, True),  # a decade either way
    ("about 10⁻¹⁴<!-- d:oom -->", 0.0, False),
    ("about 0.0000<!-- d:oom -->", 1e-14, False),   # not a power of ten
])
def test_order_of_magnitude_quotes(text, value, ok):
    problem = check_site(_site(text), value)
    assert (problem is None) == ok, problem


@pytest.mark.parametrize("marker", ["<!-- m:.2f ±x -->", "<!-- m:.2f ±-0.1 -->", "<!-- m:.2f ± -->",
                                    "<!-- m:.2f ±0 -->"])
def test_a_malformed_tolerance_is_reported_not_ignored(marker):
    problem = check_site(_site(f"about 0.45{marker}"), 0.45)
    assert problem and "tolerance after '±' must be a positive number" in problem


def test_a_toleranced_drift_fails_the_check_naming_the_quote(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _notebook(tmp_path, "# Title", "the gates average about 0.45<!-- i_mean:.2f ±0.05 --> and 10⁻¹⁴<!-- d:oom -->")
    prose = Prose("chapter.ipynb")
    prose.quote("i_mean", 0.47)
    prose.quote("d", 1.6e-14)
    monkeypatch.setenv(CHECK_ENV, "1")
    prose.check()
    prose.quote("i_mean", 0.52)
    prose.quote("d", 1.6e-12)
    with pytest.raises(ProseMismatch, match=r"(?s)cell 2: the text says 0\.45 before <!-- i_mean:\.2f ±0\.05 -->.*"
                                            r"'0\.52', more than 0\.05 away.*10\^-14 before <!-- d:oom -->"):
        prose.check()


def test_the_notebook_is_read_only_when_checking_and_from_the_folder_handed_in(tmp_path, monkeypatch):
    """As on Colab: the working folder is empty; a learner's run never opens the file, a test names its folder."""
    book = tmp_path / "book"
    book.mkdir()
    _notebook(book, "the gate is 0.881<!-- f_t:.3f -->")
    empty = tmp_path / "content"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.delenv(CHECK_ENV, raising=False)
    monkeypatch.delenv(NOTEBOOK_DIR_ENV, raising=False)
    prose = Prose("chapter.ipynb")
    prose.quote("f_t", 0.8808)
    assert not prose.checking and prose.check() is None  # no file needed
    monkeypatch.setenv(CHECK_ENV, "1")
    with pytest.raises(FileNotFoundError, match=f"no such file in the working directory.*{NOTEBOOK_DIR_ENV}"):
        prose.check()
    monkeypatch.setenv(NOTEBOOK_DIR_ENV, str(book))
    assert prose.checking and prose.path() == book / "chapter.ipynb"
    prose.check()
    assert prose.cells()[0]["source"] == "the gate is 0.881<!-- f_t:.3f -->"
    monkeypatch.setenv(NOTEBOOK_DIR_ENV, str(empty))
    with pytest.raises(FileNotFoundError, match=f"{NOTEBOOK_DIR_ENV}="):
        prose.check()


#: An HTML comment that starts like a quote marker (``<!-- name:`` or ``<!-- name ±``).
_LOOKS_LIKE_A_MARKER = re.compile(r"<!--\s*[A-Za-z_][A-Za-z0-9_]*\s*(?::|±)[^>]*-->")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_marker_like_comment_parses_as_a_marker(path):
    """A misspelt marker (``+-0.05``, a space inside the format) would otherwise be skipped without a word."""
    cells = json.loads(path.read_text())["cells"]
    for k, cell in enumerate(cells, 1):
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        for comment in _LOOKS_LIKE_A_MARKER.findall(source):
            assert MARKER.fullmatch(comment), f"{path.name} cell {k}: {comment!r} is not a valid quote marker"
        for site in find_quotes([(k, source)]):
            if site.tol is not None:
                assert check_site(site, 0.0) is None or "tolerance after" not in check_site(site, 0.0), site.marker


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
