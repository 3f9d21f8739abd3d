"""The reader's core (issue 20, point 1): the shipped corpus, the tokenize ground truth, the models, the trained
reader and its training run. About 20 s, most of it the short training run."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_course.reader import (
    HIDDEN_SIZES,
    KINDS,
    QUANTITIES,
    UNKNOWN,
    VOCAB,
    CharLSTM,
    Reader,
    TrainSettings,
    bits_per_char,
    build_model,
    char_labels,
    corpus_files,
    count_parameters,
    decode,
    encode,
    load_reader,
    load_sweep,
    next_char_log_probs,
    train_model,
)
from lstm_course.reader.corpus import CORPUS_DIR, HELDOUT_MODULES, TRAIN_MODULES, manifest
from lstm_course.reader.model import LOG_PATH, WEIGHTS_PATH, quantize_rows

ROOT = Path(__file__).resolve().parents[1]


# ----- the corpus ------------------------------------------------------------------------------------------


def test_manifest_matches_the_shipped_files():
    record = manifest()
    files = record["files"]
    assert {e["path"] for e in files if e["split"] == "train"} == set(TRAIN_MODULES)
    assert {e["path"] for e in files if e["split"] == "heldout"} == set(HELDOUT_MODULES)
    assert not set(TRAIN_MODULES) & set(HELDOUT_MODULES)  # split by whole files
    for e in files:
        data = (CORPUS_DIR / e["split"] / (e["path"] + ".txt")).read_bytes()
        assert len(data) == e["bytes"], e["path"]
        assert hashlib.sha256(data).hexdigest() == e["sha256"], e["path"]
    shipped = {p.relative_to(CORPUS_DIR).as_posix() for p in CORPUS_DIR.rglob("*.txt")} - {"LICENSE.txt"}
    assert shipped == {f"{e['split']}/{e['path']}.txt" for e in files}  # nothing unlisted
    assert not list(CORPUS_DIR.rglob("*.py"))  # no file that ruff or pytest would take for the project's code
    sizes = {s: sum(e["bytes"] for e in files if e["split"] == s) for s in ("train", "heldout")}
    total = sum(sizes.values())
    assert 500_000 <= total <= 2_000_000
    assert 0.05 <= sizes["heldout"] / total <= 0.2 and sizes["heldout"] >= 100_000  # 7 % here: 132,750 characters


def test_license_and_readme_are_shipped():
    license_text = (CORPUS_DIR / "LICENSE.txt").read_text(encoding="utf-8")
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in license_text
    assert "Python Software Foundation" in license_text
    readme = (CORPUS_DIR / "README.md").read_text(encoding="utf-8")
    assert "3.11.2" in readme and "unmodified" in readme and "LICENSE.txt" in readme
    assert manifest()["python_version"] == "3.11.2"


def test_corpus_files_are_the_shipped_texts():
    held = corpus_files("heldout")
    assert [p for p, _ in held] == sorted(HELDOUT_MODULES)
    path, text = held[0]
    assert text.encode("utf-8") == (CORPUS_DIR / "heldout" / (path + ".txt")).read_bytes()
    with pytest.raises(ValueError, match="`split`"):
        corpus_files("test")


def test_vocab_encode_decode():
    assert len(VOCAB) == 97 and VOCAB[1] == "\n" and VOCAB[2] == " " and VOCAB[-1] == "~"
    text = "def f(x):\n    return {'a': x}  # ok\n"
    ids = encode(text)
    assert ids.dtype == torch.long and ids.shape == (len(text),)
    assert decode(ids) == text
    assert encode("\tä€").tolist() == [UNKNOWN] * 3  # tabs and non-ASCII share the unknown index
    assert decode([UNKNOWN]) == VOCAB[0]
    with pytest.raises(TypeError, match="`text`"):
        encode(b"x = 1")
    with pytest.raises(ValueError, match="`ids`"):
        decode([97])


# ----- ground truth from tokenize --------------------------------------------------------------------------


def _row(labels: dict[str, np.ndarray], name: str) -> list[int]:
    return [int(v) for v in labels[name]]


def test_labels_string_and_comment():
    text = 'x = "a#b"  # c\n'
    lab = char_labels(text)
    assert _row(lab, "in_string") == [0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]  # quotes count as inside
    assert _row(lab, "in_comment") == [0] * 11 + [1, 1, 1, 0]  # '#' to the end of the line, not the '\n'
    assert _row(lab, "column") == list(range(15))
    assert _row(lab, "bracket_depth") == [0] * 15
    assert _row(lab, "indent_level") == [0] * 15
    apostrophe = char_labels("# it's\nx = 1\n")
    assert not apostrophe["in_string"].any()
    assert _row(apostrophe, "in_comment") == [1] * 6 + [0] * 7
    assert _row(apostrophe, "column") == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5]


def test_labels_brackets_open_and_close_at_the_outer_depth():
    assert _row(char_labels("f(a[0])\n"), "bracket_depth") == [0, 0, 1, 1, 2, 1, 0, 0]
    # brackets inside strings and comments do not count
    assert _row(char_labels("s = '('  # )\n"), "bracket_depth") == [0] * 13


def test_labels_fstring_is_one_string():
    lab = char_labels('s = f"{x!r}"\n')
    assert _row(lab, "in_string") == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert _row(lab, "bracket_depth") == [0] * 13  # the replacement field's braces are part of the string


def test_labels_indentation_docstring_and_def():
    text = 'def g(a,\n      b):\n    """Doc."""\n    if a:\n        return b\n\n    return a\n'
    lab = char_labels(text)
    lines = text.split("\n")[:-1]
    starts = np.cumsum([0] + [len(line) + 1 for line in lines])
    per_line = [set(lab["indent_level"][starts[k]: starts[k + 1]].tolist()) for k in range(len(lines))]
    # the continuation line shares the def's level; the blank line keeps the level in force before it
    assert per_line == [{0}, {0}, {1}, {1}, {2}, {2}, {1}]
    signature = "def g(a,\n      b):"
    assert _row(lab, "after_def") == [1] * len(signature) + [0] * (len(text) - len(signature))
    doc = text.index('"""')
    assert _row(lab, "in_docstring") == [0] * doc + [1] * 10 + [0] * (len(text) - doc - 10)
    assert (lab["in_docstring"] <= lab["in_string"]).all()
    assert _row(lab, "column")[starts[1]: starts[2]] == list(range(len(lines[1]) + 1))


