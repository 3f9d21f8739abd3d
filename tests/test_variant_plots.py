"""lstm_course.variant_plots: the untrained models' memory (chapter 09's figure) and the sweep's figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from lstm_course import variant_plots as vp
from lstm_course import viz
from lstm_course.layout import gate_slice
from lstm_course.tasks import DEFAULT_CONFIG, RecallTask
from lstm_course.variant_sweep import build_model


def _small(kind: str, b_i: float | None) -> dict:
    return vp.memory_before_training(kind, b_i, length=40, seeds=(0, 1), batch_size=16)


def test_an_open_input_gate_fills_the_memory_and_a_closed_one_does_not() -> None:
    open_, closed = _small("lstm", 0.0), _small("lstm", -5.0)
    assert open_["abs_mean"].shape == (2, 40) and open_["saturated"].shape == (2,)
    assert (np.diff(open_["abs_mean"], axis=1) > 0).mean() > 0.9  # keeps growing: f ≈ 0.993 drains almost nothing
    assert open_["abs_mean"][:, -1].min() > 10 * closed["abs_mean"][:, -1].max()
    assert closed["saturated"].max() == 0 and closed["slope"].min() > 0.98
    for kind, b_i in (("gru", None), ("coupled", None), ("peephole", -5.0)):
        r = _small(kind, b_i)
        assert r["abs_mean"][:, -1].max() < 0.2 and r["saturated"].max() == 0


def test_the_lstm_memory_is_its_cell_state_step_by_step() -> None:
    """abs_mean is the mean |c_t| that lstm_course.LSTM computes, at every step, in float64."""
    r = vp.memory_before_training("lstm", 0.0, length=6, seeds=(4,), batch_size=3)
    cell = {"part": "compare", "kind": "lstm", "length": 6, "clip": 1.0, "window": None, "input_bias": 0.0, "seed": 4}
    model = build_model(cell).double()
    x, _ = RecallTask(length=6, num_symbols=DEFAULT_CONFIG.task.num_symbols).sample(
        3, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        c = torch.stack([model.recurrent(x[:t].double())[1][1][0] for t in range(1, 7)])  # (T, B, H): c_n of prefixes
    assert np.allclose(r["abs_mean"][0], c.abs().mean(dim=(1, 2)).numpy(), atol=1e-12)
    assert np.isclose(r["slope"][0], float((1 - torch.tanh(c[-1]) ** 2).mean()))


def test_memory_before_training_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="`length` and `batch_size` must be positive"):
        vp.memory_before_training("lstm", 0.0, length=0)
    with pytest.raises(ValueError, match="`kind` must be"):
        vp.memory_before_training("rnn", None, length=3, seeds=(0,), batch_size=2)


def test_the_figures_have_alt_text_with_their_numbers() -> None:
    results = [_small("lstm", 0.0), _small("gru", None)]
    ax = vp.plot_memory_before_training(results)
    alt = viz.figure_alt(ax.figure)
    assert f"{results[0]['abs_mean'].mean(0)[-1]:.3g} at step 40" in alt and "GRU" in alt
    assert ax.get_legend() is not None and ax.get_yscale() == "log"
    cells = [{"part": "compare", "kind": "lstm", "input_bias": b, "length": 100, "seed": s, "accuracy": a}
             for b, accs in ((0.0, (0.25, 1.0)), (-5.0, (1.0, 1.0))) for s, a in enumerate(accs)]
    fig = vp.plot_sweep_by_seed(cells)
    assert "LSTM, b_i +0: 1 of 2 solved" in viz.figure_alt(fig) and "LSTM, b_i -5: 2 of 2 solved" in viz.figure_alt(fig)
    with pytest.raises(ValueError, match="no 'compare' cells"):
        vp.plot_sweep_by_seed([])
    hist = {"grad_norm": [1.0, 50.0, 1.0, 1.0], "step_norm": [0.01, 0.02, 0.001, 0.001]}
    fig = vp.plot_clipping(hist, {"grad_norm": [1.0] * 4, "step_norm": [0.01] * 4}, seed=3)
    assert "50 at step 2" in viz.figure_alt(fig) and len(fig.axes) == 2
    plt.close("all")


def test_model_label() -> None:
    assert vp.model_label("lstm", -5.0) == "LSTM, b_i -5" and vp.model_label("coupled", None) == "coupled LSTM"
    with pytest.raises(ValueError, match="`kind` must be one of"):
        vp.model_label("transformer", None)
    assert gate_slice("i", 2) == slice(0, 2)  # the input rows build_model moves come first in nn.LSTM's layout
