"""lstm_course.viz: the cell diagram highlights and annotates; the plot helpers draw what they are given."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from lstm_course import viz  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _colour(artist) -> str:
    if hasattr(artist, "get_edgecolor") and not hasattr(artist, "get_text"):
        return to_hex(artist.get_edgecolor())
    return to_hex(artist.get_color())


def _texts(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


# --------------------------------------------------------------------------- draw_cell


@pytest.mark.parametrize("part", sorted(viz.CELL_PARTS))
def test_draw_cell_highlight_colours_the_part_and_greys_the_rest(part: str) -> None:
    ax = viz.draw_cell(highlight=part)
    parts = ax._lstm_parts
    assert parts[part], f"no artist belongs to {part!r}"
    lines = [a for a in parts[part] if not hasattr(a, "get_text")]
    assert to_hex(viz.CELL_PARTS[part]) in {_colour(a) for a in lines}
    # every artist of the highlighted part is coloured, not grey
    for a in parts[part]:
        assert a._lstm_colour != viz.GREY
    # artists that belong only to other parts are grey
    mine = {id(a) for a in parts[part]}
    others = [a for p, arts in parts.items() if p != part for a in arts if id(a) not in mine]
    assert others
    for a in others:
        assert a._lstm_colour == viz.GREY
        assert _colour(a) in {to_hex(viz.GREY), to_hex(viz.GREY_TEXT)}


def test_draw_cell_highlight_several_parts_and_none() -> None:
    ax = viz.draw_cell(highlight=["forget", "input"])
    colours = {a._lstm_colour for a in ax._lstm_parts["forget"] + ax._lstm_parts["input"]}
    assert viz.GREY not in colours
    assert {viz.CELL_PARTS["forget"], viz.CELL_PARTS["input"]} <= colours
    plain = viz.draw_cell()
    every = [a for arts in plain._lstm_parts.values() for a in arts]
    assert all(a._lstm_colour != viz.GREY for a in every)


def test_draw_cell_shows_every_symbol_and_the_dashed_arrows() -> None:
    ax = viz.draw_cell()
    text = _texts(ax)
    for sym in (r"$x_t$", r"$h_{t-1}$", r"$c_{t-1}$", r"$f_t$", r"$i_t$", r"$\tilde{c}_t$", r"$o_t$",
                r"$h_t$", r"$c_t$", r"$[h_{t-1}, x_t]$", r"$\sigma$", r"$\tanh$", r"$\odot$", "$+$", r"$\tanh(c_t)$"):
        assert sym in text, sym
    assert text.count(r"$\sigma$") == 3  # forget, input, output gates
    dashed = [p for p in ax.patches if p.get_linestyle() not in ("-", "solid")]
    assert len(dashed) == 2  # h_t and c_t to step t+1


def test_draw_cell_annotates_values_from_tensors_and_arrays() -> None:
    values = {"x_t": torch.tensor([0.5]), "h_prev": 0.1, "c_prev": np.array(0.8), "f_t": torch.tensor(0.731),
              "i_t": 0.4, "c_tilde": -0.3, "c_t": 0.46, "o_t": 0.6, "h_t": 0.26}
    text = _texts(viz.draw_cell(values=values))
    for expected in ("$f_t$ = 0.73", "$x_t$ = 0.50", r"$\tilde{c}_t$ = -0.30", "$h_t$ = 0.26", "$c_{t-1}$ = 0.80"):
        assert expected in text, expected
    arr_text = _texts(viz.draw_cell(values={"f_t": torch.tensor([0.25, 0.75, 0.5])}))
    assert "[0.2 0.8 0.5]" in arr_text or "[0.3 0.8 0.5]" in arr_text


def test_draw_cell_rejects_unknown_parts_and_keys() -> None:
    with pytest.raises(ValueError, match="highlight"):
        viz.draw_cell(highlight="memory")
    with pytest.raises(ValueError, match="values"):
        viz.draw_cell(values={"c_hat": 1.0})
    with pytest.raises(TypeError, match="ax"):
        viz.draw_cell(ax="left")


def test_draw_cell_on_given_axes_is_opaque_and_has_alt() -> None:
    fig, (a, b) = plt.subplots(1, 2)
    out = viz.draw_cell(ax=b, highlight="output", values={"o_t": 0.6})
    assert out is b
    assert fig.get_facecolor()[3] == 1.0 and b.get_facecolor()[3] == 1.0
    alt = viz.figure_alt(b)
    assert "LSTM cell" in alt and "output" in alt and "o_t = 0.60" in alt
    assert viz.figure_alt(fig) == alt


# --------------------------------------------------------------------------- plot helpers


@pytest.mark.parametrize(("name", "lo", "hi"), [("sigmoid", 0.0, 1.0), ("tanh", -1.0, 1.0)])
def test_plot_activation_curve_range_and_mark(name: str, lo: float, hi: float) -> None:
    ax = viz.plot_activation(name, mark=torch.tensor(1.5), label=r"$f_t$")
    curve, marker = ([ln for ln in ax.lines if ln.get_gid() == gid][0] for gid in ("curve", "mark"))
    z, y = curve.get_data()
    ref = 1 / (1 + np.exp(-z)) if name == "sigmoid" else np.tanh(z)
    np.testing.assert_allclose(y, ref)
    ym = 1 / (1 + np.exp(-1.5)) if name == "sigmoid" else np.tanh(1.5)
    np.testing.assert_allclose(marker.get_ydata(), [ym])
    assert f"{ym:.2f}" in _texts(ax) and "$f_t$" in _texts(ax)
    band = ax.patches[0]  # the range band
    ys = band.get_path().transformed(band.get_patch_transform()).vertices[:, 1]
    assert min(ys) == pytest.approx(lo) and max(ys) == pytest.approx(hi)
    assert f"{ym:.2f}" in viz.figure_alt(ax)
    with pytest.raises(ValueError, match="name"):
        viz.plot_activation("relu")


def test_plot_gate_values_one_bar_per_unit_and_labels() -> None:
    H = 4
    vals = {"f_t": torch.rand(H, generator=torch.Generator().manual_seed(0)), "i_t": np.full(H, 0.2),
            "c_tilde": np.linspace(-0.9, 0.9, H), "o_t": [0.5] * H}
    ax = viz.plot_gate_values(vals)
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() < 0.3]
    assert len(bars) == 4 * H
    heights = sorted(round(b.get_height(), 6) for b in bars)
    expected = sorted(round(float(v), 6) for arr in vals.values() for v in np.asarray(viz.to_numpy(arr)))
    assert heights == expected
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [r"$f_t$", r"$i_t$", r"$\tilde{c}_t$", r"$o_t$"]
    assert len(ax.collections) == 4  # a range band per gate
    with pytest.raises(ValueError, match="values"):
        viz.plot_gate_values({})
    with pytest.raises(ValueError, match=r"values\['f_t'\].*\(H,\)"):
        viz.plot_gate_values({"f_t": torch.zeros(2, H)})


def test_plot_gate_heatmaps_one_image_per_gate() -> None:
    T, H = 7, 3
    g = torch.Generator().manual_seed(1)
    gates = {k: torch.rand(T, H, generator=g) for k in ("f_t", "i_t", "c_tilde", "o_t", "c_t", "h_t")}
    fig = viz.plot_gate_heatmaps(gates)
    images = [im for a in fig.axes for im in a.get_images()]
    assert len(images) == 6
    for im, v in zip(images, gates.values(), strict=True):
        np.testing.assert_allclose(im.get_array(), v.numpy().T, rtol=1e-6)
        assert isinstance(im, AxesImage)
    titles = [a.get_title() for a in fig.axes if a.get_images()]
    assert titles == [viz.SYMBOLS[k] for k in gates]
    assert images[0].get_clim() == (0.0, 1.0) and images[2].get_clim() == (-1.0, 1.0)
    lo, hi = images[4].get_clim()  # c_t: symmetric around 0
    assert lo == -hi and hi == pytest.approx(float(gates["c_t"].abs().max()))
    assert f"{H} units" in viz.figure_alt(fig) and f"t = 1 to {T}" in viz.figure_alt(fig)
    # (T, B, H) takes batch element 0
    fig2 = viz.plot_gate_heatmaps({"f_t": torch.rand(T, 2, H, generator=g)})
    assert fig2.axes[0].get_images()[0].get_array().shape == (H, T)
    with pytest.raises(ValueError, match="keys"):
        viz.plot_gate_heatmaps(gates, keys=["g_t"])


def test_heatmap_counts_steps_from_1_with_at_most_10_ticks_per_axis() -> None:
    """The book's size, T = 60 steps and H = 32 units: readable tick labels, the first column at t = 1."""
    T, H = 60, 32
    g = torch.Generator().manual_seed(2)
    gates = {"f_t": torch.rand(T, H, generator=g), "c_t": 30 * torch.randn(T, H, generator=g)}
    fig = viz.plot_gate_heatmaps(gates)
    fig.canvas.draw()
    for a in (a for a in fig.axes if a.get_images()):
        for axis, lim in ((a.xaxis, a.get_xlim()), (a.yaxis, a.get_ylim())):
            shown = [t for t in axis.get_major_ticks() if t.label1.get_visible() and t.label1.get_text()
                     and min(lim) <= t.get_loc() <= max(lim)]
            assert 2 <= len(shown) <= viz.MAX_TICKS, (a.get_title(), len(shown))
        xs = [t for t in a.get_xticks() if min(a.get_xlim()) <= t <= max(a.get_xlim())]
        assert xs[0] == 1 and xs[-1] == T  # the first and last step, numbered 1 … T
        assert a.get_xlim() == (0.5, T + 0.5)  # column t - 1 is centred on t
    assert viz.step_ticks(60) == [1, 10, 20, 30, 40, 50, 60]
    assert viz.step_ticks(7) == [1, 2, 3, 4, 5, 6, 7]
    for T_ in (1, 9, 11, 19, 37, 99, 101, 999, 4321):
        ticks = viz.step_ticks(T_)
        assert ticks[0] == 1 and len(ticks) <= viz.MAX_TICKS and ticks[-1] <= T_ and ticks == sorted(set(ticks))


