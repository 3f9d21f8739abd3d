"""How big a figure's smallest text is, recorded in its PNG, so that the built site can check what a reader sees.

A PNG of a figure carries a ``tEXt`` chunk with the keyword :data:`TEXT_SIZE_KEY` and, as JSON,
``{"smallest_text_px": s, "dpi": d, "smallest_text_pt": p}``: ``s = p * d / 72`` is the height of the smallest
font in the PNG's own pixels. A page that shows the image ``w`` CSS px wide from a PNG ``n`` px wide shows that
text at ``s * w / n`` CSS px (``tests/site/test_figure_text.py`` measures it at 1280 and 390 px wide).

Two ways a PNG gets the record:

- :func:`lstm_course.viz.to_png_bytes` (the widgets' images) writes it;
- in a Jupyter kernel, importing :mod:`lstm_course.viz` wraps IPython's ``image/png`` formatter for matplotlib
  figures (the inline backend's, after it ran; the picture is unchanged) so the figures a notebook shows carry it
  too. Outside IPython nothing is wrapped.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = ["TEXT_SIZE_KEY", "read_text_record", "smallest_text_pt", "with_text_record"]

TEXT_SIZE_KEY = "lstm_course:text-size"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def smallest_text_pt(fig: Figure) -> float | None:
    """The smallest font size (points) of the text ``fig`` draws: visible, non-empty tick labels, axis labels,
    titles, legends and annotations (an axis that is switched off draws none of its own). ``None`` when it has no
    text. Call it after the figure was drawn (saving draws it): tick labels are made then.
    """
    sizes: list[float] = []
    axis_texts: set[int] = set()
    for ax in fig.axes:
        for axis in ax._axis_map.values():  # x and y (and z)
            own = [axis.label, axis.offsetText, *axis.get_ticklabels(which="both")]
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                own += [tick.label1, tick.label2]
            axis_texts.update(id(t) for t in own)
            if ax.get_visible() and ax.axison and axis.get_visible():
                sizes += [float(t.get_fontsize()) for t in own if t.get_visible() and t.get_text().strip()]
    for t in fig.findobj(Text):
        if id(t) in axis_texts or not t.get_visible() or not t.get_text().strip():
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        sizes.append(float(t.get_fontsize()))
    return min(sizes) if sizes else None


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def with_text_record(png: bytes, fig: Figure, dpi: float) -> bytes:
    """``png`` (a PNG of ``fig`` saved at ``dpi``) with the text-size record before its ``IEND`` chunk."""
    if not png.startswith(_PNG_SIGNATURE) or not png.endswith(b"IEND\xaeB`\x82"):
        raise ValueError("`png` must be the bytes of a whole PNG file.")
    pt = smallest_text_pt(fig)
    if pt is None:
        return png
    record = {"smallest_text_px": round(pt * dpi / 72, 3), "dpi": float(dpi), "smallest_text_pt": pt}
    chunk = _chunk(b"tEXt", TEXT_SIZE_KEY.encode("latin-1") + b"\0" + json.dumps(record).encode("latin-1"))
    return png[:-12] + chunk + png[-12:]


def read_text_record(png: bytes) -> dict[str, float] | None:
    """The text-size record of a PNG (``None`` when it has none)."""
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind = png[pos + 4:pos + 8]
        data = png[pos + 8:pos + 8 + length]
        if kind == b"tEXt" and data.startswith(TEXT_SIZE_KEY.encode("latin-1") + b"\0"):
            return json.loads(data.split(b"\0", 1)[1].decode("latin-1"))
        pos += 12 + length
    return None


def _wrap_png_formatter(shell: Any) -> bool:
    """Make ``shell``'s ``image/png`` formatter for figures add the record; True when it is (now) wrapped."""
    formatter = shell.display_formatter.formatters.get("image/png")
    if formatter is None:
        return False
    try:
        current = formatter.lookup_by_type(Figure)
    except KeyError:
        return False
    if getattr(current, "_lstm_text_record", False):
        return True

    def png_with_record(fig: Figure, _inner: Any = current) -> Any:
        data = _inner(fig)
        if not data:
            return data
        raw = base64.b64decode(data) if isinstance(data, str) else data
        try:
            raw = with_text_record(raw, fig, fig.dpi)
        except ValueError:  # not a plain PNG (e.g. a tuple with metadata): leave it as it is
            return data
        return base64.b64encode(raw).decode("ascii") if isinstance(data, str) else raw

    png_with_record._lstm_text_record = True  # type: ignore[attr-defined]
    formatter.for_type(Figure, png_with_record)
    return True


_INSTALLED: list[Any] = []


def install_notebook_record() -> None:
    """In an IPython kernel, wrap the figure PNG formatter now and after each cell (the inline backend may install
    its own when the first figure is made); elsewhere do nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter") or shell in _INSTALLED:
        return
    _wrap_png_formatter(shell)
    shell.events.register("post_execute", lambda: _wrap_png_formatter(shell))
    _INSTALLED.append(shell)
