r"""The character-level models that read code, and their training loop.

:class:`CharLSTM` reads one character per step. With :math:`V` = ``len(VOCAB)`` = 97 and :math:`H` = 256:

.. math::
    x_t &= \operatorname{onehot}(\text{char}_t) \in \{0, 1\}^{V} \\
    h_t, c_t &= \operatorname{LSTM}(x_t, h_{t-1}, c_{t-1})
        \quad\text{(the six equations of } \texttt{lstm\_course.cell}\text{)} \\
    p(\text{char}_{t+1} \mid \text{char}_{\le t}) &= \operatorname{softmax}(W_y h_t + b_y),
        \qquad W_y \in \mathbb{R}^{V \times H}

The baselines swap the recurrent layer and keep everything else: :class:`CharGRU` (``lstm_course.GRU``,
H = 300) and :class:`CharRNN` (``torch.nn.RNN`` with tanh, H = 533), sized so that the three have about the
same number of parameters (:data:`HIDDEN_SIZES`; 388,449 / 388,297 / 388,654).

:func:`train_model` trains one of them (:class:`TrainSettings`): Adam, batches of ``batch`` rows of
``seq_len`` characters (32 x 128) read from the training text, cross-entropy on every next character,
gradient-norm clipping at 1, the learning rate decayed linearly from ``lr`` (0.01) to ``lr_final`` (0.001) over
``steps`` (4000), and dropout (``dropout`` = 0.3) on :math:`h_t` before the read-out during training only (the
training files are small enough to be learned by heart without it; tracing and scoring never drop). Each row starts at
a random offset (a ``torch.Generator`` seeded with ``seed``) and, with
``carry_state`` (the default), reads on from where it stopped at the next step, its state carried over and detached
(truncated backpropagation through time), so the model learns to read long texts as the held-out files are read.
Without ``carry_state`` every row is a fresh random window read from a zero state.
:func:`bits_per_char` scores held-out files, each read whole from a zero state.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from ..gru_layer import GRU
from ..layer import LSTM
from .corpus import UNKNOWN, VOCAB, corpus_files, corpus_text, encode

__all__ = [
    "HIDDEN_SIZES",
    "KINDS",
    "LOG_PATH",
    "QUANTITIES",
    "WEIGHTS_PATH",
    "Reader",
    "CharGRU",
    "CharLSTM",
    "CharModel",
    "CharRNN",
    "TrainSettings",
    "bits_per_char",
    "bits_per_file",
    "build_model",
    "count_parameters",
    "load_reader",
    "load_sweep",
    "next_char_log_probs",
    "quantize_rows",
    "save_reader",
    "untrained_reader",
    "train_model",
]

KINDS = ("lstm", "gru", "rnn")
#: Hidden size per kind, chosen so that the three models have about the same number of parameters.
HIDDEN_SIZES = {"lstm": 256, "gru": 300, "rnn": 533}
_EVAL_CHUNK = 2048  # characters per forward pass when scoring long texts (the state is carried across chunks)

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class CharModel(nn.Module):
    """One-hot characters -> one recurrent layer -> a linear read-out of next-character logits.

    ``kind`` is ``"lstm"`` (:class:`lstm_course.LSTM`), ``"gru"`` (:class:`lstm_course.GRU`) or ``"rnn"``
    (``torch.nn.RNN``, tanh). Parameters: ``rnn.*`` (PyTorch's names and layout) and ``out.weight (V, H)``,
    ``out.bias (V,)``. ``dropout`` (a float, default 0, no parameters) zeroes that fraction of :math:`h_t` before
    the read-out in training mode only (:func:`train_model` sets it from :class:`TrainSettings`).
    """

    def __init__(self, kind: str = "lstm", hidden_size: int | None = None) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}, got {kind!r}.")
        H = HIDDEN_SIZES[kind] if hidden_size is None else int(hidden_size)
        V = len(VOCAB)
        self.kind = kind
        self.hidden_size = H
        self.vocab_size = V
        self.dropout = 0.0
        self.rnn: nn.Module = {"lstm": LSTM, "gru": GRU, "rnn": nn.RNN}[kind](V, H)
        self.out = nn.Linear(H, V)

    def one_hot(self, ids: torch.Tensor) -> torch.Tensor:
        """``ids (B, T)`` -> time-major one-hot inputs ``x (T, B, V)`` (float32)."""
        return F.one_hot(ids.t(), self.vocab_size).to(self.out.weight.dtype)

    def hidden(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Every step's :math:`h_t`: ``ids (B, T)`` -> ``hs (B, T, H)`` and the final state (the layer's own form)."""
        hs, final = self.rnn(self.one_hot(ids), state)  # (T, B, H)
        return hs.transpose(0, 1), final

    def forward(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """``ids (B, T)`` -> next-character logits ``(B, T, V)`` and the final state."""
        hs, final = self.hidden(ids, state)  # (B, T, H)
        return self.out(F.dropout(hs, self.dropout, self.training)), final


class CharLSTM(CharModel):
    """:class:`CharModel` with ``kind="lstm"``: one-hot -> ``lstm_course.LSTM(97, H=256)`` -> ``Linear(H, 97)``."""

    def __init__(self, hidden_size: int = HIDDEN_SIZES["lstm"]) -> None:
        super().__init__("lstm", hidden_size)


class CharGRU(CharModel):
    """:class:`CharModel` with ``kind="gru"``: ``lstm_course.GRU(97, H=300)``."""

    def __init__(self, hidden_size: int = HIDDEN_SIZES["gru"]) -> None:
        super().__init__("gru", hidden_size)


class CharRNN(CharModel):
    """:class:`CharModel` with ``kind="rnn"``: ``torch.nn.RNN(97, H=533)``, tanh."""

    def __init__(self, hidden_size: int = HIDDEN_SIZES["rnn"]) -> None:
        super().__init__("rnn", hidden_size)


_CLASSES: dict[str, type[CharModel]] = {"lstm": CharLSTM, "gru": CharGRU, "rnn": CharRNN}


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_model(kind: str = "lstm", seed: int = 0) -> CharModel:
    """A fresh model of ``kind`` with PyTorch's default initialisation drawn from ``torch.manual_seed(seed)``.

    The global random state is left as it was. ``build_model("lstm", 0)`` is the untrained start of the
    shipped reader (same initialisation).
    """
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {KINDS}, got {kind!r}.")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _CLASSES[kind]()


@dataclass(frozen=True)
class TrainSettings:
    """The training run of the shipped reader and of every model of the sweep (tools/sweep_reader.py)."""

    steps: int = 4000
    batch: int = 32
    seq_len: int = 128
    lr: float = 1e-2
    lr_final: float = 1e-3
    clip: float = 1.0
    carry_state: bool = True
    dropout: float = 0.3


def quantize_rows(weight: torch.Tensor) -> torch.Tensor:
    r"""Each row of a 2-D ``weight`` as 8-bit integers times one scale, ``(R, C)`` -> ``(R, C)`` float32:

    .. math::
        s_r = \operatorname{fp16}\Big(\frac{\max_j |w_{rj}|}{127}\Big), \qquad
        q_{rj} = \operatorname{round}(w_{rj} / s_r) \in \{-127, \ldots, 127\}, \qquad w'_{rj} = q_{rj} s_r

    :math:`s_r` is rounded to a float16 value, so that every :math:`q_{rj} s_r` is a float32 number exactly and the
    row's largest :math:`|w'_{rj}|` is :math:`127 s_r`: :func:`lstm_course.reader.page.page_weights` recovers
    :math:`s_r` and :math:`q` from :math:`w'` alone (the ``state_dict`` stays plain float32), and the page rebuilds
    the same numbers. A row of zeros stays zero.
    """
    if weight.dim() != 2:
        raise ValueError(f"`weight` must be 2-D (rows, columns), got shape {tuple(weight.shape)}.")
    w = weight.detach().float()
    scale = (w.abs().amax(dim=1, keepdim=True) / 127).half().float()  # (R, 1)
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.round(w / safe).clamp(-127, 127)
    return torch.where(scale > 0, q * scale, torch.zeros_like(w))


def _detach(state: State) -> State:
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()  # type: ignore[return-value]


def _loss(model: CharModel, windows: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
    """Mean next-character cross-entropy (nats) of ``windows (B, T+1)``: inputs ``[:, :-1]``, targets ``[:, 1:]``."""
    logits, final = model(windows[:, :-1], state)  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1)), final


def train_model(
    kind: str = "lstm",
    seed: int = 0,
    settings: TrainSettings = TrainSettings(),
    *,
    text: str | None = None,
    max_steps: int | None = None,
    evaluate: bool = True,
    progress: bool = False,
) -> tuple[CharModel, dict]:
    """Train :func:`build_model` ``(kind, seed)`` on ``text`` (default: the training split) with ``settings``.

    ``max_steps`` stops after the first ``max_steps`` steps of the same run (same batches, same learning-rate
    schedule), so a short run's losses are the start of the full run's. The trained numbers are then rounded, still
    float32 tensors: each to its nearest float16 value, and each weight matrix further to 8-bit integers times one
    scale per row (:func:`quantize_rows`), so that the page (:mod:`lstm_course.reader.page`) embeds the weights in a
    quarter of float32's bytes and runs exactly the same numbers. The held-out score is that of the rounded model
    (rounding moved the shipped reader's by about 1e-4 bits per character). Returns
    the model (in eval mode) and its
    log: ``{"kind", "seed", "hidden_size", "parameters", "settings", "loss" (mean cross-entropy in nats of every
    step run), "seconds" (wall), "cpu_seconds", "heldout_bits_per_char" and "heldout_bits_per_file" (when
    ``evaluate``), "torch"}``.
    """
    if not 0.0 <= settings.dropout < 1.0:
        raise ValueError(f"`settings.dropout` must be in [0, 1), got {settings.dropout!r}.")
    model = build_model(kind, seed)
    model.dropout = settings.dropout
    ids = encode(corpus_text("train") if text is None else text)  # (N,)
    span = settings.seq_len + 1
    if ids.numel() <= span:
        raise ValueError(f"`text` must be longer than seq_len + 1 = {span} characters, got {ids.numel()}.")
    gen = torch.Generator().manual_seed(seed)
    offsets = torch.arange(span)  # (T+1,)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
    losses: list[float] = []
    state: State | None = None
    lanes = torch.zeros(settings.batch, dtype=torch.long)
    start, cpu_start = time.perf_counter(), time.process_time()
    model.train()
    run = settings.steps if max_steps is None else min(settings.steps, max_steps)
    if run < 1:
        raise ValueError(f"`max_steps` must be >= 1, got {max_steps!r}.")
    with torch.random.fork_rng(devices=[]):  # dropout's masks come from `seed`; the caller's random state is kept
        torch.manual_seed(seed)
        for step in range(run):
            frac = step / max(settings.steps - 1, 1)
            for group in opt.param_groups:
                group["lr"] = settings.lr + (settings.lr_final - settings.lr) * frac
            if settings.carry_state:  # each row reads on where it stopped, its state carried (truncated BPTT)
                if step == 0:  # random starting points
                    lanes = torch.randint(0, ids.numel(), (settings.batch,), generator=gen)  # (B,)
                windows = ids[(lanes[:, None] + offsets) % ids.numel()]  # (B, T+1)
                lanes = lanes + settings.seq_len
                loss, state = _loss(model, windows, state)
                state = _detach(state)
            else:
                starts = torch.randint(0, ids.numel() - span + 1, (settings.batch,), generator=gen)  # (B,)
                windows = ids[starts[:, None] + offsets]  # (B, T+1)
                loss, _ = _loss(model, windows)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
            opt.step()
            losses.append(round(loss.item(), 5))
            if progress and (step % 200 == 0 or step == run - 1):
                print(f"{kind} seed {seed} step {step}: loss {losses[-1]:.4f} "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
    model.eval()
    with torch.no_grad():  # numbers the page can carry in a quarter of the bytes, exactly (see quantize_rows)
        for param in model.parameters():
            param.copy_(param.half().float())
            if param.dim() == 2:
                param.copy_(quantize_rows(param))
    log = {"kind": kind, "seed": seed, "hidden_size": model.hidden_size, "parameters": count_parameters(model),
           "settings": asdict(settings), "loss": losses, "loss_units": "nats per character (cross-entropy)",
           "seconds": round(time.perf_counter() - start, 1),
           "cpu_seconds": round(time.process_time() - cpu_start, 1), "torch": torch.__version__}
    if evaluate:
        log["heldout_bits_per_char"] = bits_per_char(model, [t for _, t in corpus_files("heldout")])
        log["heldout_bits_per_file"] = bits_per_file(model, corpus_files("heldout"))
    return model, log


def bits_per_file(model: CharModel, files: Sequence[tuple[str, str]]) -> dict[str, float]:
    """:func:`bits_per_char` of each ``(name, text)`` of ``files`` on its own, read from a zero state:
    ``{name: bits per character}``."""
    return {name: bits_per_char(model, [text]) for name, text in files}


@torch.no_grad()
def next_char_log_probs(model: CharModel, text: str) -> torch.Tensor:
    """``log p(char_{t+1} | char_{<=t})`` for every position: ``str`` of length T -> ``(T, V)`` (natural log).

    Row ``t`` is the distribution of the character after ``text[t]``, read from a zero state.
    """
    ids = encode(text)[None]  # (1, T)
    rows, state = [], None
    for chunk in ids.split(_EVAL_CHUNK, dim=1):
        logits, state = model(chunk, state)  # (1, t, V)
        rows.append(torch.log_softmax(logits[0], dim=-1))
    return torch.cat(rows)


@torch.no_grad()
def bits_per_char(model: CharModel, texts: Sequence[str]) -> float:
    r"""Bits per character over ``texts``, each read whole from a zero state.

    Every character but the first of each text is scored:
    :math:`-\frac{1}{N}\sum \log_2 p(\text{char}_{t+1} \mid \text{char}_{\le t})`, N the number scored.
    The texts run as one batch (shorter ones padded at the end, the padding not scored).
    """
    texts = list(texts)
    if not texts or any(not isinstance(t, str) or len(t) < 2 for t in texts):
        raise ValueError("`texts` must be a non-empty list of str, each at least 2 characters long.")
    T = max(len(t) for t in texts)
    ids = torch.zeros(len(texts), T, dtype=torch.long)  # (B, T), padded with index 0
    mask = torch.zeros(len(texts), T - 1, dtype=torch.bool)  # (B, T-1) which targets are scored
    for b, t in enumerate(texts):
        ids[b, : len(t)] = encode(t)
        mask[b, : len(t) - 1] = True
    total, state = 0.0, None
    for a in range(0, T - 1, _EVAL_CHUNK):
        chunk = ids[:, a: a + _EVAL_CHUNK + 1]  # (B, t+1): inputs and their next characters
        logits, state = model(chunk[:, :-1], state)  # (B, t, V); the state carries on to the next chunk
        nll = F.cross_entropy(logits.transpose(1, 2), chunk[:, 1:], reduction="none")  # (B, t)
        total += float(nll[mask[:, a: a + nll.shape[1]]].sum())
    return total / int(mask.sum()) / math.log(2)


# ----- the trained reader ----------------------------------------------------------------------------------

#: Where the shipped reader lives (package data): its state_dict and its training log.
READER_DIR = Path(__file__).resolve().parent.parent / "data" / "reader"
WEIGHTS_PATH = READER_DIR / "reader_lstm.pt"
LOG_PATH = READER_DIR / "reader_lstm_log.json"
#: What :meth:`Reader.trace` returns, each ``(len(text), H)``: the notation of ``shared/NOTATION.md``.
QUANTITIES = ("c_t", "h_t", "f_t", "i_t", "o_t", "c_tilde")


def _check_text(text: object, name: str = "text", minimum: int = 1) -> str:
    if not isinstance(text, str):
        raise TypeError(f"`{name}` must be a str, got {type(text).__name__}.")
    if len(text) < minimum:
        what = "at least one character" if minimum == 1 else f"at least {minimum} characters"
        raise ValueError(f"`{name}` is {'empty' if not text else 'too short'}; pass {what}.")
    return text


class Reader:
    """A trained (or untrained) :class:`CharLSTM` with the questions the chapter asks of it.

    ``Reader(model)`` wraps any :class:`CharLSTM`; :func:`load_reader` returns the shipped one. ``log`` is the
    training log (``None`` for a model that did not come with one).
    """

    def __init__(self, model: CharModel, log: dict | None = None) -> None:
        if not isinstance(model, CharModel) or model.kind != "lstm":
            raise TypeError(f"`model` must be a CharLSTM (lstm_course.reader.model), got {type(model).__name__}"
                            f"{'' if not isinstance(model, CharModel) else ' of kind ' + repr(model.kind)}.")
        self.model = model.eval()
        self.log = log

    @property
    def hidden_size(self) -> int:
        """H, the number of units."""
        return self.model.hidden_size

    @torch.no_grad()
    def trace(self, text: str, quantities: Sequence[str] = QUANTITIES) -> dict[str, torch.Tensor]:
        r"""Every step's cell values while reading ``text`` from a zero state: ``{name: (len(text), H)}`` float32.

        Row ``t`` is the state **after** reading ``text[t]``: :math:`c_t, h_t` and the gates
        :math:`f_t, i_t, o_t, \tilde c_t` that produced them (``lstm_course.LSTM(..., return_gates=True)``).
        ``quantities`` picks a subset of :data:`QUANTITIES`.
        """
        _check_text(text)
        if isinstance(quantities, str) or not all(q in QUANTITIES for q in quantities):
            raise ValueError(f"`quantities` must be names from {QUANTITIES}, got {quantities!r}.")
        x = self.model.one_hot(encode(text)[None])  # (T, 1, V)
        _, _, gates = self.model.rnn(x, return_gates=True)  # SequenceGates, each (T, 1, H)
        return {q: getattr(gates, q)[:, 0].contiguous() for q in quantities}

    def log_probs(self, text: str) -> torch.Tensor:
        """``(len(text), V)``: row ``t`` is ``log p(next character | text[:t+1])`` (natural log, zero start state)."""
        return next_char_log_probs(self.model, _check_text(text))

    def bits_per_char(self, text: str) -> float:
        """Bits per character of ``text`` read from a zero state, every character but the first scored."""
        return bits_per_char(self.model, [_check_text(text, minimum=2)])

    @torch.no_grad()
    def sample(self, n_chars: int, temperature: float = 1.0, seed: int = 0, prompt: str = "") -> str:
        r"""``n_chars`` new characters drawn one at a time from :math:`\operatorname{softmax}(\text{logits}/\tau)`.

        The reader first reads ``prompt`` (an empty prompt reads one ``'\n'``, as at the start of a line);
        the unknown slot is never drawn. A ``torch.Generator`` seeded with ``seed`` makes it repeatable.
        Returns only the new characters.
        """
        if isinstance(n_chars, bool) or not isinstance(n_chars, int) or n_chars < 0:
            raise ValueError(f"`n_chars` must be an int >= 0, got {n_chars!r}.")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
            raise ValueError(f"`temperature` must be a number > 0, got {temperature!r}.")
        if not isinstance(prompt, str):
            raise TypeError(f"`prompt` must be a str, got {type(prompt).__name__}.")
        gen = torch.Generator().manual_seed(int(seed))
        logits, state = self.model(encode(prompt or "\n")[None])  # (1, T, V)
        last = logits[0, -1]  # (V,)
        out = []
        for _ in range(n_chars):
            scaled = last / float(temperature)
            scaled[UNKNOWN] = -math.inf
            k = int(torch.multinomial(torch.softmax(scaled, dim=-1), 1, generator=gen))
            out.append(VOCAB[k])
            logits, state = self.model(torch.tensor([[k]]), state)
            last = logits[0, -1]
        return "".join(out)


def save_reader(model: CharModel, log: dict, weights: Path = WEIGHTS_PATH, log_path: Path = LOG_PATH) -> None:
    """Write the reader's ``state_dict`` (float32) and its training log (JSON) where :func:`load_reader` looks."""
    weights.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}, weights)
    log_path.write_text(json.dumps(log) + "\n", encoding="utf-8")