def test_labels_module_docstring_and_no_trailing_newline():
    lab = char_labels('"""M."""\nx = [1]')
    assert _row(lab, "in_docstring") == [1] * 8 + [0] * 8
    assert _row(lab, "bracket_depth") == [0] * 14 + [1, 0]


def test_labels_on_held_out_code_are_consistent():
    for _, text in corpus_files("heldout")[:3]:
        lab = char_labels(text)
        assert all(v.shape == (len(text),) for v in lab.values())
        assert (lab["bracket_depth"] >= 0).all() and lab["bracket_depth"][-1] == 0
        assert not (lab["in_string"] & lab["in_comment"]).any()
        assert lab["in_string"].any() and lab["in_comment"].any() and lab["after_def"].any()
        assert lab["indent_level"].max() >= 2


@pytest.mark.parametrize("bad", ["def f(:\n", "x = (1,\n", "x = 1\n    y = 2\n", 'x = "abc\n'])
def test_labels_reject_code_that_is_not_python(bad):
    with pytest.raises(ValueError, match="`text`"):
        char_labels(bad)


def test_labels_reject_wrong_types_and_empty_text():
    with pytest.raises(TypeError, match="`text`"):
        char_labels(["x = 1"])
    with pytest.raises(ValueError, match="`text` is empty"):
        char_labels("")


# ----- the models ------------------------------------------------------------------------------------------


def test_baselines_have_about_the_same_number_of_parameters():
    counts = {kind: count_parameters(build_model(kind, 0)) for kind in KINDS}
    assert counts == {"lstm": 388_449, "gru": 388_297, "rnn": 388_654}
    assert max(counts.values()) / min(counts.values()) < 1.01
    assert build_model("lstm", 0).hidden_size == HIDDEN_SIZES["lstm"] == 256
    a, b = build_model("lstm", 3), build_model("lstm", 3)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    with pytest.raises(ValueError, match="`kind`"):
        build_model("transformer")


def test_quantize_rows_gives_int8_rows_the_page_can_rebuild_exactly():
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(40, 97, generator=gen) * torch.rand(40, 1, generator=gen) * 3
    w[7] = 0.0
    q = quantize_rows(w)
    scale = q.abs().amax(dim=1) / 127  # (R,): recovered from the rounded numbers alone, as page.py does
    assert torch.equal(scale, scale.half().float())  # a float16 value, so q_ij * s_r is a float32 number exactly
    ints = torch.where(scale[:, None] > 0, q / torch.where(scale > 0, scale, 1.0)[:, None], 0.0)
    assert torch.equal(ints, ints.round()) and ints.abs().max() == 127
    assert torch.equal(ints * scale[:, None], q) and torch.equal(quantize_rows(q), q)  # exact, and idempotent
    assert torch.equal(q[7], torch.zeros(97))
    assert (q - w).abs().max() <= 0.5 * w.abs().amax(dim=1).max() / 127 * 1.01  # half a step, at most
    with pytest.raises(ValueError, match="`weight` must be 2-D"):
        quantize_rows(torch.ones(3))


