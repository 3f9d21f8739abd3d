"""The code reader (issue 20 point 3) in a real JupyterLab and in Notebook 7, with a live kernel, in Chromium.

A cell `reader_view(load_reader(), ...)` is typed and run the way a learner runs it; its output must draw the reader
(the output's script runs in the page: no kernel round trip afterwards). Keystrokes typed into its text area must
update the characters' `data-value`s to `Reader.trace`'s numbers (float32 forward) within 1e-5 (times max(1, |value|):
tests/test_reader_page.py says why), and axe-core must
find no violation in the reader under JupyterLab's light and dark themes. Screenshots go to `test-artifacts/lab/`.
Uses the fixtures of conftest.py (a server on 127.0.0.1 over copies of the notebooks).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import labdriver
import numpy as np
import pytest

from lstm_course.reader.analysis import tracker_row
from lstm_course.reader.model import Reader, load_reader

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOLERANCE = 1e-5
START = "def area(r):\n    return 3.14159 * r ** 2\n"
TYPED = "print(area(2), 'done')  # a comment\n"
READER_CELL = f"""\
from lstm_course.reader import load_reader
from lstm_course.reader.analysis import tracker_row
from lstm_course.reader.page import reader_view
units = {{"inside a string": tracker_row("in_string")["unit"], "bracket depth": tracker_row("bracket_depth")["unit"]}}
reader_view(load_reader(), text={START!r}, units=units, unit="inside a string", quantity="c_t")"""


STRING_UNIT = int(tracker_row("in_string")["unit"])


def _reader() -> Reader:
    return load_reader()


def _root(page: Any, cell: Any) -> str:
    page.wait_for_function("(cell) => cell.querySelector('.rd[data-ready]')", arg=cell, timeout=30_000)
    return "#" + page.evaluate("(cell) => cell.querySelector('.rd[data-ready]').id", cell)


def _type_and_compare(page: Any, sel: str) -> float:
    """Type `TYPED` at the end of the text area; every character's c_t and i_t of the string unit (shown first)
    against Reader.trace."""
    area = page.locator(f"{sel} textarea[data-reader-input]")
    area.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type(TYPED)
    text = START + TYPED
    assert area.input_value() == text
    assert page.get_attribute(sel, "data-chars") == str(len(text)) and page.get_attribute(sel, "data-recomputed") == "1"
    want = _reader().trace(text)
    assert page.locator(f"{sel} select[data-reader-unit]").input_value() == str(STRING_UNIT)
    worst = 0.0
    for q in ("c_t", "i_t"):
        page.locator(f"{sel} select[data-reader-quantity]").select_option(q)
        got = np.array(page.evaluate("(sel) => Array.from(document.querySelectorAll(sel + ' [data-char-index]'))"
                                     ".map((e) => Number(e.dataset.value))", sel))
        assert got.shape == (len(text),), got.shape
        ref = want[q][:, STRING_UNIT].double().numpy()
        worst = max(worst, float((np.abs(got - ref) / np.maximum(1.0, np.abs(ref))).max()))
    assert worst <= TOLERANCE, f"the reader differs from Reader.trace by {worst} (over max(1, |value|))"
    return worst


def _axe(page: Any, sel: str) -> list[dict[str, Any]]:
    """axe-core's violations inside the reader. `preload: false`: axe's own fetch of the page's style sheets resolves
    the book theme's `@import "../basic.css"` against the page (a 404); it only serves the orientation-lock rule."""
    import axe_playwright_python

    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(Path(axe_playwright_python.__file__).parent / "axe.min.js"))
    return page.evaluate("async (sel) => (await axe.run(document.querySelector(sel), {resultTypes: ['violations'], "
                         "preload: false})).violations.map((v) => ({id: v.id, help: v.help, nodes: "
                         "v.nodes.slice(0, 3).map((n) => n.html.slice(0, 120))}))", sel)


