"""The reader's analyses (lstm_course.reader.ngram, errors, units, ablation, saturation) on cases checked by hand,
plus one check of the shipped analysis against the shipped weights.

* Kneser-Ney on ids [0, 1, 0, 1, 2] (V = 4): the unigram's discount is n1/(n1+2 n2) = 1/5, so
  P(0) = (2 - 0.2)/5 + 0.2·3/5·1/4 = 0.39 and the unseen id 3 gets 0.2·3/5·1/4 = 0.03; the bigram after 0
  (counts (0,1): 2, D2 = 3/5, continuation unigram P1(1) = 0.21875) gives P(1|0) = 1.4/2 + 0.3·0.21875 = 0.765625.
* A planted tracker (a unit that is the label plus small noise) is the best unit and "clean"; a label that is the
  sum of many units is "spread" (the probe reads it, no unit does).
* The clamped forward equals PyTorch's own ``nn.LSTMCell`` with the same clamp, step by step.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_course.reader import build_model, encode
from lstm_course.reader.ablation import Intervention, clamped_log_probs, loss_changes, string_closers
from lstm_course.reader.errors import categorise, closing_pairs, error_table, plot_error_table
from lstm_course.reader.model import next_char_log_probs
from lstm_course.reader.ngram import bits_per_char, fit_kneser_ney
from lstm_course.reader.saturation import gate_saturation, long_memory_units, plot_saturation
from lstm_course.reader.units import (
    HeldOut,
    best_units,
    collect,
    fit_ridge_probe,
    pearson_by_unit,
    probe_scores,
    tracker_table,
    verdict,
)

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS = ROOT / "lstm_course" / "data" / "reader" / "analysis.json"
WEIGHTS = ROOT / "lstm_course" / "data" / "reader" / "reader_lstm.pt"

# --------------------------------------------------------------------------- n-gram


def test_kneser_ney_unigram_and_bigram_by_hand():
    uni = fit_kneser_ney([[0, 1, 0, 1, 2]], 1, 4)
    assert uni.orders[0].discount == pytest.approx(0.2)
    np.testing.assert_allclose(uni.distribution([]), [0.39, 0.39, 0.19, 0.03], atol=1e-12)
    bi = fit_kneser_ney([[0, 1, 0, 1, 2]], 2, 4)
    assert [o.discount for o in bi.orders] == pytest.approx([0.5, 0.6])
    np.testing.assert_allclose(bi.distribution([0]), [0.140625, 0.765625, 0.065625, 0.028125], atol=1e-12)
    # log_prob scores each character with the distribution after the characters before it (start symbol first)
    ids = [0, 1, 0, 1, 2]
    lp = bi.log_prob(ids)
    for t in range(len(ids)):
        assert 2 ** lp[t] == pytest.approx(bi.distribution(ids[:t])[ids[t]], abs=1e-12)


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_kneser_ney_sums_to_one_and_unseen_gets_mass(n, modified):
    train = [[0, 1, 0, 1, 2, 2, 2, 1, 0, 3, 0, 1], [1, 2, 1]]
    model = fit_kneser_ney(train, n, 6, modified=modified)
    for ctx in ([], [0], [0, 1], [3, 3, 3], [1, 0, 1], [5, 4], [4, 4, 4, 4, 4]):  # 4, 5 never seen
        d = model.distribution(ctx)
        assert d.shape == (6,)
        assert d.sum() == pytest.approx(1.0, abs=1e-12)
        assert d.min() > 0
    assert model.distribution([0, 1])[5] > 0  # a character never seen in training


def test_kneser_ney_higher_order_learns_a_pattern_and_errors_name_the_argument():
    pattern = [0, 1, 2, 3] * 50
    bits = [bits_per_char(fit_kneser_ney([pattern], n, 4), [pattern[:40]]) for n in (1, 2)]
    assert bits[0] == pytest.approx(2.0, abs=0.05)  # four equally frequent characters: 2 bits
    assert bits[1] < 0.2  # the next character is determined by the last one
    with pytest.raises(ValueError, match="`n`"):
        fit_kneser_ney([pattern], 0, 4)
    with pytest.raises(ValueError, match="vocab_size"):
        fit_kneser_ney([pattern], 2, 3)  # id 3 does not fit
    with pytest.raises(ValueError, match="too large"):
        fit_kneser_ney([pattern], 12, 97)


# --------------------------------------------------------------------------- error analysis

SNIPPET = 'x = f(a[0], "ab")\nif x:\n    y = 1  # c\n'


def test_closing_pairs_and_categories():
    pairs = closing_pairs(SNIPPET)
    assert pairs["bracket"] == [(5, 16), (7, 9)]
    assert pairs["quote"] == [(12, 15)]
    assert closing_pairs("s = rb'''q'''\n")["quote"] == [(6, 10)]  # after the prefix; first closing quote
    cats = categorise(SNIPPET)
    assert cats[9] == "close_bracket 1-9" and cats[16] == "close_bracket 10-39" and cats[15] == "close_quote 1-9"
    assert list(cats[24:28]) == ["indent"] * 4 and cats[17] == "newline" and cats[0] == "other"
    with pytest.raises(ValueError, match="tokenize"):
        closing_pairs("f(\n")


def test_error_table_counts_confident_right():
    text = "a = (1)\n"  # scored characters: text[1:]
    n = len(text) - 1
    p_lstm = np.full(n, 0.9)
    p_ngram = np.full(n, 0.9)
    p_ngram[5] = 0.1  # the ")" (text[6]): only the LSTM is right
    p_lstm[6] = 0.25  # the newline: neither
    p_ngram[6] = 0.25
    rows = {r["category"]: r for r in error_table([text], [p_lstm], [p_ngram])}
    close = rows["close_bracket 1-9"]
    assert close["count"] == 1 and close["only_lstm"] == 1.0 and close["only_ngram"] == 0.0
    assert close["bits_ngram"] == pytest.approx(-math.log2(0.1))
    assert rows["newline"]["right_lstm"] == 0.0 and rows["all"]["count"] == n
    with pytest.raises(ValueError, match="log-probabilities"):
        error_table([text], [np.log(p_lstm)], [p_ngram])
    import matplotlib.pyplot as plt

    from lstm_course.viz import figure_alt

    ax = plot_error_table(list(rows.values()), key="right")
    assert "close bracket 1-9: 1.00 against 0.00" in figure_alt(ax.figure)
    assert len(ax.patches) == 2 * (len(rows) - 1)  # two bars per category, "all" left out
    plt.close(ax.figure)


# --------------------------------------------------------------------------- units


def _planted(seed: int = 0) -> HeldOut:
    rng = np.random.default_rng(seed)
    N, H = 4000, 24
    in_string = rng.random(N) < 0.3
    S = rng.normal(size=(N, H))
    S[:, 3] = in_string + 0.1 * rng.normal(size=N)  # a clean tracker
    column = S[:, 10:20].sum(axis=1)  # spread over ten units
    labels = {"in_string": in_string, "column": column}
    files = np.repeat(np.arange(4), N // 4)
    return HeldOut({"c_t": S}, labels, files)


def test_pearson_matches_numpy_and_constant_unit_is_zero():
    rng = np.random.default_rng(1)
    S = rng.normal(size=(200, 5))
    S[:, 2] = 1.0
    y = S[:, 0] * 2 + rng.normal(size=200)
    r = pearson_by_unit(S, y)
    assert r[0] == pytest.approx(np.corrcoef(S[:, 0], y)[0, 1])
    assert r[2] == 0.0


def test_planted_tracker_is_clean_and_a_sum_is_spread():
    data = _planted()
    best = best_units(data, "c_t", ["in_string", "column"])
    assert best["in_string"]["unit"] == 3 and best["in_string"]["abs_r"] > 0.95
    assert best["column"]["abs_r"] < 0.5
    probes = probe_scores(data, "c_t", ["in_string", "column"])
    assert probes["column"]["r2"] > 0.99  # an exact linear function of the units
    assert probes["in_string"]["balanced_accuracy"] > 0.99
    assert verdict(best["in_string"]["abs_r"], probes["in_string"]["r2"]) == "clean"
    assert verdict(best["column"]["abs_r"], probes["column"]["r2"]) == "spread"
    assert verdict(0.6, 0.4) == "one unit" and verdict(0.6, 0.9) == "spread" and verdict(0.3, 0.1) == "weak"
    noise = HeldOut({"c_t": np.random.default_rng(2).normal(size=(4000, 24))}, data.labels, data.file_index)
    rows = {r["property"]: r for r in tracker_table(data, noise, ["in_string", "column"], ["c_t"])}
    assert rows["in_string"]["untrained_abs_r"] < 0.1 and rows["column"]["untrained_probe_r2"] < 0.05
    assert rows["in_string"]["verdict"] == "clean" and rows["column"]["verdict"] == "spread"


def test_probe_threshold_is_chosen_on_the_fitting_half_for_a_rare_property():
    rng = np.random.default_rng(4)
    N = 4000
    rare = rng.random(N) < 0.03
    S = rng.normal(size=(N, 6))
    S[:, 0] = rare + 0.2 * rng.normal(size=N)
    data = HeldOut({"c_t": S}, {"in_comment": rare}, np.repeat(np.arange(4), N // 4))
    row = probe_scores(data, "c_t", ["in_comment"])["in_comment"]
    assert row["threshold"] < 0.5  # a least-squares fit of a 3 % property stays under 0.5 on many positives
    assert row["balanced_accuracy"] > 0.95


def test_ridge_probe_recovers_weights():
    rng = np.random.default_rng(3)
    S = rng.normal(size=(500, 4)) * [1, 2, 3, 4] + 5
    y = S @ np.array([1.0, -0.5, 0.0, 2.0]) + 3
    probe = fit_ridge_probe(S, y, ridge=0.0)
    np.testing.assert_allclose(probe.predict(S), y, atol=1e-9)


def test_collect_labels_every_character():
    texts = ["x = 'a'\n", "def f(y):\n    return y\n"]

    def trace(text: str) -> dict:
        return {"c_t": np.arange(len(text) * 2, dtype=float).reshape(len(text), 2)}

    data = collect(trace, texts, quantities=("c_t",))
    assert data.states["c_t"].shape == (sum(map(len, texts)), 2)
    assert data.labels["in_string"].sum() == 3 and data.n_files == 2
    with pytest.raises(ValueError, match="len\\(text\\), H"):
        collect(lambda t: {"c_t": np.zeros((1, 2))}, texts, quantities=("c_t",))


# --------------------------------------------------------------------------- ablation


def test_clamped_forward_matches_torch_lstm_cell():
    model = build_model("lstm", 0)
    texts = ["x = 'ab'\n", "if y:\n    z = (1)\n"]
    unit, value = 5, 0.7
    rows = clamped_log_probs(model, texts, [Intervention((unit,), (value,)), Intervention((2, 9), (0.0, -0.3))])
    cell = torch.nn.LSTMCell(model.vocab_size, model.hidden_size)
    cell.load_state_dict({k.replace("_l0", ""): v for k, v in model.rnn.state_dict().items()})
    for text, got in zip(texts, rows, strict=True):
        ids = encode(text)
        assert got.shape == (3, len(text) - 1)
        ref = next_char_log_probs(model, text)[torch.arange(len(text) - 1), ids[1:]].double().numpy() / math.log(2)
        np.testing.assert_allclose(got[0], ref, atol=1e-5)
        h = c = torch.zeros(1, model.hidden_size)
        want = []
        with torch.no_grad():
            for t in range(len(text) - 1):
                x = torch.nn.functional.one_hot(ids[t:t + 1], model.vocab_size).float()
                gates = cell.weight_ih @ x[0] + cell.weight_hh @ h[0] + cell.bias_ih + cell.bias_hh
                o = torch.sigmoid(gates[3 * model.hidden_size:])
                h, c = cell(x, (h, c))
                c[0, unit] = value
                h = (o * torch.tanh(c[0]))[None]
                want.append(float(torch.log_softmax(model.out(h[0]), -1)[ids[t + 1]]) / math.log(2))
        np.testing.assert_allclose(got[1], want, atol=1e-5)
        assert np.abs(got[1] - got[0]).max() > 1e-4  # the clamp changed something


def test_loss_changes_and_string_closers():
    assert list(np.flatnonzero(string_closers("s = 'ab'\n"))) == [6]  # text[7] is the closing quote
    logp = np.log2(np.array([[0.5, 0.5, 0.5], [0.25, 0.5, 0.5]]))
    (row,) = loss_changes(logp, np.array([True, False, False]), {"first_two": np.array([True, True, False])})
    assert row["closers_delta"] == pytest.approx(1.0) and row["others_delta"] == pytest.approx(0.0)
    assert row["first_two_delta"] == pytest.approx(0.5)


# --------------------------------------------------------------------------- saturation


def test_gate_saturation_fractions_and_plot():
    f = np.array([[0.95, 0.5], [0.95, 0.05], [0.5, 0.05], [0.99, 0.95]])  # unit 0: 3/4 right, unit 1: 1/2 left
    sat = gate_saturation({"f_t": f, "i_t": f, "o_t": 1 - f})
    np.testing.assert_allclose(sat["f_t"]["right"], [0.75, 0.25])
    np.testing.assert_allclose(sat["f_t"]["left"], [0.0, 0.5])
    np.testing.assert_allclose(sat["o_t"]["left"], [0.75, 0.25])
    assert long_memory_units(sat) == [0] and long_memory_units(sat, share=0.2) == [0, 1]
    from lstm_course.viz import figure_alt
    from lstm_course.viz._textsize import smallest_text_pt

    fig = plot_saturation(sat, highlight={"in_string": 0})
    fig.canvas.draw()
    assert len(fig.axes) == 3 and "Ringed: in_string unit 0" in figure_alt(fig)
    assert smallest_text_pt(fig) >= 11
    import matplotlib.pyplot as plt

    plt.close(fig)


# --------------------------------------------------------------------------- the shipped analysis


def test_shipped_analysis_reproduces_the_string_unit():
    if not WEIGHTS.is_file():
        pytest.skip("the trained reader is not shipped yet (lstm_course/data/reader/reader_lstm.pt)")
    from lstm_course.reader import corpus_files, load_reader

    stored = json.loads(ANALYSIS.read_text(encoding="utf-8"))
    row = next(r for r in stored["trackers"] if r["property"] == "in_string" and r["quantity"] == "c_t")
    check = stored["check"]  # the same unit measured on the smallest held-out file alone (cheap to redo)
    assert check["unit"] == row["unit"] == stored["ablation"]["unit"]
    band = stored["float_paths"]["headline"]["check.abs_r"]["spread"]
    text = dict(corpus_files("heldout"))[check["file"]]
    data = collect(load_reader().trace, [text], quantities=("c_t",))
    r = pearson_by_unit(data.states["c_t"], data.labels["in_string"])
    assert int(np.argmax(np.abs(r))) == check["best_unit_on_file"]
    assert abs(abs(r[check["unit"]]) - check["abs_r"]) <= band + 1e-4


def test_stored_analysis_reads_back_consistently():
    from lstm_course.reader.analysis import band, headline, load_analysis, seed_table, tracker_row

    a = load_analysis()
    h = headline(a)
    assert set(a["float_paths"]["headline"]) <= set(h)  # every measured spread names a quotable number
    assert h["ngram.best.bits_per_char"] == min(r["bits_per_char"] for r in a["ngram"]["table"])
    assert band("lstm_bits_per_char", a) < 1e-3
    with pytest.raises(KeyError, match="headline"):
        band("no such number", a)
    first = seed_table(a)[0]
    assert first["seed"] == a["seed"] and first["in_string_unit"] == tracker_row("in_string", "c_t", a)["unit"]
    assert first["zero_closers_delta"] == a["ablation"]["modes"]["zero"]["unit"]["closers_delta"]
    if "scan" in a:  # the scan (every unit zeroed in one batch) and the ablation (21 units) agree on the unit
        unit = a["ablation"]["unit"]
        assert a["scan"]["closers_delta"][unit] == pytest.approx(first["zero_closers_delta"], abs=1e-5)
        for u, d in zip(a["ablation"]["random_units"], a["ablation"]["modes"]["zero"].get("random_closers_delta", []),
                        strict=False):
            assert a["scan"]["closers_delta"][u] == pytest.approx(d, abs=1e-5)
    for key, other in a.get("seeds", {}).items():  # the other seeds' scans against their ablations
        if "scan" in other:
            zero = other["ablation_zero"]["modes"]["zero"]
            assert other["scan"]["closers_delta"][other["ablation_zero"]["unit"]] == pytest.approx(
                zero["unit"]["closers_delta"], abs=1e-5), key
            for u, d in zip(other["ablation_zero"]["random_units"], zero["random_closers_delta"], strict=True):
                assert other["scan"]["closers_delta"][u] == pytest.approx(d, abs=1e-5), (key, u)
