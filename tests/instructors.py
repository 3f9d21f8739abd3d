"""Helpers for the instructors' tools tests: the README's recipes, and Gradescope's results.json schema."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((Path(__file__).with_name("gradescope_results.schema.json")).read_text(encoding="utf-8"))
#: The folder of this Python's scripts (``lstm-course``, ``nbgrader``, ``alembic``, ``python``).
BIN = str(Path(sys.executable).parent)


def recipe(name: str) -> str:
    """The bash block that follows ``<!-- recipe: NAME -->`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- recipe: {re.escape(name)} -->\s*```bash\n(.*?)```", text, re.S)
    assert m, f"README.md has no recipe {name!r}"
    return m.group(1)


def run_recipe(name: str, cwd: Path, *, set_vars: dict[str, str] | None = None,
               timeout: float = 540) -> subprocess.CompletedProcess:
    """Run a README recipe with bash (``set -euo pipefail``) in ``cwd``, this Python's scripts first on PATH.

    ``set_vars`` replaces the value of a ``NAME=...`` line of the recipe (e.g. the path of the checkout).
    """
    script = recipe(name)
    for var, value in (set_vars or {}).items():
        script, n = re.subn(rf"^{var}=\S*", f"{var}={value}", script, flags=re.M)
        assert n == 1, f"recipe {name!r} sets {var} {n} times"
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"recipe {name!r} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def validate_results(data: dict) -> None:
    """Fail unless ``data`` is a results.json Gradescope accepts, with scores that add up."""
    jsonschema.validate(data, SCHEMA)
    scored = [t for t in data["tests"] if "score" in t]
    assert abs(sum(t["score"] for t in scored) - data["score"]) < 1e-9
    for t in scored:
        assert 0 <= t["score"] <= t["max_score"]
        assert t["status"] == ("passed" if t["score"] == t["max_score"] > 0 else "failed")
    numbers = [t["number"] for t in data["tests"]]
    assert len(numbers) == len(set(numbers))
