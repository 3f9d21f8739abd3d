"""A real client: pytorch/examples-style word-level LM (tools/word_lm.py) with nn.LSTM / nn.GRU swapped for ours.

Both models are built and trained from the same seed on a slice of one epoch of the shipped corpus; the first
10 training losses must agree within 1e-5, the weights must come out the same, and a whole-model checkpoint
(``torch.save(model)``) must reload under ``torch.load``'s weights-only default and give the same validation loss.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

import lstm_course

TOOL = Path(__file__).resolve().parents[1] / "tools" / "word_lm.py"
_spec = importlib.util.spec_from_file_location("word_lm", TOOL)
word_lm = importlib.util.module_from_spec(_spec)
sys.modules["word_lm"] = word_lm  # so that pickle finds RNNModel, as it would in the script's own process
_spec.loader.exec_module(word_lm)

SLICE = {"batch_size": 5, "bptt": 10, "max_batches": 10}


def test_corpus_is_small_and_long_enough_for_ten_batches():
    assert word_lm.CORPUS.stat().st_size < 100_000
    corpus = word_lm.Corpus()
    rows = word_lm.batchify(corpus.train, SLICE["batch_size"]).shape[0]
    assert (rows - 1) // SLICE["bptt"] >= 10  # the slice is 10 full batches of one epoch
    assert len(corpus.valid) > 0 and len(corpus.test) > 0


@pytest.mark.parametrize("ref,ours", [("nn.LSTM", "lstm_course.LSTM"), ("nn.GRU", "lstm_course.GRU")])
def test_side_by_side_losses_and_checkpoint(ref, ours, tmp_path):
    expected = word_lm.run(ref, save=tmp_path / "ref.pt", **SLICE)
    got = word_lm.run(ours, save=tmp_path / "ours.pt", **SLICE)
    assert len(got["losses"]) == len(expected["losses"]) == 10
    diffs = [abs(a - b) for a, b in zip(got["losses"], expected["losses"], strict=True)]
    assert max(diffs) <= 1e-5, (got["losses"], expected["losses"])
    assert got["losses"][0] != got["losses"][-1]  # it trains
    assert abs(got["val_loss"] - expected["val_loss"]) <= 1e-4
    assert got["reloaded_type"] is word_lm.RNN_CLASSES[ours]
    assert got["reloaded_val_loss"] == pytest.approx(got["val_loss"], abs=1e-6)


def test_checkpoint_needs_the_safe_globals(tmp_path):
    """The reload works because importing lstm_course registers its classes with torch.serialization."""
    registered = torch.serialization.get_safe_globals()
    assert lstm_course.LSTM in registered and lstm_course.GRU in registered
    model = word_lm.RNNModel("lstm_course.GRU", 5, 4, 4, 2, 0.2)
    torch.save(model, tmp_path / "m.pt")
    assert isinstance(torch.load(tmp_path / "m.pt").rnn, lstm_course.GRU)
