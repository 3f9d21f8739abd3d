"""lstm_course.widgets: sliders select the view of their position, in a kernel and in the embedded page."""

from __future__ import annotations

import base64
import html
import json

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from ipywidgets.embed import embed_data  # noqa: E402
from ipywidgets.widgets.widget_link import Link  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lstm_course import viz, widgets  # noqa: E402


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def _line_view(v: float, scale: float = 1.0) -> Figure:
    """A view whose picture depends on the value (and on a live extra, ``scale``)."""
    fig = Figure(figsize=(2, 1.5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, v * scale])
    ax.set_ylim(-3, 3)
    viz.set_alt(fig, f"line to {v * scale:.2f}")
    return fig


def _png_in(child: W.HTML) -> bytes:
    src = child.value.split('src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    return base64.b64decode(src)


def _check_positions(w: widgets.Explorer, rerender: tuple[int, ...] = (0, -1)) -> None:
    """Each position's child holds that position's image and alt; the ``rerender`` positions are the view
    of their value (rendered again here); no two positions show the same picture."""
    n = len(w.values)
    assert len(w.stack.children) == n == len(w.slider.options)
    for k in range(n):
        w.slider.index = k  # what the reader does; jslink moves the stack in the browser
        assert w.slider.value == k
        assert _png_in(w.stack.children[k]) == w.pngs[k]
        assert f'alt="{html.escape(w.alts[k])}"' in w.stack.children[k].value
    for k in rerender:
        assert viz.to_png_bytes(w.view(w.values[k]), dpi=widgets.DPI) == w.pngs[k]
    assert len(set(w.pngs)) == n, "two slider positions show the same picture"


# --------------------------------------------------------------------------- the mechanism


def test_explorer_links_slider_index_to_stack_in_the_browser() -> None:
    values = [-1.0, 0.0, 1.0, 2.0]
    w = widgets.explorer(_line_view, values, description="v", value=1.0)
    assert isinstance(w.slider, W.SelectionSlider) and isinstance(w.stack, W.Stack)
    assert w.slider.index == 2 and w.stack.selected_index == 2  # the initial value's position
    assert [lab for lab, _ in w.slider.options] == ["-1.00", "+0.00", "+1.00", "+2.00"]
    assert isinstance(w.link, Link)  # jslink: runs in the front end, no kernel needed
    assert w.link.source == (w.slider, "index") and w.link.target == (w.stack, "selected_index")
    assert w.slider in w.children and w.stack in w.children
    _check_positions(w, rerender=(0, 1, 2, 3))


def test_explorer_images_carry_alt_text() -> None:
    w = widgets.explorer(_line_view, [0.5, 1.5], description="v")
    assert w.alts == ["line to 0.50", "line to 1.50"]
    for child, alt in zip(w.stack.children, w.alts, strict=True):
        assert f'alt="{alt}"' in child.value and "<img" in child.value


def test_explorer_closes_its_figures() -> None:
    before = plt.get_fignums()

    def pyplot_view(v: float) -> Figure:
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, v])
        return fig

    widgets.explorer(pyplot_view, [1.0, 2.0, 3.0], description="v")
    assert plt.get_fignums() == before


def test_live_extra_recomputes_the_current_view_in_a_kernel() -> None:
    scale = W.FloatSlider(value=1.0, min=0.5, max=2.0, description="scale")
    w = widgets.explorer(_line_view, [1.0, 2.0, 3.0], description="v", value=2.0, live_extra={"scale": scale})
    assert scale in w.children[1].children
    old = w.pngs[1]
    scale.value = 0.5  # the observer re-renders the position shown now
    assert w.pngs[1] != old
    assert _png_in(w.stack.children[1]) == viz.to_png_bytes(_line_view(2.0, scale=0.5), dpi=widgets.DPI)
    assert w.alts[1] == "line to 1.00"
    # a position rendered with the old extra is refreshed when the reader moves there
    assert w._rendered_with[0] == {"scale": 1.0}
    w.slider.index = 0
    assert w.stack.selected_index == 0 and w.shown == 0
    assert _png_in(w.stack.children[0]) == viz.to_png_bytes(_line_view(1.0, scale=0.5), dpi=widgets.DPI)


def test_embedded_state_has_the_images_and_the_link() -> None:
    w = widgets.explorer(_line_view, [1.0, 2.0], description="v")
    data = embed_data(views=[w])  # the whole kernel's widget state, as a saved notebook holds it
    state = data["manager_state"]["state"]
    models = {mid: m for mid, m in state.items()}
    text = json.dumps(data["manager_state"])
    for png in w.pngs:
        assert base64.b64encode(png).decode() in text
    links = [m["state"] for m in models.values() if m["model_name"] == "LinkModel"
             and m["state"]["source"][0] == f"IPY_MODEL_{w.slider.model_id}"]
    assert len(links) == 1
    src, tgt = links[0]["source"], links[0]["target"]
    assert src == [f"IPY_MODEL_{w.slider.model_id}", "index"]
    assert tgt == [f"IPY_MODEL_{w.stack.model_id}", "selected_index"]
    stack_state = models[w.stack.model_id]["state"]
    assert models[w.stack.model_id]["model_name"] == "StackModel" and stack_state["selected_index"] == 0
    assert data["view_specs"][0]["model_id"] == w.model_id


def test_explorer_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="values"):
        widgets.explorer(_line_view, [], description="v")
    with pytest.raises(ValueError, match="formatter"):
        widgets.explorer(_line_view, [1.0, 1.001], description="v")
    with pytest.raises(TypeError, match="view"):
        widgets.explorer(lambda v: "not a figure", [1.0], description="v")
    with pytest.raises(ValueError, match="value"):
        widgets.explorer(_line_view, ["a", "b"], description="v", value="c")


