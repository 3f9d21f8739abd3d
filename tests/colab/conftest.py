"""The Colab-like environment (issue 8 point 4, issue 16 points 3-5): the course without the book's packages.

`.venv-colab/` (gitignored) is a fresh virtual environment with only what a learner on Colab gets from the first
cell: `pip install .` (this project and its declared dependencies), plus `ipykernel` and `nbclient` to run the
notebooks, and `pytest` and `nbval` as the runners (`pytest --nbval-lax`, as the course promises; no notebook may
import them). torch is installed first, at the project's pin `torch==2.13.0` (the wheel this machine keeps on disk),
so `pip install .` finds it satisfied instead of fetching another build. No jupyter-book, myst-nb, Sphinx,
JupyterLab or linters; and no `--system-site-packages`, so nothing leaks in from `.venv`.

The environment is cached: it is rebuilt only when its key changes (pyproject.toml's build requirements and
dependencies, the pins used here, the Python version). This checkout's `lstm_course` is reinstalled into it (from a
clean copy, `--no-deps`) once per session, so the notebooks always run against the code on disk, installed as a
package, never imported from the tree.

The runs (`planned_runs`, two at a time on two cores): every notebook as a learner runs it, its kernel in an empty
folder (the plugin `nbval_colab.py`), with no prose checks; then every training chapter once more under each float
path of `FLOAT_PATHS` with the prose checks on (the notebook's folder handed in as `LSTM_COURSE_NOTEBOOK_DIR`), and
the stored-sweep tests under each float path.
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
from colabenv import (
    FLOAT_PATHS,
    FORBIDDEN_MODULES,
    ROOT,
    RUNNERS,
    SWEEP_TESTS,
    VENV,
    Run,
    planned_runs,
)
from nbval_colab import BUILD_ONLY_ENV, PROBE_ENV, WORKDIR_ENV

from lstm_course.prose import NOTEBOOK_DIR_ENV

PLUGIN = Path(__file__).with_name("nbval_colab.py")
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
    return [_pin("torch"), _pin("ipykernel"), _pin("nbclient"), *(_pin(name) for name in RUNNERS)]


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
    digest.update(b"recipe 2")  # bump to force a rebuild when the recipe below changes
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
        _run([*pip, str(_clean_source(work / "first")), _pin("ipykernel"), _pin("nbclient"),
              *(_pin(name) for name in RUNNERS)], env=_env())
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


def _notebook_command(colab_python: Path, run: Run, base: Path, plugin_dir: Path) -> tuple[list[str], dict]:
    """`pytest --nbval-lax` on one notebook in .venv-colab, its kernel in a fresh empty folder (as on Colab)."""
    assert run.path is not None
    workdir = Path(tempfile.mkdtemp(dir=base, prefix="content-"))
    probe = Path(tempfile.mkdtemp(dir=base, prefix="probe-")) / "probe.json"
    config = plugin_dir / "pytest.ini"  # an empty configuration: not this checkout's pyproject.toml or conftests
    env = _env()
    env.update({"PYTHONPATH": str(plugin_dir), WORKDIR_ENV: str(workdir), PROBE_ENV: str(probe),
                BUILD_ONLY_ENV: " ".join(FORBIDDEN_MODULES)})
    if run.float_path is not None:  # a training chapter on another float path: its prose must still hold
        env.update(FLOAT_PATHS[run.float_path])
        env.update({"LSTM_COURSE_CHECK_PROSE": "1", NOTEBOOK_DIR_ENV: str(run.path.parent)})
    command = [str(colab_python), "-m", "pytest", "--nbval-lax", "--nbval-current-env",
               f"--nbval-cell-timeout={NOTEBOOK_TIMEOUT_S}", "-p", "nbval_colab", "-p", "no:cacheprovider",
               "-q", "--color=no", "-c", str(config), "--rootdir", str(plugin_dir), str(run.path)]
    return command, {"env": env, "cwd": workdir, "probe": probe}


def _sweeps_command(run: Run) -> tuple[list[str], dict]:
    """The stored-sweep tests in .venv (they need no notebook packages) under the run's float path."""
    env = {**os.environ, **FLOAT_PATHS[run.float_path or ""]}
    env.setdefault("OMP_NUM_THREADS", "1")
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SWEEP_TESTS], {"env": env, "cwd": ROOT}


@pytest.fixture(scope="session")
def colab_runs(colab_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict]]:
    """Every planned run, `_jobs()` at a time, longest first; key -> result (ok, seconds, output, probe)."""
    runs = planned_runs()
    timings = ARTIFACTS / "timings.json"
    previous = json.loads(timings.read_text()).get("runs", {}) if timings.is_file() else {}
    runs.sort(key=lambda r: -(previous.get(r.key) or 0))  # the two workers finish together
    base = tmp_path_factory.mktemp("colab-runs")
    plugin_dir = base / "plugin"
    plugin_dir.mkdir()
    shutil.copy2(PLUGIN, plugin_dir / PLUGIN.name)
    (plugin_dir / "pytest.ini").write_text("[pytest]\n")

    def execute(run: Run) -> dict:
        if run.path is None:
            command, how = _sweeps_command(run)
        else:
            command, how = _notebook_command(colab_python, run, base, plugin_dir)
        start = time.perf_counter()
        try:
            proc = subprocess.run(command, capture_output=True, text=True, cwd=how["cwd"], env=how["env"],
                                  timeout=2 * NOTEBOOK_TIMEOUT_S)
            ok, output = proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        except subprocess.TimeoutExpired as exc:
            ok, output = False, f"timed out after {exc.timeout} s"
        result = {"key": run.key, "ok": ok, "seconds": round(time.perf_counter() - start, 1), "output": output}
        probe = how.get("probe")
        if probe is not None:
            result["probe"] = json.loads(probe.read_text()) if probe.is_file() else None
            result["workdir"] = str(how["cwd"])
        return result

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=_jobs()) as pool:
        results = {r["key"]: r for r in pool.map(execute, runs)}
    wall = time.perf_counter() - start
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    timings.write_text(json.dumps({
        "wall_seconds": round(wall, 1), "jobs": _jobs(),
        "runs": {k: v["seconds"] for k, v in sorted(results.items())}}, indent=1) + "\n")
    yield results
