"""The ``lstm-course`` command. Subcommands live in a registry so others can add one.

``lstm-course assign`` regenerates ``exercises/`` from ``solutions/``;
``lstm-course grade SUBMISSION... --out DIR [-j N] [--timeout S]`` grades notebooks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

__all__ = ["SUBCOMMANDS", "build_parser", "main"]


def _add_assign(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("assign", help="regenerate exercises/ from solutions/")
    p.add_argument("--source", default="solutions", help="folder of instructor notebooks (default: solutions)")
    p.add_argument("--dest", default="exercises", help="folder of student notebooks (default: exercises)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when dest is out of sync")
    p.set_defaults(func=_run_assign)


def _run_assign(args: argparse.Namespace) -> int:
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
    p.add_argument("--seed", type=int, default=None, help="seed for the hidden test inputs (default: fresh)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_run_grade)


def _run_grade(args: argparse.Namespace) -> int:
    from .grading import grade

    if args.jobs < 1:
        print("lstm-course grade: -j must be at least 1", file=sys.stderr)
        return 2
    results = grade(args.submissions, args.out, jobs=args.jobs, timeout=args.timeout,
                    cell_timeout=args.cell_timeout, call_timeout=args.call_timeout, exercise=args.exercise,
                    seed=args.seed, progress=not args.no_progress)
    total = sum(r.score for r in results)
    print(f"graded {len(results)} submission(s) into {args.out} (mean {total / max(1, len(results)):.2f})")
    return 0


#: name -> function adding the subparser; add yours here.
SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "assign": _add_assign,
    "grade": _add_grade,
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
    except (FileNotFoundError, ValueError) as exc:
        print(f"lstm-course {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