def test_heatmap_alt_text_states_each_panel_value_range() -> None:
    T, H = 5, 3
    c = torch.linspace(-28.0, 31.0, T * H).reshape(T, H)
    f = torch.linspace(0.93, 0.99, T * H).reshape(T, H)
    alt = viz.figure_alt(viz.plot_gate_heatmaps({"f_t": f, "c_t": c}))
    assert "f_t from 0.93 to 0.99 (colour scale 0 to 1)" in alt
    assert "c_t from -28 to 31 (colour scale -31 to 31)" in alt
    assert "-1 to 1" not in alt  # the old fixed claim


def test_draw_cell_backward_reverses_every_arrow() -> None:
    fwd, back = viz.draw_cell(), viz.draw_cell(direction="backward", highlight="cell")

    def arrows(ax):
        return [(p._posA_posB, p.get_linestyle()) for p in ax.patches
                if hasattr(p, "_posA_posB") and p.get_arrowstyle().__class__.__name__ != "Curve"]

    a_fwd, a_back = arrows(fwd), arrows(back)
    assert len(a_fwd) == len(a_back) > 10
    heads_fwd = {tuple(np.round(pb, 3)) for (pa, pb), _ in a_fwd}
    heads_back = {tuple(np.round(pb, 3)) for (pa, pb), _ in a_back}
    assert heads_fwd != heads_back
    yc = 5.9  # the cell path: forward every arrow on it points right, backward left
    on_top = [(pa, pb) for (pa, pb), _ in a_back if pa[1] == pb[1] == yc]
    assert on_top and all(pb[0] < pa[0] for pa, pb in on_top)
    assert all(pb[0] > pa[0] for (pa, pb), _ in a_fwd if pa[1] == pb[1] == yc)
    text = _texts(back)
    for sym in (r"$\delta c_{t-1}$", r"$\delta h_{t-1}$", r"$\delta x_t$", r"$\delta c_t$", r"$f_t \odot \delta c_t$",
                "from step $t{+}1$"):
        assert sym in text, sym
    assert back._lstm_direction == "backward" and "reversed" in viz.figure_alt(back)
    with pytest.raises(ValueError, match="`direction` must be 'forward' or 'backward'"):
        viz.draw_cell(direction="up")
    with pytest.raises(ValueError, match="`values` are forward numbers"):
        viz.draw_cell(direction="backward", values={"f_t": 0.5})