def _screenshot(page: Any, sel: str, path: Path) -> None:
    height = page.evaluate("(sel) => document.querySelector(sel).getBoundingClientRect().height", sel)
    page.set_viewport_size({"width": 1400, "height": int(height) + 400})
    page.locator(sel).scroll_into_view_if_needed()
    page.locator(sel).screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_the_reader_runs_in_jupyterlab(browser: object, lab_server: object, artifacts: Path) -> None:
    path = "reader_jupyterlab.ipynb"  # a small notebook: opening a chapter would only add time
    (lab_server.root / path).write_text(json.dumps({
        "cells": [{"cell_type": "markdown", "id": "title", "metadata": {}, "source": "# The code reader"}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}))
    nb = labdriver.Notebook(browser, lab_server, path)
    console: list[str] = []
    nb.page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    try:
        nb.open()
        result = nb.append_and_run(READER_CELL)
        assert not nb.errors(), nb.errors()
        sel = _root(nb.page, nb.cell(result["index"]))
        worst = _type_and_compare(nb.page, sel)
        violations = {"light": _axe(nb.page, sel)}
        _screenshot(nb.page, sel, artifacts / "reader_lab_light.png")
        nb.page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                         "{theme: 'JupyterLab Dark'})")
        nb.wait_for("() => document.body.dataset.jpThemeLight === 'false'")
        nb.page.wait_for_timeout(500)
        background = nb.page.evaluate("(sel) => getComputedStyle(document.querySelector(sel)).backgroundColor", sel)
        assert background == "rgb(22, 27, 34)", f"the reader is not dark under JupyterLab Dark: {background}"
        violations["dark"] = _axe(nb.page, sel)
        _screenshot(nb.page, sel, artifacts / "reader_lab_dark.png")
        nb.page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', "
                         "{theme: 'JupyterLab Light'})")
        (artifacts / "reader_lab.json").write_text(json.dumps(
            {"where": "JupyterLab", "largest_difference_over_max_1_abs": worst, "axe_violations": violations},
            indent=1))
        assert violations == {"light": [], "dark": []}, violations
        assert not console, f"console errors in JupyterLab: {console}"
        assert not nb.page_errors, nb.page_errors
        assert not nb.offhost, nb.offhost
    finally:
        nb.close()
        lab_server.shutdown_kernels()


def test_the_reader_runs_in_notebook_7(browser: object, lab_server: object, artifacts: Path) -> None:
    """Notebook 7's page (`/notebooks/…`): a notebook holding only the reader cell, run with Shift+Enter."""
    path = "reader_notebook7.ipynb"
    (lab_server.root / path).write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": "reader", "metadata": {}, "outputs": [],
                   "source": READER_CELL}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}))
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, service_workers="block")
    page = context.new_page()
    errors: list[tuple[str, str]] = []
    page.on("pageerror", lambda e: errors.append((str(e), e.stack or "")))
    try:
        page.goto(f"{lab_server.url}notebooks/{path}?token={lab_server.token}")
        editor = page.locator(".jp-Cell .cm-content").first
        editor.wait_for(timeout=60_000)
        page.wait_for_function("() => !document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=busy]')",
                               timeout=60_000)
        page.wait_for_timeout(2000)  # the kernel connects
        editor.click()
        page.keyboard.press("Shift+Enter")
        sel = _root(page, page.locator(".jp-Cell").first.element_handle())
        worst = _type_and_compare(page, sel)
        page.evaluate("""() => document.querySelectorAll('.jp-mod-outputsScrolled')
            .forEach((e) => e.classList.remove('jp-mod-outputsScrolled'))""")
        _screenshot(page, sel, artifacts / "reader_notebook7.png")
        (artifacts / "reader_notebook7.json").write_text(json.dumps(
            {"where": "Notebook 7", "largest_difference_over_max_1_abs": worst}, indent=1))
        # Notebook 7 logs a few errors of its own on load, from its bundles under /static/; the reader's is inline.
        own = [m for m, stack in errors if "/static/" not in stack]
        assert not own, f"errors outside Notebook 7's own bundles: {own} (all: {errors})"
    finally:
        context.close()
        lab_server.shutdown_kernels()