# --------------------------------------------------------------------------- the chapters' builders


def test_input_gate_explorer_shows_gate_candidate_and_product() -> None:
    w = widgets.input_gate_explorer()
    for x, rec in zip(w.values, w.records, strict=True):
        i_t = _sigmoid(np.array(widgets._W_I_X) * x)
        c_tilde = np.tanh(np.array(widgets._W_C_X) * x)
        np.testing.assert_allclose(rec["i_t"], i_t)
        np.testing.assert_allclose(rec["c_tilde"], c_tilde)
        np.testing.assert_allclose(rec["i_c_tilde"], i_t * c_tilde)
    _check_positions(w)


def test_cell_update_explorer_keeps_or_loses_memory() -> None:
    w = widgets.cell_update_explorer(steps=12)
    for b, rec in zip(w.values, w.records, strict=True):
        c = rec["c_t"]
        # after the write, inputs are 0, so c̃_t = tanh(0) = 0 and c_t = σ(b_f)^k c_1
        np.testing.assert_allclose(c, c[0] * _sigmoid(b) ** np.arange(12), rtol=1e-12, atol=1e-15)
        assert c[0] > 0.9
    kept = [rec["c_t"][-1] for rec in w.records]
    assert kept == sorted(kept) and kept[0] < 1e-3 and kept[-1] > 0.9
    _check_positions(w)


def test_keep_write_numbers_are_the_coupled_trade_off() -> None:
    """Inputs 0: a constant update gate either writes or keeps; one that reads the marker does both, like the LSTM."""
    for b in (-2.0, 0.0, 2.0, 4.0):
        n = widgets.keep_write_numbers(b, steps=30)
        z = 1 / (1 + np.exp(-b))
        assert float(n["z"]) == pytest.approx(z)
        written = (1 - z) * np.tanh(3.0)  # h_1 = (1 - z) n_1 with n_1 = tanh(3)
        assert n["gru"][0] == pytest.approx(written)
        assert n["gru"] == pytest.approx(written * z ** np.arange(30))  # then z of it kept per step
        assert n["gru_marker"] == pytest.approx(n["lstm"], abs=0.01)  # input-dependent z: the LSTM's result
        assert n["lstm"] == pytest.approx(n["lstm_marker"], abs=1e-3)  # inputs 0: an open input gate writes 0
    assert widgets.keep_write_numbers(6.0)["gru"][-1] < 0.01 < 0.9 < widgets.keep_write_numbers(6.0)["lstm"][-1]
    n3 = widgets.keep_write_numbers(3.0)
    assert 100 * n3["gru"][-1] / n3["gru"][0] == pytest.approx(24.4, abs=0.05)  # issue 17.3.1: of the write
    assert 100 * n3["gru"][-1] / np.tanh(3.0) == pytest.approx(1.16, abs=0.01)  # ... or of the value


def test_keep_write_distractors_show_the_cost_of_an_open_input_gate() -> None:
    x = widgets.keep_write_inputs(30, distractors=True)
    assert x.shape == (30, 2) and tuple(x[0]) == (1.0, 1.0) and (x[1:, 0] == 0).all()
    assert set(x[1:, 1]) == {-1.0, 1.0} and x[1:, 1].sum() < 0  # they pull the other way from the written +1
    assert (widgets.keep_write_inputs(30)[1:] == 0).all()
    n = widgets.keep_write_numbers(6.0, distractors=True)
    c = n["lstm"]  # an open input gate: c_t = σ(6) c_{t-1} + σ(6) tanh(3 v_t), every distractor written
    sig6 = 1 / (1 + np.exp(-6.0))
    expected = [sig6 * np.tanh(3.0)]
    for v in x[1:, 1]:
        expected.append(sig6 * expected[-1] + sig6 * np.tanh(3.0 * v))
    assert c == pytest.approx(expected) and c[-1] < 0 < np.abs(c).max() - 2  # wrong sign, past |c| = 2
    assert n["lstm_marker"][-1] > 0.9
    assert n["gru_marker"] == pytest.approx(n["lstm_marker"], abs=1e-9)  # 1 - σ(6) = σ(-6)
    assert widgets.keep_write_numbers(3.0, distractors=True)["gru_marker"][-1] < 0.2  # z = σ(3) still writes 0.047 each
    with pytest.raises(ValueError, match="`steps` must be at least 2"):
        widgets.keep_write_inputs(1)


def test_keep_write_explorer_renders_every_position_with_its_numbers() -> None:
    e = widgets.keep_write_explorer(values=[0.0, 4.0], steps=10)
    assert len(e.pngs) == 2 and e.values == [0.0, 4.0]
    assert set(e.records[0]) == {"zeros", "distractors"}
    assert e.records[1]["zeros"]["lstm"][-1] > e.records[0]["zeros"]["lstm"][-1]
    assert "b = 4.0" in e.alts[1] and f"{e.records[1]['zeros']['gru'][-1]:.3f} at step 10" in e.alts[1]
    assert f"{e.records[1]['distractors']['lstm'][-1]:.3f} at step 10" in e.alts[1]
    _check_positions(e)


def test_keep_write_legend_sits_below_the_panels() -> None:
    """Issue 18: no legend covers data. The legend is the figure's, under both panels."""
    fig = widgets.keep_write_explorer(values=[2.0], steps=10).view(2.0)
    (legend,) = fig.legends
    fig.canvas.draw()
    box = legend.get_window_extent()
    assert all(box.y1 <= a.get_window_extent().y0 + 1 for a in fig.axes)
    assert not any(a.get_legend() for a in fig.axes)