def test_plot_cell_trajectory_draws_c_f_and_kept_fraction() -> None:
    f = torch.full((10,), 0.9)
    c = torch.cumprod(f, 0)
    ax = viz.plot_cell_trajectory(c, f)
    assert len(ax.lines) == 2  # c_t and the zero line, on the c_t axis
    np.testing.assert_allclose(ax.lines[0].get_ydata(), c.numpy(), rtol=1e-6)
    share = ax._lstm_share_axes  # f_t and the share kept are fractions: their own 0-1 axis, not c_t's
    assert share is not ax and share.get_ylim() == (-0.05, 1.05) and "share kept" in share.get_ylabel()
    assert len(share.lines) == 2 and "c_t" in ax.get_ylabel()
    np.testing.assert_allclose(share.lines[0].get_ydata(), f.numpy(), rtol=1e-6)
    # the share of c_1 kept until step t: ∏_{j=2}^{t} f_j, as the book writes c_T = c_1 ∏_{t=2}^{T} f_t
    np.testing.assert_allclose(share.lines[1].get_ydata(), 0.9 ** np.arange(10), rtol=1e-6)
    np.testing.assert_allclose(share.lines[1].get_ydata(), (c / c[0]).numpy(), rtol=1e-5)
    assert "j = 2 to t" in viz.figure_alt(ax)
    legend = ax.get_legend()  # under the axes: its box lies below the axes' box, over no data
    assert [t.get_text() for t in legend.get_texts()][:2] == [r"$c_t$", r"$f_t$"]
    ax.figure.canvas.draw()
    assert legend.get_window_extent().y1 < ax.get_window_extent().y0
    ax2 = viz.plot_cell_trajectory(np.zeros((5, 3)))
    assert len(ax2.lines) == 3 + 1
    with pytest.raises(ValueError, match="`f`"):
        viz.plot_cell_trajectory(c, f[:3])


