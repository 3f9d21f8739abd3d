"""The chapters and an exercise in a real JupyterLab with a live kernel, in headless Chromium (issue 8 point 3).

Chapters 03 and 04 are run with Run > Run All Cells; then a widget's slider is moved from the keyboard and the view
it shows must change, and the kernel behind the page must hold the same state (the slider's position and the
image shown were computed there). (Chapter 01 has no ipywidget since its step explorer was removed; its live cell
explorer is driven in tests/lab/test_cell_explorer_lab.py.) The forget-gate exercise is answered wrongly
(tanh for sigmoid), then rightly, by typing into its answer cell. Everything happens on copies (see conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import labdriver
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The page's Explorer objects, as the kernel sees them: which position each slider is at and what its stack shows.
PROBE = """\
import gc, json
from lstm_course.widgets import Explorer
print(json.dumps([{"index": e.slider.index, "shown": e.shown, "alt": e.alts[e.shown]}
                  for e in gc.get_objects() if isinstance(e, Explorer)]))"""

WRONG = """\
def forget_gate(h_prev, x_t, W_f, b_f):
    hx = torch.cat([h_prev, x_t], dim=-1)
    return torch.tanh(hx @ W_f.T + b_f)
"""
RIGHT = WRONG.replace("torch.tanh", "torch.sigmoid")


@pytest.fixture
def notebook(browser: object, lab_server: object) -> object:
    opened: list[labdriver.Notebook] = []

    def open_notebook(path: str) -> labdriver.Notebook:
        nb = labdriver.Notebook(browser, lab_server, path)
        opened.append(nb)
        nb.open()
        return nb

    yield open_notebook
    for nb in opened:
        assert not nb.offhost, f"{nb.path}: requests to another host: {nb.offhost}"
        assert not nb.page_errors, f"{nb.path}: uncaught errors in the page: {nb.page_errors}"
        nb.close()
    lab_server.shutdown_kernels()


def _move_first_slider(nb: labdriver.Notebook, cell: int) -> dict:
    """Press ArrowRight on the first slider of `cell` (ArrowLeft if it was at the right end)."""
    moved = nb.press_on_slider(cell, "", "ArrowRight")
    if moved["after"] == moved["before"]:
        moved = nb.press_on_slider(cell, "", "ArrowLeft")
    return moved


def _wait_for_new_view(nb: labdriver.Notebook, cell: int, before: list[dict]) -> list[dict]:
    nb.wait_for("""(a) => { const imgs = Array.from(a[0].querySelectorAll('.jp-Cell-outputArea .jupyter-widgets img'))
                    .filter(i => i.offsetParent !== null && i.getBoundingClientRect().height > 0);
                    return imgs.length === 1 && imgs[0].alt !== a[1]; }""",
                arg=[nb.cell(cell), before[0]["alt"]])
    return nb.visible_images(cell)


@pytest.mark.parametrize("path", ["book/03_input_gate.ipynb", "book/04_cell_update.ipynb"])
def test_chapter_runs_and_its_widget_answers_the_slider(notebook: object, lab_server: object, artifacts: Path,
                                                        path: str) -> None:
    nb = notebook(path)
    nb.run_all()
    assert not nb.errors(), f"{path}: error outputs after Run All Cells: {nb.errors()}"
    code = [c for c in nb.cells() if c["type"] == "code" and c["source"].strip()]
    assert all(c["execution_count"] for c in code), f"{path}: cells that did not run: " + str(
        [c["index"] for c in code if not c["execution_count"]])
    # The live cell explorers (lstm_course.live_cell: HTML + script, computed in the browser) mounted: the output a
    # learner's own run produced is trusted, so JupyterLab runs its script, which replaces the no-script message.
    explorers = nb.page.evaluate("""() => Array.from(document.querySelectorAll('.jp-OutputArea-output .lx'))
        .map(e => ({controls: e.querySelectorAll('input, button').length, svg: e.querySelectorAll('svg').length,
                    text: e.innerText.slice(0, 120)}))""")
    expected = sum('class="lx"' in "".join(o.get("data", {}).get("text/html", "")) for c in code for o in c["outputs"])
    mounted = [e for e in explorers if e["controls"] and e["svg"]]
    assert len(mounted) == len(explorers) == expected, (
        f"{path}: {expected} live cell explorers in the outputs, mounted in the page: {explorers}")
    widget_cells = [c["index"] for c in code if any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in c["outputs"])]
    assert widget_cells, f"{path}: no widget among the outputs"
    cell = widget_cells[0]

    before = nb.visible_images(cell)
    assert len(before) == 1 and before[0]["alt"], f"{path}: the widget shows {before}, not one image with alt text"
    moved = _move_first_slider(nb, cell)
    assert moved["after"] != moved["before"], f"{path}: the slider did not move with the arrow keys: {moved}"
    after = _wait_for_new_view(nb, cell, before)
    # the whole image, not its tail: the PNGs end with the same metadata chunk (their smallest text size)
    assert after[0]["src_hash"] != before[0]["src_hash"], f"{path}: new alt text but the same image"

    # The kernel holds the position the browser shows, and the image shown is the one the kernel rendered for it.
    probe = labdriver.json_line(nb.append_and_run(PROBE)["shown"])
    matching = [e for e in probe if e["alt"] == after[0]["alt"]]
    assert matching, f"{path}: no explorer in the kernel shows {after[0]['alt']!r}: {probe}"
    assert any(e["index"] == e["shown"] == int(float(moved["after"])) for e in matching), (
        f"{path}: the kernel's slider/stack are not at the browser's position {moved['after']}: {matching}")

    nb.cell(cell).scroll_into_view_if_needed()
    nb.page.screenshot(path=str(artifacts / f"{Path(path).stem}_slider_moved.png"))
    assert not nb.errors(), f"{path}: error outputs after the slider moved: {nb.errors()}"


def test_exercise_names_the_mistake_then_accepts_the_answer(notebook: object, artifacts: Path) -> None:
    nb = notebook("exercises/forget_gate.ipynb")
    nb.run_all()
    assert not nb.errors(), f"the untouched exercise has error outputs: {nb.errors()}"
    answer = nb.index_of("def forget_gate(")
    check = nb.index_of("q1.check(forget_gate)")
    assert check == answer + 1, "the check should sit right below the answer cell"
    assert "Not attempted" in nb.cells()[check]["shown"], nb.cells()[check]["shown"]

    nb.type_into(answer, WRONG)
    nb.shift_enter(answer)  # runs the answer, selects the check
    shown = nb.shift_enter(check)["shown"]
    assert "Likely mistake: tanh where sigmoid belongs" in shown and "✘ Not yet" in shown, shown
    nb.cell(check).scroll_into_view_if_needed()
    nb.page.screenshot(path=str(artifacts / "exercise_forget_gate_mistake.png"))

    nb.type_into(answer, RIGHT)
    nb.shift_enter(answer)
    shown = nb.shift_enter(check)["shown"]
    assert "✔ Correct" in shown and "mistake" not in shown, shown
    nb.cell(check).scroll_into_view_if_needed()
    nb.page.screenshot(path=str(artifacts / "exercise_forget_gate_correct.png"))
    assert not nb.errors(), nb.errors()
