"""Gradescope's autograder: the zip (``lstm-course gradescope``) and what it runs on Gradescope.

The zip (:func:`build_autograder`) holds ``setup.sh`` (installs Python 3.11+, the exact versions
of the course library's dependencies this zip was built with, and the course library copied
into ``course/``), ``run_autograder`` (grades ``/autograder/submission/*.ipynb`` with
:func:`~lstm_course.grading.grade_submission` into ``/autograder/results/results.json``, in the
format of :mod:`.results`) and ``config.json`` (exercises, course seed, time limits).
``LSTM_COURSE_AUTOGRADER_ROOT`` moves ``/autograder`` and ``LSTM_COURSE_AUTOGRADER_PYTHON`` picks
the Python (tests use both). Layers: :mod:`.records` < :mod:`.results` < :mod:`.grader` < this module.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import sys
import time
import traceback
import zipfile
from collections.abc import Sequence
from pathlib import Path

from .grader import COURSE_SEED, QuestionGrade, SubmissionGrade, detect_exercise, grade_submission, read_notebook
from .results import public_message, results_json

__all__ = ["build_autograder", "public_message", "results_json", "run_autograder"]

# ---------------------------------------------------------------------------- the autograder zip

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu image when it builds the autograder.
# It installs Python 3.11+ (numpy 2.4 needs it; Ubuntu 22.04's python3 is 3.10), a virtual
# environment in /autograder/venv with the exact versions this zip was built with
# (requirements.txt), and the course library and its grader (course/, a copy of lstm_course).
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${LSTM_COURSE_AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
  PY=python3
else
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null
  PY=python3.11
fi
"$PY" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
# PyTorch's CPU wheels: Gradescope has no GPU, and PyPI's build of the same version carries CUDA (gigabytes).
"$ROOT/venv/bin/python" -m pip install --quiet --extra-index-url https://download.pytorch.org/whl/cpu \
  -r "$SOURCE/requirements.txt"
"$ROOT/venv/bin/python" -m pip install --quiet --no-deps "$SOURCE/course"
"$ROOT/venv/bin/python" -c "import lstm_course.grading, nbclient, ipykernel; print('lstm_course grader installed')"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades /autograder/submission/*.ipynb with
# lstm_course's grader (each notebook in a fresh kernel, judged outside it) and writes
# /autograder/results/results.json. LSTM_COURSE_AUTOGRADER_ROOT moves /autograder;
# LSTM_COURSE_AUTOGRADER_PYTHON picks the Python (default: the one setup.sh installed).
set -uo pipefail
ROOT="${LSTM_COURSE_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${LSTM_COURSE_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
export PYTHONPATH="$ROOT/source/course${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
mkdir -p "$ROOT/results"
cd "$ROOT"
rm -f "$ROOT/results/results.json"
"$PYTHON" -m lstm_course.grading.gradescope run --root "$ROOT"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  why="The autograder itself failed (exit status $status), so nothing was graded. Your instructor can see why."
  printf '{"score": 0.0, "output": "%s", "output_format": "md", "tests": []}\n' "$why" \
    > "$ROOT/results/results.json"
fi
exit 0
"""


def _requirement_names(extra: str = "grader") -> tuple[list[str], list[str]]:
    """Names of lstm_course's dependencies and of its ``extra``, from the installed package's metadata."""
    try:
        reqs = importlib.metadata.requires("lstm_course") or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise RuntimeError("lstm_course is not installed (its dependency list comes from the installed package): "
                           "run `pip install -e .` in the repository, or `make`.") from exc
    base, extras = [], []
    for req in reqs:
        name = re.match(r"[A-Za-z0-9_.-]+", req).group(0)  # type: ignore[union-attr]
        (extras if f'extra == "{extra}"' in req.replace("'", '"') else base).append(name)
    return base, extras


def _pins(names: Sequence[str]) -> list[str]:
    out = []
    for name in names:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError as exc:
            raise RuntimeError(f"{name} is not installed here, so its version cannot be pinned; install the grader "
                               'extra first: pip install "lstm_course[grader]"') from exc
        out.append(f"{name}=={version.split('+')[0]}")  # 2.13.0+cpu -> 2.13.0 (the CPU index serves +cpu)
    return out


def _pyproject(version: str, base: Sequence[str], extras: Sequence[str]) -> str:
    def toml_list(items: Sequence[str]) -> str:
        return "[" + ", ".join(json.dumps(i) for i in items) + "]"

    return "\n".join([
        "# The course library as copied into the Gradescope autograder by `lstm-course gradescope`.",
        "[build-system]", 'requires = ["setuptools>=64"]', 'build-backend = "setuptools.build_meta"', "",
        "[project]", 'name = "lstm_course"', f'version = "{version}"', 'requires-python = ">=3.10"',
        f"dependencies = {toml_list(base)}", "", "[project.optional-dependencies]", f"grader = {toml_list(extras)}", "",
        "[tool.setuptools.packages.find]", 'include = ["lstm_course*"]', "",
        "[tool.setuptools.package-data]", '"*" = ["**/*"]', ""])


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # fixed: the same course gives the same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    zf.writestr(info, data)