def test_plot_gradient_norms_log_scale_and_lines() -> None:
    curves = {"RNN": torch.logspace(0, -6, 50), "LSTM": np.ones(50)}
    ax = viz.plot_gradient_norms(curves)
    assert ax.get_yscale() == "log"
    assert [ln.get_label() for ln in ax.lines] == ["RNN", "LSTM"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.logspace(0, -6, 50), rtol=1e-5)
    assert viz.plot_gradient_norms(curves, log=False).get_yscale() == "linear"
    assert "RNN ends at 1e-06" in viz.figure_alt(ax)


def test_plot_learning_curves_from_histories() -> None:
    h1 = {"step": [0, 10, 20], "loss": [2.0, 1.0, 0.1], "accuracy": [0.1, 0.6, 1.0]}
    h2 = {"step": [0, 10, 20], "loss": [2.0, 1.9, 1.9], "accuracy": [0.1, 0.12, 0.1]}
    ax = viz.plot_learning_curves({"LSTM": h1, "RNN": h2}, chance=0.1)
    assert [ln.get_label() for ln in ax.lines] == ["LSTM", "RNN", "chance"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), h1["accuracy"])
    assert ax.get_ylabel() == "accuracy"
    ax2 = viz.plot_learning_curves({"LSTM": h1}, metric="loss")
    np.testing.assert_allclose(ax2.lines[0].get_ydata(), h1["loss"])
    with pytest.raises(ValueError, match="histories"):
        viz.plot_learning_curves({"LSTM": {"loss": [1.0]}})


# --------------------------------------------------------------------------- utilities


