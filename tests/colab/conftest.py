"""The Colab-like environment (issue 8 point 4): the course without the book's packages.

`.venv-colab/` (gitignored) is a fresh virtual environment with only what a learner on Colab gets from the first
cell: `pip install .` (this project and its declared dependencies), plus `ipykernel` and `nbclient` to run the
notebooks. torch is installed first, at the project's pin `torch==2.13.0` (the wheel this machine keeps on disk), so
`pip install .` finds it satisfied instead of fetching another build. No jupyter-book, myst-nb, Sphinx, JupyterLab
or test tools; and no `--system-site-packages`, so nothing leaks in from `.venv`.

The environment is cached: it is rebuilt only when its key changes (pyproject.toml's build requirements and
dependencies, the pins used here, the Python version). This checkout's `lstm_course` is reinstalled into it (from a
clean copy, `--no-deps`) once per session, so the notebooks always run against the code on disk, installed as a
package, never imported from the tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from colabenv import BUILD_ONLY, ROOT, VENV, notebooks

DRIVER = Path(__file__).with_name("execute_notebook.py")
ARTIFACTS = ROOT / "test-artifacts" / "colab"
#: What a notebook may take at most (the slowest chapter trains a small LSTM).
NOTEBOOK_TIMEOUT_S = 600


def _pin(name: str) -> str:
    """`name==version` as requirements.txt pins it."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if re.match(rf"{re.escape(name)}==", line.strip(), flags=re.I):
            return line.split("#")[0].strip()
    raise AssertionError(f"requirements.txt pins no {name}")


def _pins() -> list[str]:
    return [_pin("torch"), _pin("ipykernel"), _pin("nbclient")]


def _key() -> str:
    # What decides the installed packages (build requires, dependencies, requires-python), not the rest of
    # pyproject.toml (tomllib is not in Python 3.10, so a pattern).
    decides = re.findall(r'^(?:requires|dependencies|requires-python)\s*=\s*(?:\[[^\]]*\]|"[^"]*")',
                         (ROOT / "pyproject.toml").read_text(), flags=re.M)
    assert len(decides) >= 2, "pyproject.toml: no build-system requires / project dependencies found"
    digest = hashlib.sha256()
    digest.update("\n".join(decides).encode())
    digest.update(" ".join(_pins()).encode())
    digest.update(sys.version.encode())
    digest.update(b"recipe 1")  # bump to force a rebuild when the recipe below changes
    return digest.hexdigest()


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"`{' '.join(command)}` failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
                    f"{result.stderr[-3000:]}")
    return result


def _clean_source(dest: Path) -> Path:
    """A copy of what `pip install .` packages (no build/ or egg-info written into the checkout)."""
    src = dest / "lstm_course_src"
    shutil.copytree(ROOT / "lstm_course", src / "lstm_course",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    return src


def _env() -> dict[str, str]:
    """The environment of the Colab-like runs: no prose checks (a learner's), no path into this checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LSTM_COURSE_CHECK_PROSE", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join([str(VENV / "bin"), env.get("PATH", "")])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


@pytest.fixture(scope="session")
def colab_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Colab-like environment's Python, built (or reused) and holding this checkout's `lstm_course`."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".colab-key"
    key = _key()
    work = tmp_path_factory.mktemp("colab-src")
    if not (python.is_file() and stamp.is_file() and stamp.read_text() == key):
        shutil.rmtree(VENV, ignore_errors=True)
        base = getattr(sys, "_base_executable", sys.executable)  # the interpreter .venv was made from
        _run([base, "-m", "venv", str(VENV)])
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run([*pip, _pin("torch")], env=_env())  # first, so `pip install .` finds torch satisfied
        _run([*pip, str(_clean_source(work / "first")), _pin("ipykernel"), _pin("nbclient")], env=_env())
        stamp.write_text(key)
    # This checkout's library, as a package (the cached environment may hold an older one).
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
          "--force-reinstall", str(_clean_source(work / "now"))], env=_env())
    return python


@pytest.fixture(scope="session")
def colab_distributions(colab_python: Path) -> dict[str, str]:
    """Every distribution installed in the Colab-like environment: normalised name -> version."""
    out = _run([str(colab_python), "-c", "import importlib.metadata as m, json; print(json.dumps("
                "{d.metadata['Name'].lower().replace('_', '-'): d.version for d in m.distributions()}))"], env=_env())
    return json.loads(out.stdout)


def _jobs() -> int:
    return max(1, int(os.environ.get("LSTM_COURSE_JOBS", min(2, os.cpu_count() or 1))))


@pytest.fixture(scope="session")
def colab_runs(colab_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict]]:
    """Each notebook run top to bottom in the Colab-like environment, `_jobs()` at a time; path -> result."""
    paths = notebooks()
    # Longest first (by the last run's times, if any), so the two workers finish together.
    timings = ARTIFACTS / "timings.json"
    previous = json.loads(timings.read_text()).get("notebooks", {}) if timings.is_file() else {}
    paths.sort(key=lambda p: -previous.get(str(p.relative_to(ROOT)), 0))
    base = tmp_path_factory.mktemp("colab-runs")
    env = _env()

    def run(path: Path) -> dict:
        rel = str(path.relative_to(ROOT))
        workdir = Path(tempfile.mkdtemp(dir=base))
        proc = subprocess.run([str(colab_python), str(DRIVER), str(path), str(workdir), str(NOTEBOOK_TIMEOUT_S),
                               *BUILD_ONLY.values()], capture_output=True, text=True, cwd=workdir, env=env)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            return {"notebook": rel, "ok": False, "error": f"driver exited {proc.returncode}:\n{proc.stderr[-3000:]}"}
        return {**json.loads(lines[-1]), "notebook": rel}

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=_jobs()) as pool:
        results = {r["notebook"]: r for r in pool.map(run, paths)}
    wall = time.perf_counter() - start
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    timings.write_text(json.dumps({
        "wall_seconds": round(wall, 1), "jobs": _jobs(),
        "notebooks": {k: v.get("seconds") for k, v in sorted(results.items())}}, indent=1) + "\n")
    yield results
