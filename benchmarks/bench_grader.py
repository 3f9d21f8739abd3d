"""Time ``lstm-course grade`` on 50 submissions of one exercise notebook.

The submissions are the solution notebook (hidden tests dropped), the untouched exercise
and buggy variants of the solution, cycled to ``--n`` files in a temporary folder. Prints
the wall time of the whole run (kernel start-up included) and the mean score.

    .venv/bin/python benchmarks/bench_grader.py [--n 50] [-j 2] [--exercise forget_gate]

Target (issue 4): under 3 minutes for 50 submissions on the 2-core CPU.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import tempfile
import time
from pathlib import Path

import nbformat

from lstm_course.assign import render_exercise
from lstm_course.grading import grade

ROOT = Path(__file__).resolve().parents[1]

#: (old, new) edits of the solution, inside the answer regions: typical wrong answers.
EDITS = {
    "forget_gate": [("torch.sigmoid(", "torch.tanh("), (" + b_f)", ")"), ("[h_prev, x_t]", "[x_t, h_prev]"),
                    ("f_t * c_prev", "(1 - f_t) * c_prev"), ('"b"', '"a"')],
}


def submissions(exercise: str, n: int, folder: Path) -> list[Path]:
    solution = nbformat.read(ROOT / "solutions" / f"{exercise}.ipynb", as_version=4)
    solution.cells = [c for c in solution.cells if "### BEGIN HIDDEN TESTS" not in c.source]
    variants = [solution, nbformat.reads(render_exercise(solution), as_version=4)]
    for old, new in EDITS.get(exercise, []):
        nb = copy.deepcopy(solution)
        for cell in nb.cells:
            head, marker, body = cell.source.partition("### BEGIN SOLUTION")
            if marker and old in body:
                cell.source = head + marker + body.replace(old, new, 1)
                break
        variants.append(nb)
    paths = []
    for k in range(n):
        path = folder / f"student{k:03d}.ipynb"
        nbformat.write(variants[k % len(variants)], path)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="number of submissions (default 50)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="parallel kernels (default 2)")
    parser.add_argument("--exercise", default="forget_gate")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = submissions(args.exercise, args.n, Path(tmp))
        start = time.perf_counter()
        grades = grade(paths, Path(tmp) / "out", jobs=args.jobs, seed=0, progress=not args.json)
        wall = time.perf_counter() - start
    load = os.getloadavg()[0]
    result = {"submissions": len(grades), "jobs": args.jobs, "exercise": args.exercise, "wall_s": round(wall, 1),
              "per_submission_s": round(wall / len(grades), 2), "loadavg_1min_after": round(load, 1),
              "mean_score": round(sum(g.score for g in grades) / len(grades), 2)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"graded {result['submissions']} {args.exercise} submissions with -j {args.jobs} in "
              f"{result['wall_s']} s ({result['per_submission_s']} s each; 1-min load average after: "
              f"{result['loadavg_1min_after']}); mean score {result['mean_score']}")


if __name__ == "__main__":
    main()