def test_every_helper_leaves_alt_text_and_png_bytes_close_the_figure() -> None:
    axes = [viz.draw_cell(), viz.plot_activation("tanh"), viz.plot_gate_values({"f_t": [0.5]}),
            viz.plot_cell_trajectory([1.0, 0.5]), viz.plot_gradient_norms({"a": [1.0, 0.1]}),
            viz.plot_learning_curves({"a": {"step": [0], "accuracy": [0.5]}})]
    for ax in axes:
        assert len(viz.figure_alt(ax.figure)) > 20
    fig = viz.plot_gate_heatmaps({"f_t": np.zeros((3, 2))})
    assert viz.figure_alt(fig)
    n = len(plt.get_fignums())
    png = viz.to_png_bytes(fig, dpi=50)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(plt.get_fignums()) == n - 1
    with pytest.raises(TypeError, match="fig"):
        viz.to_png_bytes("figure")


def test_no_global_rcparams_change() -> None:
    before = dict(matplotlib.rcParams)
    viz.draw_cell(highlight="cell", values={"c_t": 1.0})
    viz.plot_activation("sigmoid", mark=0.0)
    assert dict(matplotlib.rcParams) == before


def _overlapping_texts(ax) -> list[tuple[str, str]]:
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(r)) for t in ax.texts if t.get_text()]
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
            if ba.x0 < bb.x1 and bb.x0 < ba.x1 and ba.y0 < bb.y1 and bb.y0 < ba.y1]


@pytest.mark.parametrize("kind", ["plain", "scalars", "arrays", "small axes"])
def test_draw_cell_text_never_overlaps(kind: str) -> None:
    keys = ("x_t", "h_prev", "c_prev", "f_t", "i_t", "c_tilde", "c_t", "o_t", "h_t")
    values = {"plain": None, "scalars": {k: -0.123 for k in keys}, "small axes": {k: -0.123 for k in keys},
              "arrays": {k: np.array([-0.91, 0.52, -0.33]) for k in keys}}[kind]
    ax = None
    if kind == "small axes":
        _, (ax, _) = plt.subplots(1, 2, figsize=(9, 3))
    ax = viz.draw_cell(ax=ax, values=values, highlight="forget")
    assert _overlapping_texts(ax) == []
    if kind == "small axes":  # the text shrinks with the drawing
        assert max(t.get_fontsize() for t in ax.texts) < 10


def test_png_bytes_are_opaque_on_a_white_face() -> None:
    import io

    from PIL import Image

    png = viz.to_png_bytes(viz.draw_cell(highlight="cell"), dpi=40)
    with Image.open(io.BytesIO(png)) as im:
        rgba = im.convert("RGBA")
        assert rgba.getpixel((0, 0)) == (255, 255, 255, 255)
        assert rgba.getchannel("A").getextrema() == (255, 255)


# --------------------------------------------------------------------------- the GRU and the stack


@pytest.mark.parametrize("part", sorted(viz.GRU_PARTS))
def test_draw_gru_cell_highlight_colours_the_part_and_greys_the_rest(part: str) -> None:
    ax = viz.draw_gru_cell(highlight=part)
    parts = ax._lstm_parts
    assert set(parts) == set(viz.GRU_PARTS) and parts[part]
    assert all(a._lstm_colour == viz.GRU_PARTS[part] or a._lstm_colour in viz.GRU_PARTS.values()
               for a in parts[part])
    mine = {id(a) for a in parts[part]}
    others = [a for p, arts in parts.items() if p != part for a in arts if id(a) not in mine]
    assert others and all(a._lstm_colour == viz.GREY for a in others)


def test_draw_gru_cell_symbols_values_and_errors() -> None:
    ax = viz.draw_gru_cell()
    text = _texts(ax)
    for sym in (r"$x_t$", r"$h_{t-1}$", r"$r_t$", r"$z_t$", r"$n_t$", r"$h_t$", r"$1 - z_t$", r"$[h_{t-1}, x_t]$",
                r"$z_t \odot h_{t-1}$", r"$(1-z_t) \odot n_t$", r"$\tanh$", "$+$"):
        assert sym in text, sym
    assert text.count(r"$\sigma$") == 2 and "$c_t$" not in text  # two gates, no cell state
    assert len([p for p in ax.patches if p.get_linestyle() not in ("-", "solid")]) == 1  # only h_t goes on
    assert "GRU cell" in viz.figure_alt(ax) and "no cell state" in viz.figure_alt(ax)
    valued = viz.draw_gru_cell(values={"z_t": torch.tensor(0.7), "n_t": -0.2})
    assert "$z_t$ = 0.70" in _texts(valued) and "z_t = 0.70" in viz.figure_alt(valued)
    with pytest.raises(ValueError, match="highlight"):
        viz.draw_gru_cell(highlight="forget")
    with pytest.raises(ValueError, match="values"):
        viz.draw_gru_cell(values={"c_t": 1.0})


