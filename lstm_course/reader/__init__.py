"""The reader: a character-level LSTM trained on real Python (CPython's standard library), and what it tracks.

- :mod:`~lstm_course.reader.corpus`: the shipped corpus (train / held-out files), :data:`VOCAB`, encode/decode.
- :mod:`~lstm_course.reader.labels`: per-character ground truth from :mod:`tokenize` (strings, comments, brackets,
  indentation, column, docstrings, ``def`` signatures).
- :mod:`~lstm_course.reader.model`: :class:`CharLSTM` and its GRU / RNN baselines, training, :class:`Reader`
  (``trace``, ``sample``, ``bits_per_char``) and :func:`load_reader` (the shipped, trained reader).
"""

from .corpus import UNKNOWN, VOCAB, corpus_files, corpus_text, decode, encode
from .labels import LABEL_NAMES, char_labels
from .model import (
    HIDDEN_SIZES,
    KINDS,
    QUANTITIES,
    CharGRU,
    CharLSTM,
    CharModel,
    CharRNN,
    Reader,
    TrainSettings,
    bits_per_char,
    build_model,
    count_parameters,
    load_reader,
    load_sweep,
    next_char_log_probs,
    train_model,
    untrained_reader,
)

__all__ = [
    "HIDDEN_SIZES",
    "KINDS",
    "LABEL_NAMES",
    "QUANTITIES",
    "UNKNOWN",
    "VOCAB",
    "CharGRU",
    "CharLSTM",
    "CharModel",
    "CharRNN",
    "Reader",
    "TrainSettings",
    "bits_per_char",
    "build_model",
    "char_labels",
    "corpus_files",
    "corpus_text",
    "count_parameters",
    "decode",
    "encode",
    "load_reader",
    "load_sweep",
    "next_char_log_probs",
    "train_model",
    "untrained_reader",
]