def test_trace_shapes_and_hidden_states_match_the_forward():
    reader = Reader(build_model("lstm", 1))
    text = "def f(x):\n    return [x, 'y']\n"
    trace = reader.trace(text)
    assert set(trace) == set(QUANTITIES) >= {"c_t", "h_t", "f_t", "i_t", "o_t"}
    assert all(v.shape == (len(text), HIDDEN_SIZES["lstm"]) and v.dtype == torch.float32 for v in trace.values())
    logits, (h_n, c_n) = reader.model(encode(text)[None])  # the training forward (with autograd): (1, T, V)
    hs, _ = reader.model.hidden(encode(text)[None])  # (1, T, H)
    torch.testing.assert_close(trace["h_t"], hs[0].detach(), rtol=0, atol=1e-6)
    torch.testing.assert_close(reader.model.out(trace["h_t"]), logits[0].detach(), rtol=0, atol=1e-5)
    torch.testing.assert_close(trace["c_t"][-1], c_n[0, 0].detach(), rtol=0, atol=1e-6)
    torch.testing.assert_close(trace["h_t"], trace["o_t"] * torch.tanh(trace["c_t"]), rtol=0, atol=1e-6)
    assert list(reader.trace(text, quantities=["c_t"])) == ["c_t"]


def test_bits_per_char_and_log_probs_agree():
    model = build_model("lstm", 2)
    text = "import os\nprint(os.sep)\n"
    lp = next_char_log_probs(model, text)  # (T, V)
    manual = -lp[:-1].gather(1, encode(text)[1:, None]).mean() / np.log(2)
    assert Reader(model).bits_per_char(text) == pytest.approx(float(manual), rel=1e-5)


def test_sample_is_repeatable_and_checks_its_arguments():
    reader = Reader(build_model("lstm", 0))
    a = reader.sample(30, temperature=0.8, seed=5, prompt="def ")
    assert len(a) == 30 and a == reader.sample(30, temperature=0.8, seed=5, prompt="def ")
    assert VOCAB[UNKNOWN] not in reader.sample(200, temperature=3.0, seed=1)
    with pytest.raises(ValueError, match="`temperature`"):
        reader.sample(10, temperature=0)
    with pytest.raises(ValueError, match="`n_chars`"):
        reader.sample(-1)


def test_reader_rejects_bad_input():
    reader = Reader(build_model("lstm", 0))
    with pytest.raises(TypeError, match="`text`"):
        reader.trace(42)
    with pytest.raises(ValueError, match="`text` is empty"):
        reader.trace("")
    with pytest.raises(ValueError, match="`quantities`"):
        reader.trace("x", quantities=["z_t"])
    with pytest.raises(ValueError, match="`text` is too short"):
        reader.bits_per_char("x")
    with pytest.raises(TypeError, match="`model`"):
        Reader(build_model("gru", 0))


# ----- the shipped reader ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_load_reader_from_an_empty_folder(tmp_path):
    """The weights and the log are package data: found from any working folder, not read relative to it."""
    code = ("import json; from lstm_course.reader import load_reader, corpus_files\n"
            "r = load_reader(); text = corpus_files('heldout')[0][1][:3000]\n"
            "t = r.trace(text)\n"
            "print(json.dumps({'shape': list(t['c_t'].shape), 'bpc': r.bits_per_char(text),\n"
            "                  'steps': len(r.log['loss']), 'heldout': r.log['heldout_bits_per_char']}))\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["shape"] == [3000, HIDDEN_SIZES["lstm"]]
    assert got["steps"] == TrainSettings().steps
    untrained = Reader(build_model("lstm", 0)).bits_per_char(corpus_files("heldout")[0][1][:3000])
    assert untrained > 6  # about log2(97) = 6.6 before training
    assert got["bpc"] < 3.5 and got["heldout"] < 3  # trained: far below the untrained start
    assert WEIGHTS_PATH.stat().st_size <= 2_000_000
    assert not list(tmp_path.iterdir())  # nothing written into the working folder


def test_load_reader_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="`weights`"):
        load_reader(tmp_path / "nothing.pt")


