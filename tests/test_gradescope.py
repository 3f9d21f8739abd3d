"""The Gradescope autograder: the zip ``lstm-course gradescope`` builds, run end to end in a folder that
stands in for ``/autograder`` (the README's recipe), and results.json checked against Gradescope's
specification. Also: the one-line error when the grader extra is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from instructors import BIN, ROOT, run_recipe, validate_results
from submissions.mutations import MUTATIONS, apply, find_cell, student_notebook

from lstm_course.cli import main
from lstm_course.exercises import get_exercise
from lstm_course.grading.grader import COURSE_SEED, QuestionGrade, SubmissionGrade
from lstm_course.grading.gradescope import build_autograder, public_message, results_json

SEED = 424242  # the README recipe's --seed


def _broken() -> nbformat.NotebookNode:
    """tanh for sigmoid in q1, and a q2 that fails an assert with no message."""
    tanh = next(m for m in MUTATIONS if m.id == "fg-tanh")
    nb = apply(tanh)
    k = find_cell(nb, "kept_memory")
    nb.cells[k].source = nb.cells[k].source.replace("return f_t * c_prev",
                                                    "assert f_t.sum() < -1e9\n    return f_t * c_prev")
    return student_notebook("forget_gate", nb)


def _unpack(zip_path: Path, root: Path, submission: nbformat.NotebookNode) -> None:
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    nbformat.write(submission, root / "submission" / "forget_gate.ipynb")


@pytest.mark.slow
def test_readme_recipe_builds_the_zip_and_grades_in_a_simulated_root(tmp_path):
    """The recipe grades a solution; at the same time a second copy grades a broken submission."""
    nbformat.write(student_notebook("forget_gate"), tmp_path / "forget_gate.ipynb")
    other = tmp_path / "other"
    other.mkdir()
    zip_path = build_autograder(["forget_gate"], other / "autograder.zip", seed=SEED)
    _unpack(zip_path, other / "root", _broken())
    env = {**os.environ, "LSTM_COURSE_AUTOGRADER_ROOT": str(other / "root"), "OMP_NUM_THREADS": "1",
           "LSTM_COURSE_AUTOGRADER_PYTHON": sys.executable}
    broken = subprocess.Popen(["bash", str(other / "root" / "source" / "run_autograder")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        recipe = run_recipe("gradescope", tmp_path)
    finally:
        log = broken.communicate(timeout=540)[0]
    assert broken.returncode == 0, log
    assert (tmp_path / "autograder.zip").read_bytes() == zip_path.read_bytes()  # the same course gives the same zip
    assert f"lstm_course from {tmp_path / 'try' / 'source' / 'course' / 'lstm_course'}" in recipe.stdout
    assert f"lstm_course from {other / 'root' / 'source' / 'course' / 'lstm_course'}" in log

    good = json.loads((tmp_path / "try" / "results" / "results.json").read_text())
    bad = json.loads((other / "root" / "results" / "results.json").read_text())
    for data in (good, bad):
        validate_results(data)
        assert data["output_format"] == "md" and data["execution_time"] >= 1
    points = {q.name[1:]: float(q.points) for q in get_exercise("forget_gate").questions}
    assert good["score"] == sum(points.values()) == get_exercise("forget_gate").max_points
    assert {t["number"]: t["max_score"] for t in good["tests"]} == points  # Gradescope's max_score = q.points
    assert all(t["status"] == "passed" and t["visibility"] == "visible" for t in good["tests"])

    assert bad["score"] == sum(points.values()) - points["1"] - points["2"]  # q1 and q2 broken, the rest right
    tests = {t["number"]: t for t in bad["tests"]}
    # q1's verdict quotes values on hidden inputs (test 1.1 holds them back); q2's quotes none: no 2.1
    assert list(tests) == ["1", "1.1", *[n for n in points if n != "1"]]
    q1, details = tests["1"], tests["1.1"]
    assert q1["visibility"] == "visible" and q1["score"] == 0 and q1["status"] == "failed"
    assert "tanh where sigmoid belongs" in q1["output"] and "**Hint:**" in q1["output"]
    assert "expected tensor" not in q1["output"] and "got tensor" not in q1["output"]  # values wait for publishing
    assert details["visibility"] == "after_published" and "score" not in details
    assert "expected tensor of shape" in details["output"] and "got tensor of shape" in details["output"]
    q2 = tests["2"]["output"]
    cell = find_cell(_broken(), "kept_memory") + 1
    assert f"AssertionError (with no message) at line 3 of cell {cell} (Question 2), in `kept_memory`" in q2


def test_zip_holds_what_gradescope_needs(tmp_path):
    assert main(["gradescope", "forget_gate", "input_gate", "--out", str(tmp_path / "ag.zip"), "--seed", "7"]) == 0
    with zipfile.ZipFile(tmp_path / "ag.zip") as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        config = json.loads(zf.read("config.json"))
        pins = zf.read("requirements.txt").decode().split()
        setup = zf.read("setup.sh").decode()
        zf.extractall(tmp_path / "x")
    assert {"setup.sh", "run_autograder", "requirements.txt", "config.json", "course/pyproject.toml",
            "course/lstm_course/grading/grader.py", "course/lstm_course/exercises/forget_gate.py"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert not any("__pycache__" in n for n in names)
    assert config["exercises"] == ["forget_gate", "input_gate"] and config["seed"] == 7
    assert "torch==2.13.0" in pins  # the version this repository pins
    assert {p.split("==")[0] for p in pins} >= {"torch", "numpy", "nbclient", "nbformat", "ipykernel"}
    assert all("==" in p for p in pins)
    assert 'pip install --quiet --no-deps "$SOURCE/course"' in setup
    for script in ("setup.sh", "run_autograder"):  # both parse as bash
        subprocess.run(["bash", "-n", str(tmp_path / "x" / script)], check=True)


def test_gradescope_command_rejects_bad_arguments(tmp_path, capsys):
    assert main(["gradescope", "nope", "--out", str(tmp_path / "a.zip")]) == 2
    assert "`EXERCISE` must be among forget_gate" in capsys.readouterr().err
    assert main(["gradescope", "forget_gate", "--out", str(tmp_path / "a.zip"), "--timeout", "0"]) == 2
    assert "`timeout` must be a positive number" in capsys.readouterr().err


def test_a_missing_notebook_scores_zero_and_says_so(tmp_path):
    root = tmp_path / "root"
    zip_path = build_autograder(["forget_gate"], tmp_path / "ag.zip")
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "submission" / "notes.txt").write_text("I forgot the notebook")
    from lstm_course.grading.gradescope import run_autograder

    data = run_autograder(root)
    validate_results(data)
    assert data["score"] == 0 and "no notebook was submitted" in data["output"]
    assert json.loads((root / "results" / "results.json").read_text()) == data
    assert json.loads((root / "source" / "config.json").read_text())["seed"] == COURSE_SEED


def test_hidden_values_are_left_out_of_the_visible_output():
    msg = ("On case 1 (h_prev=(3,)): the result has the wrong values: expected tensor of shape (3,) [0.5, 0.2, 0.1], "
           "got tensor of shape (3,) [0.1, -0.2, 0.3].\nLikely mistake: tanh where sigmoid belongs. Use torch.sigmoid.")
    public = public_message(msg)
    assert "0.5" not in public and "-0.2" not in public and "(h_prev=(3,))" in public
    assert "Likely mistake: tanh where sigmoid belongs. Use torch.sigmoid." in public
    assert public_message("`P` is wrong: expected 0.729, got 0.81.") == \
        "`P` is wrong: expected and returned values on the hidden inputs are shown once grades are published."
    shape = "the result has the wrong shape: expected (5, 3), got (15,)."
    assert public_message(shape) == shape  # shapes are not values: they stay
    grade = SubmissionGrade("x.ipynb", "forget_gate", [QuestionGrade("q1", "the forget gate f_t", 0.0, 4.0, "wrong",
                                                                       msg, "tanh where sigmoid belongs")], 4.0)
    data = results_json([grade], execution_time=0.2)
    validate_results(data)
    assert data["execution_time"] == 1
    assert [t["visibility"] for t in data["tests"]] == ["visible", "after_published"]


def test_missing_grader_extra_is_one_line_naming_the_install_command(tmp_path):
    """``nbclient`` made unimportable, as in an environment without the extra."""
    code = ("import sys; sys.modules['nbclient'] = None\n"
            "from lstm_course.cli import main\n"
            f"sys.exit(main(['grade', 'x.ipynb', '--out', {str(tmp_path)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith("lstm-course grade: lstm-course grade needs the grader extra (nbclient not installed)")
    assert 'pip install "lstm_course[grader]"' in lines[0]
    code = "import sys; sys.modules['nbformat'] = None\nimport lstm_course.grading"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "MissingExtraError: lstm_course.grading needs the grader extra" in proc.stderr
    assert 'pip install "lstm_course[grader]"' in proc.stderr
