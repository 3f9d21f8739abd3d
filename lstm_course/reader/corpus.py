r"""The reader's corpus: a fixed selection of CPython 3.11 standard-library modules, and its characters.

The files are shipped unmodified under ``lstm_course/data/code_corpus/<split>/<path>.txt`` (``.txt`` so that
no linter or test runner takes them for the project's code), with CPython's ``LICENSE.txt`` (PSF license) and
a ``manifest.json`` that gives each file's split, size and sha256. The split is by whole files: the
``"heldout"`` modules are never seen in training.

The vocabulary :data:`VOCAB` is ``'\n'`` plus the printable ASCII characters 32..126, after index 0, which
stands for every other character (a tab, a form feed, a non-ASCII letter). :func:`encode` maps a text to
indices, :func:`decode` maps them back (the unknown index decodes to :data:`UNKNOWN_CHAR`).

Regenerate the shipped files (only needed if :data:`TRAIN_MODULES`/:data:`HELDOUT_MODULES` change)::

    python -m lstm_course.reader.corpus --build /usr/lib/python3.11
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import torch

__all__ = [
    "CORPUS_DIR",
    "HELDOUT_MODULES",
    "SPLITS",
    "TRAIN_MODULES",
    "UNKNOWN",
    "UNKNOWN_CHAR",
    "VOCAB",
    "corpus_files",
    "corpus_text",
    "decode",
    "encode",
    "manifest",
]

#: Where the shipped corpus lives (package data, so a ``pip install .`` finds it too).
CORPUS_DIR = Path(__file__).resolve().parent.parent / "data" / "code_corpus"
SPLITS = ("train", "heldout")
#: The index of every character outside ``'\n'`` and printable ASCII (tabs included).
UNKNOWN = 0
#: What :func:`decode` writes for :data:`UNKNOWN` (a character that :data:`VOCAB` cannot hold otherwise).
UNKNOWN_CHAR = "\N{REPLACEMENT CHARACTER}"
#: Index -> character. ``VOCAB[0]`` is the unknown slot; then ``'\n'``, then chr(32)..chr(126). ``len(VOCAB) == 97``.
VOCAB = UNKNOWN_CHAR + "\n" + "".join(chr(k) for k in range(32, 127))
_INDEX = {ch: k for k, ch in enumerate(VOCAB) if k != UNKNOWN}

#: The training modules, paths relative to the CPython 3.11 ``Lib/`` folder (about 1.8 MB of ordinary code).
TRAIN_MODULES: tuple[str, ...] = (
    "abc.py", "argparse.py", "bisect.py", "calendar.py", "cmd.py", "code.py", "colorsys.py", "configparser.py",
    "contextlib.py", "copy.py", "csv.py", "dataclasses.py", "difflib.py", "filecmp.py", "fnmatch.py",
    "genericpath.py", "glob.py", "gzip.py", "hmac.py", "json/decoder.py", "json/encoder.py", "linecache.py",
    "logging/__init__.py", "optparse.py", "pathlib.py", "posixpath.py", "pprint.py", "queue.py", "random.py",
    "sched.py", "selectors.py", "shutil.py", "string.py", "tempfile.py", "textwrap.py", "threading.py",
    "traceback.py", "weakref.py",
    # Added so that the model does not learn the training files by heart (about 0.8 MB more, all ASCII).
    "ast.py", "collections/__init__.py", "enum.py", "http/client.py", "http/server.py", "inspect.py", "pickle.py",
    "subprocess.py", "tarfile.py", "typing.py",
)
#: The held-out modules (about 7 % of the characters): whole files never used in training.
HELDOUT_MODULES: tuple[str, ...] = (
    "fileinput.py", "graphlib.py", "json/__init__.py", "netrc.py", "numbers.py", "reprlib.py", "shelve.py",
    "socketserver.py", "timeit.py", "warnings.py",
)


def _check_split(split: object) -> str:
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {SPLITS}, got {split!r}.")
    return str(split)


@lru_cache(maxsize=1)
def manifest() -> dict:
    """The shipped ``manifest.json``: source, Python version, and per file its split, bytes and sha256."""
    return json.loads((CORPUS_DIR / "manifest.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def _files(split: str) -> tuple[tuple[str, str], ...]:
    out = []
    for entry in manifest()["files"]:
        if entry["split"] == split:
            text = (CORPUS_DIR / split / (entry["path"] + ".txt")).read_bytes().decode("utf-8")
            out.append((entry["path"], text))
    return tuple(out)


def corpus_files(split: str = "train") -> list[tuple[str, str]]:
    """``[(path, text), ...]`` of one split (``"train"`` or ``"heldout"``), in the manifest's (sorted) order.

    ``path`` is the module's path in CPython's ``Lib/`` (for example ``"json/decoder.py"``); ``text`` its
    exact source.
    """
    return list(_files(_check_split(split)))


def corpus_text(split: str = "train") -> str:
    """Every file of one split concatenated in :func:`corpus_files` order (each file ends with ``'\\n'``)."""
    return "".join(text for _, text in _files(_check_split(split)))


def encode(text: str) -> torch.Tensor:
    r"""Characters -> indices into :data:`VOCAB`: ``str`` of length T -> ``LongTensor (T,)``.

    ``'\n'`` and printable ASCII get their own index; anything else (``'\t'``, non-ASCII) gets :data:`UNKNOWN`.
    """
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a str, got {type(text).__name__}.")
    return torch.tensor([_INDEX.get(ch, UNKNOWN) for ch in text], dtype=torch.long)


def decode(ids: torch.Tensor | Sequence[int]) -> str:
    """Indices -> characters, the inverse of :func:`encode` up to unknown characters (``(T,)`` -> ``str``)."""
    values = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
    if any(isinstance(v, list) for v in values):
        raise ValueError("`ids` must be one-dimensional (one index per character).")
    bad = [v for v in values if not isinstance(v, int) or not 0 <= v < len(VOCAB)]
    if bad:
        raise ValueError(f"`ids` must be integers in 0..{len(VOCAB) - 1}; got {bad[:3]}.")
    return "".join(VOCAB[v] for v in values)


def build(source: Path, dest: Path = CORPUS_DIR) -> dict:
    """Copy the selected modules (unmodified) and CPython's ``LICENSE.txt`` from ``source`` into ``dest``.

    Writes ``dest/<split>/<path>.txt`` for every module, ``dest/LICENSE.txt`` and ``dest/manifest.json``;
    returns the manifest.
    """
    entries = []
    for split, modules in (("train", TRAIN_MODULES), ("heldout", HELDOUT_MODULES)):
        for path in sorted(modules):
            data = (source / path).read_bytes()
            data.decode("utf-8")  # must be UTF-8 text
            target = dest / split / (path + ".txt")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            entries.append({"path": path, "split": split, "bytes": len(data),
                            "sha256": hashlib.sha256(data).hexdigest()})
    shutil.copyfile(source / "LICENSE.txt", dest / "LICENSE.txt")
    record = {
        "source": f"CPython standard library, {source} (Debian bookworm package libpython3.11-stdlib / "
                  f"libpython3.11-minimal 3.11.2), files copied byte for byte",
        "python_version": "3.11.2",
        "license": "LICENSE.txt (PSF License Agreement for Python 3.11)",
        "files": entries,
    }
    (dest / "manifest.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the shipped corpus from a CPython 3.11 Lib/ folder.")
    parser.add_argument("--build", type=Path, required=True, help="the Lib/ folder, e.g. /usr/lib/python3.11")
    args = parser.parse_args(argv)
    record = build(args.build)
    sizes = {s: sum(e["bytes"] for e in record["files"] if e["split"] == s) for s in SPLITS}
    print(f"wrote {len(record['files'])} files to {CORPUS_DIR}: {sizes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