def build_autograder(exercises: Sequence[str], out: str | Path, *, seed: int | None = None, timeout: float = 300.0,
                     cell_timeout: float = 60.0, call_timeout: float = 10.0) -> Path:
    """Write the Gradescope autograder zip for ``exercises`` to ``out``; returns its path.

    ``seed`` is the course seed of the hidden inputs (default :data:`~.grader.COURSE_SEED`).
    """
    import lstm_course

    from ..exercises import TOPICS

    exercises = list(dict.fromkeys(exercises))
    if not exercises:
        raise ValueError("name at least one exercise, e.g. `lstm-course gradescope forget_gate --out autograder.zip`.")
    unknown = [e for e in exercises if e not in TOPICS]
    if unknown:
        raise ValueError(f"`EXERCISE` must be among {', '.join(TOPICS)}; got {', '.join(map(repr, unknown))}.")
    for name, value in (("timeout", timeout), ("cell_timeout", cell_timeout), ("call_timeout", call_timeout)):
        if not value > 0:
            raise ValueError(f"`{name}` must be a positive number of seconds, got {value}.")
    base, extras = _requirement_names()
    package = Path(lstm_course.__file__).resolve().parent
    config = {"exercises": exercises, "seed": COURSE_SEED if seed is None else int(seed), "timeout": timeout,
              "cell_timeout": cell_timeout, "call_timeout": call_timeout,
              "lstm_course_version": importlib.metadata.version("lstm_course")}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
        _add(zf, "requirements.txt", ("\n".join(_pins([*base, *extras])) + "\n").encode())
        _add(zf, "config.json", (json.dumps(config, indent=2) + "\n").encode())
        _add(zf, "course/pyproject.toml", _pyproject(config["lstm_course_version"], base, extras).encode())
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                _add(zf, f"course/lstm_course/{path.relative_to(package).as_posix()}", path.read_bytes())
    return out


# ---------------------------------------------------------------------------- running it on Gradescope


def _assign_notebooks(paths: Sequence[Path], exercises: Sequence[str]) -> tuple[dict[str, Path], list[str]]:
    """Which submitted notebook is graded as which exercise; notes for the ones left over."""
    chosen: dict[str, Path] = {}
    left: list[Path] = []
    notes: list[str] = []
    for path in paths:
        nb, _ = read_notebook(path)
        topic = detect_exercise(nb, path) if nb is not None else None
        if topic in exercises and topic not in chosen:
            chosen[topic] = path
        else:
            left.append(path)
    for topic in exercises:  # an undetectable or wrong notebook is graded against a missing exercise, and says why
        if topic not in chosen and left:
            chosen[topic] = left.pop(0)
    notes += [f"`{p.name}` was not graded: another notebook was graded for each exercise." for p in left]
    return chosen, notes


def run_autograder(root: str | Path) -> dict:
    """Grade ``root/submission/**/*.ipynb`` as ``root/source/config.json`` says; write ``root/results/results.json``."""
    from ..exercises import get_exercise

    start = time.monotonic()
    root = Path(root)
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    config = json.loads((root / "source" / "config.json").read_text(encoding="utf-8"))
    exercises = list(config["exercises"])
    paths = sorted(p for p in (root / "submission").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    chosen, notes = _assign_notebooks(paths, exercises)
    grades: list[SubmissionGrade] = []
    for topic in exercises:
        if topic in chosen:
            g = grade_submission(chosen[topic], exercise=topic, seed=config["seed"], timeout=config["timeout"],
                                 cell_timeout=config["cell_timeout"], call_timeout=config["call_timeout"])
        else:
            ex = get_exercise(topic)
            why = f"no notebook was submitted for it (upload your {topic}.ipynb)"
            g = SubmissionGrade("", topic, [QuestionGrade(q.name, q.title, 0.0, float(q.points), "error",
                                                          f"not graded: {why}.") for q in ex.questions],
                                max_points=ex.max_points, problem=why)
        grades.append(g)
        print(f"{topic}: {g.score:g}/{g.max_points:g} ({Path(g.file).name or 'no file'})"  # noqa: T201 - log
              + (f" problem: {g.problem}" if g.problem else ""))
    data = results_json(grades, execution_time=time.monotonic() - start, notes=notes)
    results.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lstm_course.grading.gradescope run --root /autograder`` (what ``run_autograder`` calls)."""
    parser = argparse.ArgumentParser(prog="python -m lstm_course.grading.gradescope")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--root", default="/autograder", help="Gradescope's /autograder folder")
    args = parser.parse_args(argv)
    import lstm_course

    print(f"lstm_course from {Path(lstm_course.__file__).parent}")  # noqa: T201 - the instructor's log
    try:
        run_autograder(args.root)
    except Exception:  # noqa: BLE001 - the student gets a results.json that says so, the instructor the traceback
        traceback.print_exc()
        path = Path(args.root) / "results" / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"score": 0.0, "output_format": "md", "tests": [],
                                    "output": "The autograder failed on this submission, so nothing was graded. "
                                              "Your instructor can see why in the autograder's log."}) + "\n",
                        encoding="utf-8")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
