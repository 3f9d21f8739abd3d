"""The exercises under the real nbgrader (pinned in requirements.txt), as an instructor runs it.

* ``nbgrader generate_assignment`` on every solution notebook (one run, one assignment) gives
  ``exercises/`` up to nbgrader's own stub text: same cells, ids, sources, metadata and points.
* The README's nbgrader recipe (generate, autograde, export) on four students: the solution
  (full marks), the untouched exercise (0), a tanh-for-sigmoid mutant (partial) and a student who
  patches the checker in the notebook: nbgrader's hidden tests run in the student's kernel, so the
  tamper gets full marks there. ``test_grader`` shows ``lstm-course grade`` gives it 0.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess

import nbformat
import pytest
from instructors import BIN, ROOT, run_recipe
from submissions.mutations import MUTATIONS, apply, exercise_notebook, student_notebook, tampered_exercise

from lstm_course.exercises import get_exercise
from lstm_course.notebook_cells import nbgrader_points

pytestmark = pytest.mark.slow

#: Lines that are stub text, nbgrader's (``raise NotImplementedError()``) or ``lstm-course assign``'s.
_STUB = re.compile(r"^\s*(# YOUR CODE HERE|raise NotImplementedError\(.*\)|YOUR ANSWER HERE|"
                   r"\w+ = \.\.\.  # YOUR ANSWER HERE)\s*$")
#: nbgrader's bookkeeping, added to the metadata when it releases a notebook.
_NBGRADER_OWN = ("checksum", "cell_type")


def _without_stubs(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if not _STUB.match(line))


def _nbgrader(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([os.path.join(BIN, "nbgrader"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_generate_assignment_gives_the_exercises(tmp_path):
    folder = tmp_path / "source" / "all"
    folder.mkdir(parents=True)
    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    for path in solutions:
        shutil.copy(path, folder / path.name)
    _nbgrader("generate_assignment", "all", cwd=tmp_path)
    for path in solutions:
        released = nbformat.read(tmp_path / "release" / "all" / path.name, as_version=4)
        ours = nbformat.read(ROOT / "exercises" / path.name, as_version=4)
        assert released.metadata == ours.metadata, path.name
        assert [(c.id, c.cell_type) for c in released.cells] == [(c.id, c.cell_type) for c in ours.cells], path.name
        stubs = 0
        for theirs, mine in zip(released.cells, ours.cells, strict=True):
            meta = dict(theirs.metadata)
            if "nbgrader" in meta:
                meta["nbgrader"] = {k: v for k, v in meta["nbgrader"].items() if k not in _NBGRADER_OWN}
            assert meta == mine.metadata, (path.name, mine.id)  # grade ids, points, locks: all alike
            if theirs.source != mine.source:  # only where a solution was, and only in the stub lines
                assert mine.metadata["nbgrader"]["solution"], (path.name, mine.id)
                assert _without_stubs(theirs.source) == _without_stubs(mine.source), (path.name, mine.id)
                stubs += 1
        assert stubs > 0, path.name  # the comparison saw the stubs it allows
        expected = {q.name: float(q.points) for q in get_exercise(path.stem).questions}
        assert nbgrader_points(released) == expected, path.name


def test_readme_recipe_autogrades_solution_untouched_mutant_and_tamper(tmp_path):
    tanh = next(m for m in MUTATIONS if m.id == "fg-tanh")
    students = {
        "solution": student_notebook("forget_gate"),
        "untouched": exercise_notebook("forget_gate"),
        "mutant": student_notebook("forget_gate", apply(tanh)),
        "tamper": tampered_exercise("forget_gate"),
    }
    for student, nb in students.items():
        folder = tmp_path / "submitted" / student / "forget_gate"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "forget_gate.ipynb")
    run_recipe("nbgrader", tmp_path, set_vars={"COURSE": str(ROOT)})
    with open(tmp_path / "grades.csv", newline="") as fh:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(fh)}
    full = get_exercise("forget_gate").max_points  # 7 with q1 (4 points), q2 (2) and q3 (1)
    q1 = float(get_exercise("forget_gate").questions[0].points)
    assert scores == {"solution": (full, full), "untouched": (0.0, full), "mutant": (full - q1, full),
                      "tamper": (full, full)}
    released = nbformat.read(tmp_path / "release" / "forget_gate" / "forget_gate.ipynb", as_version=4)
    assert [c.id for c in released.cells] == [c.id for c in exercise_notebook("forget_gate").cells]
