"""Static check: does a function's source reach for the library's own answer?

The grader reads the submitted notebook's code, finds the student's function and
every top-level helper it uses, and looks for a name that resolves (through the
notebook's imports) to a forbidden function such as ``lstm_course.cell.forget_gate``
or ``torch.nn.LSTM``.  A runtime tripwire (:func:`~lstm_course.exercises._calls.call_guarded`)
catches what a static look cannot (``getattr`` tricks); this check catches a call that
only happens on some inputs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

__all__ = ["notebook_source", "forbidden_uses"]


def notebook_source(cells: Iterable[str]) -> ast.Module:
    """Parse code cells into one module, skipping cells that do not parse and IPython magics."""
    body: list[ast.stmt] = []
    for src in cells:
        lines = ["pass" if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines()]
        try:
            body.extend(ast.parse("\n".join(lines)).body)
        except (SyntaxError, ValueError):
            continue
    return ast.Module(body=body, type_ignores=[])


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted path, from every import in the notebook."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = a.name
                else:
                    out[a.name.split(".")[0]] = a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _dotted(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _matches(path: str, forbidden: str) -> bool:
    """Same package and same final name: ``lstm_course.forget_gate`` matches ``lstm_course.cell.forget_gate``."""
    p, f = path.split("."), forbidden.split(".")
    return len(p) >= 2 and p[0] == f[0] and p[-1] == f[-1]


def forbidden_uses(tree: ast.Module, func_name: str, forbidden: Iterable[str]) -> list[str]:
    """Forbidden dotted names used by the last top-level ``def func_name`` and the helpers it calls."""
    forbidden = list(forbidden)
    aliases = _aliases(tree)
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if func_name not in defs:
        return []
    found: list[str] = []
    seen: set[str] = set()
    todo = [func_name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(defs[name]):
            parts = _dotted(node) if isinstance(node, (ast.Attribute, ast.Name)) else None
            if not parts:
                continue
            if len(parts) == 1 and parts[0] in defs and parts[0] not in seen:
                todo.append(parts[0])
            head = aliases.get(parts[0])
            if head is None:
                continue
            path = ".".join([head, *parts[1:]])
            for f in forbidden:
                if _matches(path, f) and f not in found:
                    found.append(f)
    return found
