"""Every chapter, exercise and solution runs top to bottom without the book's packages, as on Colab (issues 8 and 16):
`pytest --nbval-lax` in `.venv-colab`, each kernel started in an empty folder (Colab's `/content` holds neither the
notebook nor the repository). The chapters that train a model run once more under each of FLOAT_PATHS (another CPU's
rounding) with their prose checks on, and so do the stored-sweep tests. The environment and the runs are set up in
conftest.py; the runs' times go to test-artifacts/colab/timings.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from colabenv import (
    BUILD_ONLY,
    FLOAT_PATHS,
    ONLY_ENV,
    ROOT,
    RUNNERS,
    TRAINING_CHAPTERS,
    VENV,
    Run,
    notebooks,
    training_chapters,
)

pytestmark = pytest.mark.slow


def test_the_environment_has_no_build_only_package_but_the_runners(colab_distributions: dict[str, str]) -> None:
    present = sorted(set(BUILD_ONLY) & set(colab_distributions) - set(RUNNERS))
    assert not present, f"{VENV.name} holds build-only packages: {present}"
    for needed in ("lstm-course", "torch", "ipykernel", "nbclient", *RUNNERS):
        assert needed in colab_distributions, f"{needed} is missing from {VENV.name}"


def _result(colab_runs: dict[str, dict], run: Run) -> dict:
    if run.key not in colab_runs:
        pytest.skip(f"not run: {ONLY_ENV}={os.environ.get(ONLY_ENV)!r} selects other runs")
    return colab_runs[run.key]


def _assert_ran(result: dict, what: str) -> None:
    assert result["ok"], f"{what} failed:\n{result['output']}"


def _assert_probe(result: dict, path: Path) -> None:
    """The kernel imported the installed lstm_course, no build-only module (not even its runners), from its folder."""
    probe = result["probe"]
    assert probe is not None and "error" not in probe, f"the probe of {path.name} reported {probe}"
    installed = Path(probe["lstm_course"]).resolve()
    assert VENV.resolve() in installed.parents, f"lstm_course came from {installed}, not the installed package"
    assert not probe["build_only"], f"{path.name} imported build-only packages: {probe['build_only']}"
    cwd, workdir = Path(probe["cwd"]).resolve(), Path(result["workdir"]).resolve()
    assert cwd == workdir, f"the kernel ran in {cwd}, not in the empty folder {workdir}"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_runs_from_an_empty_folder_without_the_book_packages(colab_runs: dict[str, dict], path: Path) -> None:
    result = _result(colab_runs, Run(path))
    _assert_ran(result, f"{path.name} in the Colab-like environment")
    _assert_probe(result, path)


@pytest.mark.parametrize("float_path", FLOAT_PATHS)
@pytest.mark.parametrize("path", training_chapters(), ids=lambda p: p.stem)
def test_training_chapter_holds_its_prose_on_another_float_path(colab_runs: dict[str, dict], path: Path,
                                                                 float_path: str) -> None:
    result = _result(colab_runs, Run(path, float_path))
    _assert_ran(result, f"{path.name} under {FLOAT_PATHS[float_path]} with the prose checks on")
    _assert_probe(result, path)


@pytest.mark.parametrize("float_path", FLOAT_PATHS)
def test_stored_sweeps_hold_on_another_float_path(colab_runs: dict[str, dict], float_path: str) -> None:
    _assert_ran(_result(colab_runs, Run(None, float_path)), f"the stored-sweep tests under {FLOAT_PATHS[float_path]}")


def test_every_training_chapter_is_listed() -> None:
    """A chapter that trains a model (calls the library's training loop or sweeps) runs under the float paths."""
    trains = ("run_experiment(", "run_cell(", "train(", ".backward(")
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        if any(call in code for call in trains):
            assert path.stem in TRAINING_CHAPTERS, f"{path.name} trains a model: add it to colabenv.TRAINING_CHAPTERS"
