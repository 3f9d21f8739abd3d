"""Driving the cell explorer (lstm_course.live_cell) in a page, and what Python says it must show.

Shared by tests/site/test_cell_explorer.py (the built book) and tests/lab/test_cell_explorer_lab.py (JupyterLab).
Everything goes through the DOM as a reader's browser sees it: values are set on the `<input data-input=…>` controls
with `input` events, and read back from the `data-quantity`/`data-value` attributes the explorer writes.
"""

from __future__ import annotations

import random
from typing import Any

from lstm_course import live_cell

QUANTITIES = ("x_t", "h_prev", "c_prev", "f_t", "i_t", "c_tilde", "c_t", "o_t", "h_t")
#: Quantities the issue requires on every explorer (the inputs are shown too, and checked as well).
GATE_QUANTITIES = ("f_t", "i_t", "c_tilde", "o_t", "c_t", "h_t")


def random_settings(n: int, seed: int, names: tuple[str, ...] = live_cell.PARAM_NAMES) -> list[dict[str, float]]:
    """`n` settings of `names`, uniform over each control's range (seeded: a failure can be replayed).

    Rounded to 10 decimals: a range input keeps about 15 significant digits, so these survive it exactly.
    """
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        setting = {}
        for name in names:
            lo, hi = live_cell.RANGES.get(name) or live_cell.RANGES[name[0]]
            setting[name] = round(rng.uniform(lo, hi), 10)
        out.append(setting)
    return out


# For each setting: set every named control, fire `input`, read every [data-quantity] element (all of them: the
# diagram's labels and the table's cells must agree). Returns, per setting, {quantity: {unit: [values...]}} and what
# the inputs read back.
SET_AND_READ = r"""([selector, settings]) => {
  const root = document.querySelector(selector);
  const read = () => {
    const values = {};
    for (const e of root.querySelectorAll("[data-quantity]")) {
      const q = e.dataset.quantity, u = e.dataset.unit || "1";
      ((values[q] ||= {})[u] ||= []).push(Number(e.dataset.value));
    }
    return values;
  };
  const out = [];
  for (const s of settings) {
    const back = {};
    for (const [name, v] of Object.entries(s)) {
      const input = root.querySelector(`input[data-input="${name}"]`);
      if (!input) throw new Error(`no input[data-input=${name}]`);
      input.value = String(v);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      back[name] = Number(input.value);
    }
    out.push({ values: read(), inputs: back });
  }
  return out;
}"""

READ = r"""(selector) => {
  const root = document.querySelector(selector);
  const values = {};
  for (const e of root.querySelectorAll("[data-quantity]")) {
    const q = e.dataset.quantity, u = e.dataset.unit || "1";
    ((values[q] ||= {})[u] ||= []).push(Number(e.dataset.value));
  }
  return { values, step: Number(root.dataset.step), steps: Number(root.dataset.steps), mode: root.dataset.mode,
           units: Number(root.dataset.units) };
}"""


def largest_difference(readings: list[dict[str, Any]], expected: list[dict[str, float]], unit: str = "1",
                       quantities: tuple[str, ...] = QUANTITIES) -> tuple[float, list[str]]:
    """Max |page - Python| over the readings, and the problems (a quantity missing, or shown twice differently)."""
    worst, problems = 0.0, []
    for k, (got, want) in enumerate(zip(readings, expected, strict=True)):
        for q in quantities:
            shown = got["values"].get(q, {}).get(unit)
            if not shown:
                problems.append(f"#{k}: no [data-quantity={q}][data-unit={unit}] on the page")
                continue
            if max(shown) != min(shown):
                problems.append(f"#{k}: {q} is shown with different values {shown}")
            worst = max(worst, max(abs(v - want[q]) for v in shown))
    return worst, problems


# WCAG contrast of every visible text of the explorer against what it is drawn on. HTML text: its colour against the
# nearest opaque background. SVG text: its fill against the nearest opaque background of its <svg> (which a page's
# style may set) and against the diagram's panel, the worse of the two, since a label may sit on either.
CONTRAST = r"""(selector) => {
  const root = document.querySelector(selector);
  const rgba = (css) => {
    const n = (css.match(/[\d.]+/g) || []).map(Number);
    return [n[0], n[1], n[2], n.length > 3 ? n[3] : 1];
  };
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };
  const style = getComputedStyle(root);
  const surfaces = [rgba(style.backgroundColor)];
  const panel = root.querySelector(".lx-frame");
  if (panel) surfaces.push(rgba(getComputedStyle(panel).fill));
  const out = [];
  for (const el of root.querySelectorAll("*")) {
    if (!el.getClientRects().length) continue;
    const own = Array.from(el.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent)
      .join("").trim();
    if (!own) continue;
    const cs = getComputedStyle(el);
    if (el instanceof SVGElement) {
      const fg = lum(rgba(cs.fill));
      const under = [background(el.ownerSVGElement || el), ...surfaces.slice(1)];
      out.push({ text: own.slice(0, 30), svg: true, contrast: Math.min(...under.map((s) => ratio(fg, lum(s)))) });
    } else {
      const op = Number(cs.opacity);
      out.push({ text: own.slice(0, 30), svg: false, disabled: !!el.closest(":disabled"),
                 contrast: ratio(lum(rgba(cs.color)), lum(background(el))) * (op < 1 ? 0 : 1) });
    }
  }
  return { texts: out, background: style.backgroundColor, luminance: lum(rgba(style.backgroundColor)) };
}"""

# Every control: its accessible label, whether it can take the keyboard focus.
CONTROLS = r"""(selector) => {
  const root = document.querySelector(selector);
  return Array.from(root.querySelectorAll("input, button, select")).filter((e) => e.getClientRects().length)
    .map((e) => {
      const labels = Array.from(e.labels || []).map((l) => l.textContent.trim()).filter(Boolean);
      return { name: e.dataset.input || e.dataset.action || e.dataset.preset || e.tagName, tag: e.tagName,
               type: e.type, label: e.getAttribute("aria-label") || labels.join(" ") || e.textContent.trim(),
               disabled: e.disabled, tabIndex: e.tabIndex };
    });
}"""


# Sticky page headers (the book's top bar and its buttons) would cover part of an element screenshot.
HIDE_STICKY = """() => {
  const style = document.createElement("style");
  style.id = "lx-test-hide-sticky";
  style.textContent = ".bd-header, .bd-header-article, .skip-link, header { visibility: hidden !important; }";
  document.head.append(style);
}"""
SHOW_STICKY = """() => { const s = document.getElementById("lx-test-hide-sticky"); if (s) s.remove(); }"""


def screenshot(page: Any, selector: str, path: Any) -> None:
    """A screenshot of the explorer alone, with nothing of the page drawn over it."""
    page.evaluate(HIDE_STICKY)
    try:
        page.locator(selector).scroll_into_view_if_needed()
        page.locator(selector).screenshot(path=str(path))
    finally:
        page.evaluate(SHOW_STICKY)