def test_shipped_reader_is_a_plain_state_dict():
    state = torch.load(WEIGHTS_PATH, weights_only=True)
    assert set(state) == set(CharLSTM().state_dict())
    assert all(v.dtype == torch.float32 for v in state.values())
    # what the page embeds exactly: weight matrices of 8-bit integers times a scale per row, float16 biases
    assert all(torch.equal(quantize_rows(v), v) if v.dim() == 2 else torch.equal(v, v.half().float())
               for v in state.values())
    assert not torch.equal(quantize_rows(state["rnn.weight_hh_l0"] * 1.001), state["rnn.weight_hh_l0"] * 1.001)
    log = json.loads(LOG_PATH.read_text())
    assert log["kind"] == "lstm" and log["seed"] == 0 and log["settings"] == TrainSettings().__dict__


# ----- the training run, within a band measured across float paths ------------------------------------------

#: The short run: the first STEPS steps of the shipped run (same seed, batches and learning-rate schedule).
STEPS, WINDOW = 150, 25
#: Allowed distance (nats) between the mean loss of each 25-step window of the short run and the same window of the
#: shipped training log. Measured on this machine (first 200 steps, seed 0, OMP_NUM_THREADS=1; H = 256 with dropout
#: 0.3) under the default float path, MKL_CBWR=COMPATIBLE and MKL_CBWR=AVX2 ATEN_CPU_CAPABILITY=avx2: the first four
#: windows were equal to 5 decimals under all three (3.18586 2.77670 2.51705 2.31120), the fifth and sixth read
#: 2.25505 / 2.25579 / 2.25538 and 2.02260 / 2.02531 / 2.02379 (spread 2.7e-3), and single steps differed by up to
#: 9.2e-3 within the first 150. The band is that spread with a wide margin for CPUs these paths do not emulate, and
#: still below what a changed setting moves: a halved learning rate moved the windows by 0.053-0.12, training without
#: dropout by 0.007-0.073 (the test compares the largest window's distance).
BAND = 0.02


@pytest.mark.slow
def test_training_follows_the_shipped_loss_curve():
    log = load_reader().log
    assert log is not None
    _, short = train_model("lstm", 0, TrainSettings(**log["settings"]), max_steps=STEPS, evaluate=False)
    assert len(short["loss"]) == STEPS

    def windows(loss: list[float]) -> np.ndarray:
        return np.array([np.mean(loss[k:k + WINDOW]) for k in range(0, STEPS, WINDOW)])

    got, shipped = windows(short["loss"]), windows(log["loss"][:STEPS])
    assert np.abs(got - shipped).max() <= BAND, (got.round(4).tolist(), shipped.round(4).tolist())
    assert got[0] - got[-1] > 0.8  # it learns: from about ln 97 = 4.57 towards 3


# ----- the sweep (tools/sweep_reader.py) --------------------------------------------------------------------


def test_sweep_is_the_shipped_settings_and_reader():
    record = load_sweep()
    cells = record["cells"]
    assert sorted((c["kind"], c["seed"]) for c in cells) == sorted((k, s) for k in KINDS for s in (0, 1, 2))
    assert record["settings"] == TrainSettings().__dict__
    counts = {kind: count_parameters(build_model(kind, 0)) for kind in KINDS}
    for c in cells:
        assert c["parameters"] == counts[c["kind"]] and c["steps"] == TrainSettings().steps
        per_file, heldout = c["heldout_bits_per_file"], corpus_files("heldout")
        assert list(per_file) == [name for name, _ in heldout]  # each held-out file on its own, same scorer
        weighted = sum(per_file[name] * (len(text) - 1) for name, text in heldout) / sum(len(t) - 1 for _, t in heldout)
        assert weighted == pytest.approx(c["heldout_bits_per_char"], abs=1e-5)  # one batch vs one file: rounding
    log = load_reader().log
    lstm0 = next(c for c in cells if (c["kind"], c["seed"]) == ("lstm", 0))  # the shipped reader IS this cell
    assert lstm0["heldout_bits_per_char"] == log["heldout_bits_per_char"]
    assert lstm0["final_train_loss"] == round(sum(log["loss"][-100:]) / 100, 5)
    assert load_sweep()["bits_per_char"]["lstm"][0] == lstm0["heldout_bits_per_char"]


@pytest.mark.slow
def test_shipped_held_out_score_holds_here():
    """The held-out bits/char in the log, recomputed from the shipped weights on this machine's float path."""
    reader = load_reader()
    got = bits_per_char(reader.model, [t for _, t in corpus_files("heldout")])
    assert got == pytest.approx(reader.log["heldout_bits_per_char"], abs=1e-4)