def load_reader(weights: Path | str | None = None) -> Reader:
    """The shipped reader: :class:`CharLSTM` with the trained ``state_dict`` of ``reader_lstm.pt``, and its log.

    ``weights`` defaults to the file shipped with the package (``lstm_course/data/reader/reader_lstm.pt``); the
    log is the ``.json`` next to it, ``reader_lstm_log.json``.
    """
    path = WEIGHTS_PATH if weights is None else Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"`weights`: no reader at {path}. Train it with `python tools/train_reader.py`, "
                                f"or reinstall lstm_course.")
    model = CharLSTM()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    log_path = path.with_name(path.stem + "_log.json")
    log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.is_file() else None
    return Reader(model, log)


def untrained_reader(seed: int = 0) -> Reader:
    """The shipped reader before training: :func:`build_model` ``("lstm", seed)``, the same initialisation
    (the shipped reader is seed 0), wrapped in a :class:`Reader` without a log."""
    return Reader(build_model("lstm", seed))


SWEEP_PATH = READER_DIR / "sweep.json"


def load_sweep() -> dict:
    """The shipped sweep (tools/sweep_reader.py): ``{"settings", "evaluation", "torch", "cells": [...]}``, each
    cell ``{"kind", "seed", "hidden_size", "parameters", "steps", "seconds", "heldout_bits_per_char",
    "heldout_bits_per_file", "final_train_loss", "loss_every_50"}``; ``["bits_per_char"][kind][seed]`` is the
    held-out score."""
    if not SWEEP_PATH.is_file():
        raise FileNotFoundError(f"no sweep at {SWEEP_PATH}; run `python tools/sweep_reader.py`.")
    record = json.loads(SWEEP_PATH.read_text(encoding="utf-8"))
    table: dict[str, dict[int, float]] = {}
    for cell in record["cells"]:
        table.setdefault(cell["kind"], {})[int(cell["seed"])] = cell["heldout_bits_per_char"]
    record["bits_per_char"] = table
    return record
