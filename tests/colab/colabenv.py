"""What the Colab-like tests share: where the environment lives, what it must not hold, which notebooks run, and
the float paths the training chapters run under once more."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-colab"
#: Distributions only the book build and the tests use (pip names), and the top-level modules they provide.
BUILD_ONLY = {
    "jupyter-book": "jupyter_book", "myst-nb": "myst_nb", "myst-parser": "myst_parser", "sphinx": "sphinx",
    "sphinx-book-theme": "sphinx_book_theme", "jupyter-cache": "jupyter_cache", "jupyterlab": "jupyterlab",
    "nbval": "nbval", "pytest": "pytest", "playwright": "playwright", "ruff": "ruff", "nbgrader": "nbgrader",
}
#: Build-only distributions the environment does hold, as the runners of the notebooks (no notebook may import them).
RUNNERS = ("pytest", "nbval")
#: Modules a notebook's kernel must not have imported: the build-only ones, and pytest's internals.
FORBIDDEN_MODULES = (*BUILD_ONLY.values(), "_pytest")

#: The chapters that train a model or quote a trained model's numbers, by file stem. Each runs once more under
#: every float path of FLOAT_PATHS with its prose checks on. Adding a chapter is one line; a stem that has no
#: notebook yet is skipped, and tests/colab/test_colab_env.py fails for a training chapter missing here.
TRAINING_CHAPTERS = (
    "07_gradient_flow",
    "08_training",
    "09_variants",
    "10_practice",
    "11_reading_code",
)
#: The tests of the stored sweeps, run once more under every float path.
SWEEP_TESTS = ("tests/test_conditions.py", "tests/test_variant_sweep.py")
#: Other CPUs' rounding, reproduced on this one: MKL's conditional-numerical-reproducibility modes (the code
#: path of an older or a different CPU) and PyTorch's own kernels limited to AVX2 (no AVX-512).
FLOAT_PATHS: dict[str, dict[str, str]] = {
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE"},
    "mkl-avx2": {"MKL_CBWR": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
}


def training_chapters() -> list[Path]:
    """The chapters of TRAINING_CHAPTERS that exist."""
    return [p for p in (ROOT / "book" / f"{stem}.ipynb" for stem in TRAINING_CHAPTERS) if p.is_file()]


def notebooks() -> list[Path]:
    """Every chapter, exercise and solution notebook."""
    return [*sorted((ROOT / "book").glob("*.ipynb")), *sorted((ROOT / "exercises").glob("*.ipynb")),
            *sorted((ROOT / "solutions").glob("*.ipynb"))]


@dataclass(frozen=True)
class Run:
    """One run of the Colab-like session: a notebook under nbval (``path``), or the stored-sweep tests
    (``path=None``), on the default float path (``float_path=None``) or one of FLOAT_PATHS."""

    path: Path | None
    float_path: str | None = None

    @property
    def key(self) -> str:
        what = str(self.path.relative_to(ROOT)) if self.path else "stored sweeps"
        return what if self.float_path is None else f"{what} @ {self.float_path}"


def planned_runs() -> list[Run]:
    """Every notebook as a learner runs it (no prose checks); then every training chapter and the stored-sweep
    tests under each float path, with the prose checks on."""
    runs = [Run(path) for path in notebooks()]
    for name in FLOAT_PATHS:
        runs += [Run(path, name) for path in training_chapters()] + [Run(None, name)]
    only = os.environ.get(ONLY_ENV)  # a developer's shortcut: the runs whose key contains it (the rest skip)
    return [run for run in runs if only in run.key] if only else runs


#: Set to part of a run's key (``08_training``, ``@ mkl-avx2``) to make only those runs while working on them.
ONLY_ENV = "LSTM_COURSE_COLAB_ONLY"
