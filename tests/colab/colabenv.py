"""What the Colab-like tests share: where the environment lives, what it must not hold, which notebooks run."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-colab"
#: Distributions only the book build and the tests use (pip names), and the top-level modules they provide.
BUILD_ONLY = {
    "jupyter-book": "jupyter_book", "myst-nb": "myst_nb", "myst-parser": "myst_parser", "sphinx": "sphinx",
    "sphinx-book-theme": "sphinx_book_theme", "jupyter-cache": "jupyter_cache", "jupyterlab": "jupyterlab",
    "nbval": "nbval", "pytest": "pytest", "playwright": "playwright", "ruff": "ruff", "nbgrader": "nbgrader",
}


def notebooks() -> list[Path]:
    """Every chapter, exercise and solution notebook."""
    return [*sorted((ROOT / "book").glob("*.ipynb")), *sorted((ROOT / "exercises").glob("*.ipynb")),
            *sorted((ROOT / "solutions").glob("*.ipynb"))]
