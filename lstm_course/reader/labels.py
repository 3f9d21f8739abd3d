r"""Ground truth for every character of a Python source text, from Python's own :mod:`tokenize` (and :mod:`ast`).

:func:`char_labels` returns one array per property, each of shape ``(len(text),)``, one entry per character:

``in_string`` (bool)
    the character belongs to a ``STRING`` token: its prefix (``f``, ``r``, ``b``...), both quotes and
    everything between them. On Python 3.11 an f-string is one ``STRING`` token, replacement fields included.
``in_comment`` (bool)
    the character belongs to a ``COMMENT`` token: from ``#`` to the end of the line (not the ``'\n'``).
``bracket_depth`` (int)
    how many brackets ``( [ {`` (tokenize's ``OP`` tokens, so not those inside strings or comments) are open
    around the character. An opening bracket is counted at the depth outside it, and so is its closing
    bracket: in ``f(a[0])`` the depths are ``f:0 (:0 a:1 [:1 0:2 ]:1 ):0``.
``indent_level`` (int)
    the number of ``INDENT`` levels in force on the character's physical line: the level of the logical line
    it belongs to (continuation lines and every line of a multi-line string share their logical line's
    level). A blank or comment-only line keeps the level in force before it (tokenize emits ``DEDENT`` at
    the next logical line, so a blank line that ends a block still counts as inside it).
``column`` (int)
    the character's 0-based position in its physical line; the ``'\n'`` that ends a line has column
    ``len(line)``.
``in_docstring`` (bool)
    the character belongs to a docstring: a string literal that is the first statement of the module,
    a class or a function (from :mod:`ast`), quotes and prefix included.
``after_def`` (bool)
    the character is in a ``def`` signature: from the ``d`` of ``def`` up to and including the colon that
    ends the signature (the first ``:`` outside brackets), spaces and line breaks in between included.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings

import numpy as np

__all__ = ["LABEL_NAMES", "char_labels"]

#: The keys of :func:`char_labels`' result, in a fixed order.
LABEL_NAMES = ("in_string", "in_comment", "bracket_depth", "indent_level", "column", "in_docstring", "after_def")
_OPEN, _CLOSE = "([{", ")]}"
_FSTRING_START: int = getattr(tokenize, "FSTRING_START", -1)  # Python >= 3.12 only
_FSTRING_END: int = getattr(tokenize, "FSTRING_END", -1)


def _line_starts(text: str) -> list[int]:
    """The offset of the first character of each physical line (split on ``'\\n'`` only)."""
    starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            starts.append(k + 1)
    return starts


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as err:  # IndentationError is a SyntaxError
        raise ValueError(f"`text` is not Python that tokenize can read: {err}. Pass complete Python source "
                         "(closed brackets and strings, consistent indentation).") from err


def _docstring_spans(text: str, starts: list[int]) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` character offsets of every docstring (module, class, function)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)  # e.g. invalid escape sequences in old code
            tree = ast.parse(text)
    except SyntaxError as err:
        raise ValueError(f"`text` is not valid Python: {err.msg} (line {err.lineno}). Pass complete Python "
                         "source.") from err
    lines = text.split("\n")

    def offset(lineno: int, col_bytes: int) -> int:  # ast columns count UTF-8 bytes
        line = lines[lineno - 1]
        return starts[lineno - 1] + len(line.encode("utf-8")[:col_bytes].decode("utf-8", errors="ignore"))

    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                v = first.value
                assert v.end_lineno is not None and v.end_col_offset is not None
                spans.append((offset(v.lineno, v.col_offset), offset(v.end_lineno, v.end_col_offset)))
    return spans


def char_labels(text: str) -> dict[str, np.ndarray]:
    """Per-character ground truth of ``text`` (see the module docstring): ``{name: array (len(text),)}``.

    Keys :data:`LABEL_NAMES`; ``in_*`` and ``after_def`` are ``bool``, the others ``int64``.
    Raises ``TypeError`` for a non-``str`` and ``ValueError`` for an empty text or one that is not valid Python.
    """
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a str of Python source, got {type(text).__name__}.")
    if not text:
        raise ValueError("`text` is empty; pass at least one character of Python source.")
    n = len(text)
    starts = _line_starts(text)

    def pos(row: int, col: int) -> int:
        return n if row > len(starts) else min(starts[row - 1] + col, n)

    in_string = np.zeros(n, dtype=bool)
    in_comment = np.zeros(n, dtype=bool)
    after_def = np.zeros(n, dtype=bool)
    depth_delta = np.zeros(n + 1, dtype=np.int64)  # +1 after an opening bracket, -1 at a closing one
    row_level = [-1] * len(starts)  # level of each physical line, -1 = not yet set

    level = 0
    depth = 0
    def_start: int | None = None
    def_depth = 0
    fstring_start, fstring_nesting = 0, 0  # Python >= 3.12 splits an f-string into FSTRING_* and inner tokens
    for tok in _tokens(text):
        a, b = pos(*tok.start), pos(*tok.end)
        if tok.type == _FSTRING_START:
            fstring_start, fstring_nesting = (a if fstring_nesting == 0 else fstring_start), fstring_nesting + 1
        elif tok.type == _FSTRING_END:
            fstring_nesting -= 1
            if fstring_nesting == 0:
                in_string[fstring_start:b] = True
        if tok.type == tokenize.INDENT:
            level += 1
        elif tok.type == tokenize.DEDENT:
            level -= 1
        if tok.type not in (tokenize.ENDMARKER, tokenize.DEDENT):
            for row in range(tok.start[0], tok.end[0] + 1):
                if row - 1 < len(row_level) and row_level[row - 1] < 0:
                    row_level[row - 1] = level
        if fstring_nesting > 0 or tok.type == _FSTRING_END:
            continue  # inside an f-string (3.12+): one string, as on 3.11
        if tok.type == tokenize.STRING:
            in_string[a:b] = True
        elif tok.type == tokenize.COMMENT:
            in_comment[a:b] = True
        elif tok.type == tokenize.NAME and tok.string == "def":
            def_start, def_depth = a, depth
        elif tok.type == tokenize.OP:
            if tok.string in _OPEN:
                depth += 1
                depth_delta[b] += 1
            elif tok.string in _CLOSE:
                depth -= 1
                depth_delta[a] -= 1
            elif tok.string == ":" and def_start is not None and depth == def_depth:
                after_def[def_start:b] = True
                def_start = None

    bracket_depth = np.cumsum(depth_delta[:n])
    last = 0
    for k, v in enumerate(row_level):  # rows without a token (e.g. trailing spaces) keep the previous level
        row_level[k] = last = v if v >= 0 else last
    row_of_char = np.repeat(np.arange(len(starts)), np.diff([*starts, n]))  # (n,)
    indent_level = np.asarray(row_level, dtype=np.int64)[row_of_char]
    column = np.arange(n, dtype=np.int64) - np.asarray(starts, dtype=np.int64)[row_of_char]
    in_docstring = np.zeros(n, dtype=bool)
    for a, b in _docstring_spans(text, starts):
        in_docstring[a:b] = True
    return {"in_string": in_string, "in_comment": in_comment, "bracket_depth": bracket_depth,
            "indent_level": indent_level, "column": column, "in_docstring": in_docstring, "after_def": after_def}