def test_stacked_shapes_are_the_models_and_drawn() -> None:
    shapes = viz.stacked_shapes(2, True, T=4, B=3, I=5, H=8)
    assert shapes["input"] == (4, 3, 5) and shapes["output"] == (4, 3, 16) and shapes["h_0"] == (4, 3, 8)
    assert shapes["layer_output"] == (4, 3, 16) and shapes["weight_ih_l1"] == (32, 16)
    assert viz.stacked_shapes(3, False, T=2, B=1, I=2, H=4)["h_0"] == (3, 1, 4)
    before = torch.random.get_rng_state()
    ax = viz.draw_stacked_lstm(2, True, T=4, B=3, I=5, H=8)
    assert torch.equal(before, torch.random.get_rng_state())  # drawing leaves the global generator alone
    text = _texts(ax)
    assert "output (T, B, 2H) = (4, 3, 16)" in text and "$h_n[3]$" in text and "layer 2" in text
    assert text.count(r"$\leftarrow$") == 2 * 4 and text.count(r"$\rightarrow$") == 2 * 4
    assert "(4, 3, 8)" in viz.figure_alt(ax)


def test_plot_spread_draws_mean_and_range_per_group() -> None:
    rows = [{"kind": k, "length": T, "mean": m, "min": m - 0.1, "max": min(1.0, m + 0.05)}
            for k, ms in (("lstm", (1.0, 0.9)), ("rnn", (0.6, 0.25))) for T, m in zip((10, 30), ms, strict=True)]
    ax = viz.plot_spread(rows, "length", by="kind", labels={"lstm": "LSTM", "rnn": "RNN"}, chance=0.25,
                         xlabel="length $T$")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["chance", "LSTM", "RNN"]
    means = [line.get_ydata() for line in ax.lines if line.get_marker() == "o"]
    assert [list(m) for m in means] == [[1.0, 0.9], [0.6, 0.25]]
    assert list(ax.get_xticks()) == [10, 30]
    assert "RNN from 0.60 to 0.25" in viz.figure_alt(ax)
    with pytest.raises(ValueError, match="every row needs"):
        viz.plot_spread([{"length": 1, "mean": 0.5}], "length")


def _drawn_tick_boxes(ax) -> list:
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]


def test_gate_heatmaps_fit_the_text_column_with_ticks_apart() -> None:
    # Six (40, 4) panels: a grid two panels wide, 6.8 in (the book's 688 px column at 100 dpi), 10 pt ticks that
    # do not run together ("10152025303540" was the bug of one 1449 px row).
    gates = {k: np.random.default_rng(0).random((40, 4)) for k in ("f_t", "i_t", "c_tilde", "o_t", "c_t", "h_t")}
    fig = viz.plot_gate_heatmaps(gates)
    assert fig.get_size_inches()[0] <= 6.9
    panels = [a for a in fig.axes if a.get_title()]
    assert len(panels) == 6 and len({round(a.get_position().x0, 2) for a in panels}) == 2
    for a in panels:
        boxes = _drawn_tick_boxes(a)
        assert len(boxes) >= 3
        assert all(b.x1 + 4 < c.x0 for b, c in zip(boxes, boxes[1:], strict=False)), a.get_title()
    assert viz.smallest_text_pt(fig) >= 10
    with pytest.raises(ValueError, match="ncols"):
        viz.plot_gate_heatmaps(gates, ncols=0)
    plt.close("all")


def test_step_ticks_max_ticks() -> None:
    assert viz.step_ticks(40, 5) == [1, 10, 20, 30, 40]
    assert len(viz.step_ticks(40)) <= viz.MAX_TICKS
    with pytest.raises(ValueError, match="max_ticks"):
        viz.step_ticks(40, 1)


