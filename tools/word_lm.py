"""A standard word-level language model, as pytorch/examples' word_language_model trains one, with the RNN swappable.

    .venv/bin/python tools/word_lm.py --rnn lstm_course.LSTM [--epochs 1] [--max-batches N] [--save model.pt]

Written for this project (nothing is fetched): the corpus is ``tools/data/word_lm_corpus.txt`` (written for
the course, CC0), split by lines into train / valid / test. The model is an embedding, a stacked RNN with
dropout between layers, dropout, and a linear decoder (``RNNModel``); training is truncated BPTT over
batchified text with gradient clipping and plain SGD, the hidden state carried (detached) from batch to
batch, as in the example. The one line that differs between ``nn.LSTM`` and ``lstm_course.LSTM`` is the
entry of :data:`RNN_CLASSES`; tests/test_word_lm.py trains both side by side from the same seed and
reloads a whole-model checkpoint with ``torch.load``'s weights-only default.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
from torch import nn

import lstm_course

CORPUS = Path(__file__).resolve().parent / "data" / "word_lm_corpus.txt"
RNN_CLASSES: dict[str, type[nn.Module]] = {
    "nn.LSTM": nn.LSTM, "lstm_course.LSTM": lstm_course.LSTM, "nn.GRU": nn.GRU, "lstm_course.GRU": lstm_course.GRU,
}


class Corpus:
    """Word ids of the train / valid / test parts (80 / 10 / 10 % of the lines); ``<eos>`` ends each line."""

    def __init__(self, path: Path = CORPUS) -> None:
        lines = [ln.split() + ["<eos>"] for ln in path.read_text(encoding="utf-8").splitlines()
                 if ln.strip() and not ln.startswith("#")]
        self.words: list[str] = sorted({w for ln in lines for w in ln})
        index = {w: k for k, w in enumerate(self.words)}
        cut1, cut2 = int(0.8 * len(lines)), int(0.9 * len(lines))

        def ids(part: list[list[str]]) -> torch.Tensor:
            return torch.tensor([index[w] for ln in part for w in ln], dtype=torch.long)

        self.train, self.valid, self.test = ids(lines[:cut1]), ids(lines[cut1:cut2]), ids(lines[cut2:])


def batchify(data: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``(N,)`` word ids -> ``(N // B, B)``: B parallel streams, each read top to bottom."""
    steps = data.size(0) // batch_size
    return data[: steps * batch_size].view(batch_size, -1).t().contiguous()


