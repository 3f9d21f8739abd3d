"""Driving one notebook in JupyterLab the way a learner does: menus, keys and typing go through the page.

What the tests assert is read from the page: the text of outputs as shown, the widgets' images, and the notebook
model behind the page (`window.jupyterapp`, exposed by the server's `expose_app_in_browser`) for execution counts,
output types and the kernel's status.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

#: The notebook panel in front, and its kernel.
_PANEL = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
_KERNEL_IDLE = f"""() => {{
  const w = {_PANEL};
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return Boolean(k && k.status === 'idle' && w.content && w.content.widgets.length);
}}"""
# Every non-empty code cell ran, or a cell failed (Run All stops there); the kernel is idle and no cell waits ("[*]").
_RUN_ALL_DONE = f"""() => {{
  const w = {_PANEL};
  // JupyterLab does not send an empty cell (e.g. nbgrader's placeholder for hidden tests) to the kernel
  const cells = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
  if (w.sessionContext.session.kernel.status !== 'idle') return false;
  if (cells.some(c => c.promptNode && c.promptNode.textContent.includes('*'))) return false;
  const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
  return failed || cells.every(c => c.model.executionCount !== null);
}}"""
_CELLS = f"""() => {{
  const w = {_PANEL};
  return w.content.widgets.map((c, index) => {{
    const area = c.node.querySelector('.jp-Cell-outputArea');
    return {{
      index, type: c.model.type, source: c.model.sharedModel.getSource(),
      execution_count: c.model.type === 'code' ? c.model.executionCount : null,
      outputs: c.model.type === 'code' ? c.model.outputs.toJSON() : [],
      shown: area ? area.textContent : '',  // textContent: innerText is empty for cells scrolled out of view
    }};
  }});
}}"""
# The images a widget output shows now (a Stack shows one child; the others are hidden).
_VISIBLE_IMAGES = """(cell) => Array.from(cell.querySelectorAll('.jp-Cell-outputArea .jupyter-widgets img'))
  .filter(i => i.offsetParent !== null && i.getBoundingClientRect().height > 0)
  .map(i => ({alt: i.alt, src_length: i.src.length, src_tail: i.src.slice(-64),
               src_hash: Array.from(i.src).reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0,
                                                  2166136261)}))"""  # FNV-1a of the whole data URI


class Notebook:
    """One notebook open in its own browser context, against a running `LabServer`."""

    def __init__(self, browser: Any, server: Any, path: str) -> None:
        self.server = server
        self.path = path
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
        self.page = self.context.new_page()
        self.offhost: list[str] = []
        self.page_errors: list[str] = []
        host = urlsplit(server.url).netloc

        def route(r: Any) -> None:
            parts = urlsplit(r.request.url)
            if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != host:
                self.offhost.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        self.page.route("**/*", route)  # nothing may leave the host: such a request is recorded and refused
        self.page.on("pageerror", lambda err: self.page_errors.append(str(err)))

    # -- opening and running ---------------------------------------------------------------------------------
    def open(self, timeout_s: float = 90) -> None:
        """Open the notebook (a fresh workspace: `?reset`) and wait until its kernel is idle."""
        self.page.goto(f"{self.server.url}lab/tree/{self.path}?token={self.server.token}&reset")
        self.page.wait_for_function(_KERNEL_IDLE, timeout=timeout_s * 1000, polling=250)

    def menu(self, menu: str, item: str) -> None:
        """Click `menu` in the menu bar, then its entry `item` (exact label)."""
        self.page.get_by_role("menuitem", name=menu, exact=True).click()
        label = self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$"))
        self.page.locator(".lm-Menu-item", has=label).first.click()

    def run_all(self, timeout_s: float = 150) -> None:
        """Run > Run All Cells, and wait until every code cell ran (or one failed) and the kernel is idle."""
        self.menu("Run", "Run All Cells")
        try:
            self.page.wait_for_function(_RUN_ALL_DONE, timeout=timeout_s * 1000, polling=300)
        except Exception as exc:  # a Playwright timeout: say where the notebook stands
            raise AssertionError(f"{self.path}: Run All Cells did not finish in {timeout_s} s: {self.state()}") from exc

    def state(self) -> dict[str, Any]:
        """The kernel's status, each code cell's prompt, and any dialog in front (for failure messages)."""
        return self.page.evaluate(f"""() => {{
          const w = {_PANEL};
          const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
          return {{kernel: k ? k.status : null,
                   prompts: w ? w.content.widgets.filter(c => c.model.type === 'code')
                                 .map(c => c.promptNode ? c.promptNode.textContent : '') : [],
                   dialogs: Array.from(document.querySelectorAll('.jp-Dialog')).map(d => d.innerText.slice(0, 300))}};
        }}""")

    def cells(self) -> list[dict[str, Any]]:
        """Every cell: index, type, source, execution_count, outputs (nbformat JSON) and `shown` (the output text)."""
        return self.page.evaluate(_CELLS)

    def errors(self) -> list[str]:
        """`cell N: Ename: value` for every error output in the notebook."""
        return [f"cell {c['index']}: {o.get('ename')}: {o.get('evalue')}" for c in self.cells()
                for o in c["outputs"] if o.get("output_type") == "error"]

    def index_of(self, predicate_source: str) -> int:
        """The index of the first code cell whose source contains `predicate_source`."""
        for c in self.cells():
            if c["type"] == "code" and predicate_source in c["source"]:
                return int(c["index"])
        raise AssertionError(f"no code cell containing {predicate_source!r} in {self.path}")

    # -- cells in the page -----------------------------------------------------------------------------------
    def cell(self, index: int) -> Any:
        """The cell's element (scrolled into view: JupyterLab may render cells lazily)."""
        self.page.evaluate(f"""async (i) => {{ const nb = {_PANEL}.content;
            if (nb.scrollToItem) {{ await nb.scrollToItem(i, 'center'); }}
            nb.widgets[i].node.scrollIntoView({{block: 'center'}}); }}""", index)
        # A lazily rendered cell gets its input area a moment after it comes into view.
        self.page.wait_for_function(
            f"(i) => {_PANEL}.content.widgets[i].node.querySelector('.jp-Cell-inputArea') !== null",
            arg=index, timeout=15_000, polling=100)
        handle = self.page.evaluate_handle(f"(i) => {_PANEL}.content.widgets[i].node", index)
        return handle.as_element()

    def type_into(self, index: int, code: str) -> None:
        """Click into cell `index`'s editor, select everything there and type `code` in its place."""
        cell = self.cell(index)
        cell.query_selector(".cm-content").click()
        self.page.keyboard.press("Control+a")
        # insert_text enters the text as typed input without per-key auto-indentation, like a paste
        self.page.keyboard.insert_text(code)
        typed = self.page.evaluate(f"(i) => {_PANEL}.content.widgets[i].model.sharedModel.getSource()", index)
        assert typed == code, f"the editor of cell {index} holds {typed!r}, not what was typed"

    def shift_enter(self, index: int, timeout_s: float = 60) -> dict[str, Any]:
        """Press Shift+Enter with cell `index` selected and wait for its new result; returns the cell."""
        before = self.cells()[index]["execution_count"] or 0
        self.page.keyboard.press("Shift+Enter")
        self.page.wait_for_function(
            f"""(a) => {{ const w = {_PANEL}; const c = w.content.widgets[a[0]];
                return (c.model.executionCount || 0) > a[1] && !c.promptNode.textContent.includes('*')
                       && w.sessionContext.session.kernel.status === 'idle'; }}""",
            arg=[index, before], timeout=timeout_s * 1000, polling=200)
        return self.cells()[index]

    def run_cell(self, index: int, timeout_s: float = 60) -> dict[str, Any]:
        """Select cell `index` (command mode) and run it with Shift+Enter."""
        cell = self.cell(index)
        prompt = cell.query_selector(".jp-InputPrompt")
        prompt.click()  # selects the cell without entering its editor
        return self.shift_enter(index, timeout_s)

    def append_and_run(self, code: str, timeout_s: float = 60) -> dict[str, Any]:
        """Select the last cell, insert a code cell below it (Esc, B), type `code` and run it (Shift+Enter)."""
        last = len(self.cells()) - 1
        self.cell(last).query_selector(".jp-Cell-inputArea").click()
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("b")
        new = last + 1
        self.page.wait_for_function(f"(n) => {_PANEL}.content.widgets.length > n", arg=new, timeout=10_000)
        self.page.keyboard.press("Enter")  # edit mode in the new cell
        self.page.keyboard.insert_text(code)
        if self.cells()[new]["source"] != code:
            raise AssertionError(f"the new cell holds {self.cells()[new]['source']!r}")
        return self.shift_enter(new, timeout_s)

    # -- widgets ---------------------------------------------------------------------------------------------
    def visible_images(self, index: int) -> list[dict[str, Any]]:
        """The images shown now in cell `index`'s widget output: alt text and a fingerprint of the data."""
        return self.page.evaluate(_VISIBLE_IMAGES, self.cell(index))

    def press_on_slider(self, index: int, label: str, key: str) -> dict[str, str | None]:
        """Focus the slider labelled `label` in cell `index`'s output and press `key`; its value before and after."""
        cell = self.cell(index)
        sliders = cell.query_selector_all(".widget-slider")
        for slider in sliders:
            text = slider.query_selector(".widget-label")
            if text is not None and label in (text.text_content() or ""):
                break
        else:
            labels = [(s.query_selector(".widget-label") or s).text_content() for s in sliders]
            raise AssertionError(f"no slider labelled {label!r} in cell {index}; there are {labels}")
        handle = slider.query_selector(".noUi-handle")
        handle.scroll_into_view_if_needed()
        before = handle.get_attribute("aria-valuetext")
        handle.focus()
        self.page.keyboard.press(key)
        return {"before": before, "after": handle.get_attribute("aria-valuetext"),
                "readout": (slider.query_selector(".widget-readout") or slider).text_content()}

    def wait_for(self, js_predicate: str, arg: object = None, timeout_s: float = 30) -> None:
        self.page.wait_for_function(js_predicate, arg=arg, timeout=timeout_s * 1000, polling=200)

    def close(self) -> None:
        self.context.close()


def json_line(shown: str) -> dict[str, Any]:
    """The one JSON object a probe cell printed (the last line of its output that parses)."""
    for line in reversed(shown.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    raise AssertionError(f"no JSON line in the output:\n{shown}")