def test_spread_panels_keep_equal_groups_apart() -> None:
    # Three groups with the same means drew one line over the other; as panels each has its own axes.
    rows = [{"kind": k, "length": T, "mean": 1.0, "min": 1.0, "max": 1.0} for k in ("lstm", "gru", "peephole")
            for T in (10, 30)]
    first = viz.plot_spread(rows, "length", by="kind", chance=0.25, title="t")
    fig = first.figure
    shown = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in shown] == ["lstm", "gru", "peephole"]
    for a in shown:  # its own group in colour (with markers), the others thin and grey behind
        coloured = [ln for ln in a.lines if ln.get_marker() == "o"]
        assert len(coloured) == 1 and list(coloured[0].get_ydata()) == [1.0, 1.0]
    assert "one panel per model" in viz.figure_alt(fig) and fig.get_size_inches()[0] <= 6.9
    assert viz.smallest_text_pt(fig) >= 10
    with pytest.raises(ValueError, match="panels"):
        viz.plot_spread(rows, "length", panels=True)
    plt.close("all")


def test_png_records_its_smallest_text() -> None:
    from lstm_course.viz import _textsize

    ax = viz.plot_activation("sigmoid", mark=0.5)
    png = viz.to_png_bytes(ax, dpi=72, close=False)
    record = viz.read_text_record(png)
    assert record == {"smallest_text_px": viz.smallest_text_pt(ax.figure), "dpi": 72.0,
                      "smallest_text_pt": viz.smallest_text_pt(ax.figure)}
    ax.legend(fontsize=6)  # a smaller text anywhere is what the record reports
    assert viz.read_text_record(viz.to_png_bytes(ax, dpi=144)) == {"smallest_text_px": 12.0, "dpi": 144.0,
                                                                   "smallest_text_pt": 6.0}
    from PIL import Image  # the record leaves a valid PNG

    Image.open(io.BytesIO(png)).verify()
    # Axes switched off draw no tick labels: they do not count.
    diagram = viz.draw_cell()
    diagram.figure.canvas.draw()
    assert viz.smallest_text_pt(diagram.figure) == min(t.get_fontsize() for t in diagram.texts)
    with pytest.raises(ValueError, match="png"):
        _textsize.with_text_record(b"not a png", diagram.figure, 100)
    plt.close("all")


def test_notebook_png_formatter_records_text_size() -> None:
    # The inline backend's PNG formatter for figures, as IPython installs it, then wrapped as in a kernel.
    from IPython.core.formatters import DisplayFormatter
    from IPython.core.pylabtools import select_figure_formats

    from lstm_course.viz import _textsize

    class Shell:
        display_formatter = DisplayFormatter()

    shell = Shell()
    select_figure_formats(shell, {"png"}, bbox_inches="tight")
    assert _textsize._wrap_png_formatter(shell) and _textsize._wrap_png_formatter(shell)  # idempotent
    ax = viz.plot_gradient_norms({"a": [1.0, 0.5]})
    data = shell.display_formatter.formatters["image/png"](ax.figure)
    record = viz.read_text_record(base64.b64decode(data) if isinstance(data, str) else data)
    assert record is not None and record["smallest_text_pt"] == 10.0 and record["dpi"] == ax.figure.dpi
    plt.close("all")


def test_line_plot_legends_sit_under_the_axes() -> None:
    # A legend inside the axes covered lines (issue 18); under the axes it covers none.
    axes = [viz.plot_gradient_norms({"RNN": np.logspace(0, -3, 20), "LSTM": np.ones(20)}),
            viz.plot_learning_curves({"LSTM": {"step": [1, 2, 3], "accuracy": [0.2, 0.6, 1.0]},
                                      "RNN": {"step": [1, 2, 3], "accuracy": [0.25, 0.25, 0.3]}}, chance=0.25)]
    for ax in axes:
        ax.figure.canvas.draw()
        legend = ax.get_legend()
        assert legend is not None and legend.get_window_extent().y1 < ax.get_window_extent().y0
        assert min(t.get_fontsize() for t in legend.get_texts()) >= 10
    plt.close("all")
