"""Every chapter, exercise and solution runs top to bottom without the book's packages, as on Colab (issue 8
point 4). The environment and the runs are set up in conftest.py; the runs' times go to
test-artifacts/colab/timings.json."""

from __future__ import annotations

from pathlib import Path

import pytest
from colabenv import BUILD_ONLY, ROOT, VENV, notebooks

pytestmark = pytest.mark.slow


def test_the_environment_has_no_build_only_package(colab_distributions: dict[str, str]) -> None:
    present = sorted(set(BUILD_ONLY) & set(colab_distributions))
    assert not present, f"{VENV.name} holds build-only packages: {present}"
    for needed in ("lstm-course", "torch", "ipykernel", "nbclient"):
        assert needed in colab_distributions, f"{needed} is missing from {VENV.name}"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_runs_without_the_book_packages(colab_runs: dict[str, dict], path: Path) -> None:
    result = colab_runs[str(path.relative_to(ROOT))]
    assert result["ok"] and not result["error_outputs"], (
        f"{path.name} failed in the Colab-like environment:\n{result.get('error') or result['error_outputs']}")
    probe = result["probe"]
    assert probe is not None, "the probe cell printed nothing"
    installed = Path(probe["lstm_course"]).resolve()
    assert VENV.resolve() in installed.parents, f"lstm_course came from {installed}, not the installed package"
    assert not probe["build_only"], f"{path.name} imported build-only packages: {probe['build_only']}"
