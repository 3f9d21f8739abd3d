"""The ``lstm-course`` command. Subcommands live in a registry so others can add one.

``lstm-course assign`` regenerates ``exercises/`` from ``solutions/``;
``lstm-course grade SUBMISSION... --out DIR [-j N] [--timeout S]`` grades notebooks;
``lstm-course gradescope EXERCISE... --out autograder.zip`` builds a Gradescope autograder.
``assign`` and ``grade`` need the grader extra; without it they stop with one line naming
``pip install "lstm_course[grader]"``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .extras import MissingExtraError, require_grader

__all__ = ["SUBCOMMANDS", "build_parser", "main"]


def _add_assign(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("assign", help="regenerate exercises/ from solutions/")
    p.add_argument("--source", default="solutions", help="folder of instructor notebooks (default: solutions)")
    p.add_argument("--dest", default="exercises", help="folder of student notebooks (default: exercises)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when dest is out of sync")
    p.set_defaults(func=_run_assign)


def _run_assign(args: argparse.Namespace) -> int:
    require_grader("lstm-course assign")
    from .assign import assign

    stale = assign(args.source, args.dest, check=args.check)
    for path in stale:
        print(("out of sync: " if args.check else "wrote ") + str(path))
    return 1 if (args.check and stale) else 0


def _add_grade(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grade", help="grade submitted notebooks in fresh kernels")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="submitted .ipynb files")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for grades.csv, feedback and results.json")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="grade N submissions in parallel")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S",
                   help="seconds allowed per submission (default 120)")
    p.add_argument("--cell-timeout", type=float, default=30.0, metavar="S", help="seconds per cell (default 30)")
    p.add_argument("--call-timeout", type=float, default=10.0, metavar="S",
                   help="seconds per call of a student function while grading (default 10)")
    p.add_argument("--exercise", default=None, help="expected exercise topic (default: read from each notebook)")
    p.add_argument("--seed", type=int, default=None,
                   help="course seed of the hidden inputs; the same seed regrades identically (default: the "
                        "library's COURSE_SEED; set your own and keep it private)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_run_grade)


def _run_grade(args: argparse.Namespace) -> int:
    require_grader("lstm-course grade")
    from .grading import grade

    if args.jobs < 1:
        print("lstm-course grade: -j must be at least 1", file=sys.stderr)
        return 2
    results = grade(args.submissions, args.out, jobs=args.jobs, timeout=args.timeout,
                    cell_timeout=args.cell_timeout, call_timeout=args.call_timeout, exercise=args.exercise,
                    seed=args.seed, progress=not args.no_progress)
    total = sum(r.score for r in results)
    print(f"graded {len(results)} submission(s) into {args.out} (mean {total / max(1, len(results)):.2f})")
    books = sorted(p.name for p in Path(args.out).glob("grades*.csv"))
    print("gradebook: " + ", ".join(books))
    return 0


def _add_gradescope(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gradescope", help="build a Gradescope autograder zip for one or more exercises")
    p.add_argument("exercises", nargs="+", metavar="EXERCISE", help="exercise topics, e.g. forget_gate")
    p.add_argument("--out", required=True, metavar="ZIP", help="the zip to write, e.g. autograder.zip")
    p.add_argument("--seed", type=int, default=None, help="course seed of the hidden inputs (as for grade)")
    p.add_argument("--timeout", type=float, default=300.0, metavar="S", help="seconds per submission (default 300)")
    p.add_argument("--cell-timeout", type=float, default=60.0, metavar="S", help="seconds per cell (default 60)")
    p.add_argument("--call-timeout", type=float, default=10.0, metavar="S",
                   help="seconds per call of a student function (default 10)")
    p.set_defaults(func=_run_gradescope)


def _run_gradescope(args: argparse.Namespace) -> int:
    require_grader("lstm-course gradescope")
    from .grading.gradescope import build_autograder

    path = build_autograder(args.exercises, args.out, seed=args.seed, timeout=args.timeout,
                            cell_timeout=args.cell_timeout, call_timeout=args.call_timeout)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB): upload it as the autograder of a Gradescope "
          "programming assignment; students submit their .ipynb")
    return 0


#: name -> function adding the subparser; add yours here.
SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "assign": _add_assign,
    "grade": _add_grade,
    "gradescope": _add_gradescope,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lstm-course", description="Tools for the LSTM course.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS.values():
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lstm-course`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MissingExtraError as exc:
        print(f"lstm-course {args.command}: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"lstm-course {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