def get_batch(source: torch.Tensor, i: int, bptt: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Input rows ``i .. i+bptt-1`` ``(T, B)`` and their targets (the next words), flattened ``(T·B,)``."""
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


class RNNModel(nn.Module):
    """Embedding -> dropout -> stacked RNN (dropout between layers) -> dropout -> linear decoder."""

    def __init__(self, rnn: str, ntoken: int, ninp: int, nhid: int, nlayers: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.rnn_type, self.nhid, self.nlayers = rnn, nhid, nlayers
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = RNN_CLASSES[rnn](ninp, nhid, nlayers, dropout=dropout)  # the one line that differs
        self.decoder = nn.Linear(nhid, ntoken)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, input: torch.Tensor, hidden):  # input (T, B) word ids
        emb = self.drop(self.encoder(input))  # (T, B, ninp)
        output, hidden = self.rnn(emb, hidden)  # (T, B, nhid)
        decoded = self.decoder(self.drop(output)).view(-1, self.decoder.out_features)  # (T·B, ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, batch_size: int):
        weight = next(self.parameters())
        zeros = weight.new_zeros(self.nlayers, batch_size, self.nhid)
        return (zeros, zeros.clone()) if self.rnn_type.endswith("LSTM") else zeros


# A user's script registers its own classes for the weights-only torch.load; lstm_course registers its own.
torch.serialization.add_safe_globals([RNNModel, nn.Embedding, nn.Dropout, nn.Linear, nn.LSTM, nn.GRU])


def repackage_hidden(h):
    """Cut the graph between batches (truncated BPTT)."""
    return h.detach() if isinstance(h, torch.Tensor) else tuple(repackage_hidden(v) for v in h)


def train_epoch(model: RNNModel, data: torch.Tensor, *, batch_size: int, bptt: int, lr: float, clip: float,
                max_batches: int | None = None) -> list[float]:
    """One epoch (or its first ``max_batches`` batches) of SGD; returns every batch's training loss."""
    model.train()
    criterion = nn.NLLLoss()
    hidden = model.init_hidden(batch_size)
    losses = []
    for batch, i in enumerate(range(0, data.size(0) - 1, bptt)):
        if max_batches is not None and batch >= max_batches:
            break
        inputs, targets = get_batch(data, i, bptt)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(inputs, hidden)
        loss = criterion(output, targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    return losses


def evaluate(model: RNNModel, data: torch.Tensor, *, batch_size: int, bptt: int) -> float:
    """Mean loss per word over ``data`` (eval mode, no dropout)."""
    model.eval()
    criterion = nn.NLLLoss(reduction="sum")
    hidden = model.init_hidden(batch_size)
    total = 0.0
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, bptt):
            inputs, targets = get_batch(data, i, bptt)
            output, hidden = model(inputs, hidden)
            total += criterion(output, targets).item()
    return total / (len(data) - 1) / batch_size


def run(rnn: str, *, seed: int = 1111, emsize: int = 32, nhid: int = 32, nlayers: int = 2, dropout: float = 0.2,
        batch_size: int = 10, bptt: int = 20, lr: float = 20.0, clip: float = 0.25, epochs: int = 1,
        max_batches: int | None = None, save: Path | None = None) -> dict[str, object]:
    """Train from ``seed``; returns the training losses, the validation loss and, with ``save``, the reloaded
    checkpoint's validation loss (``torch.save`` of the whole model, ``torch.load`` with its defaults)."""
    torch.manual_seed(seed)
    corpus = Corpus()
    train_data, val_data = batchify(corpus.train, batch_size), batchify(corpus.valid, batch_size)
    model = RNNModel(rnn, len(corpus.words), emsize, nhid, nlayers, dropout)
    losses: list[float] = []
    for _ in range(epochs):
        losses += train_epoch(model, train_data, batch_size=batch_size, bptt=bptt, lr=lr, clip=clip,
                              max_batches=max_batches)
    result: dict[str, object] = {"losses": losses, "val_loss": evaluate(model, val_data, batch_size=batch_size,
                                                                        bptt=bptt)}
    if save is not None:
        with open(save, "wb") as f:
            torch.save(model, f)
        with open(save, "rb") as f:
            reloaded = torch.load(f)  # the weights-only default
        result["reloaded_type"] = type(reloaded.rnn)
        result["reloaded_val_loss"] = evaluate(reloaded, val_data, batch_size=batch_size, bptt=bptt)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rnn", choices=sorted(RNN_CLASSES), default="lstm_course.LSTM")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-batches", type=int, default=None, help="stop each epoch after this many batches")
    parser.add_argument("--save", type=Path, default=None, help="write the whole model here, then reload it")
    parser.add_argument("--seed", type=int, default=1111)
    args = parser.parse_args(argv)
    result = run(args.rnn, seed=args.seed, epochs=args.epochs, max_batches=args.max_batches, save=args.save)
    losses = result["losses"]
    print(f"{args.rnn}: {len(losses)} batches, first losses " + " ".join(f"{v:.6f}" for v in losses[:10]))
    val = result["val_loss"]
    print(f"valid loss {val:.4f}, ppl {math.exp(val):.2f}")
    if "reloaded_val_loss" in result:
        print(f"reloaded from {args.save}: valid loss {result['reloaded_val_loss']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
