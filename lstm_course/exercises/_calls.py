"""Calling a student's function safely, and a safe wire format for its inputs and outputs.

This module imports only the standard library, numpy and torch, because the batch
grader also pastes its source into the student's kernel (a harness cell) instead
of importing it there: a submission that patches ``lstm_course`` cannot change it.

* :func:`call_guarded` runs ``fn(*args)`` on copies of ``args``, turns a stub's
  ``NotImplementedError`` into "not attempted", an exception into one line, and
  records whether ``fn`` called one of the ``forbidden`` functions (a profile
  hook watches every Python and C call while ``fn`` runs).
* :func:`encode` / :func:`decode` turn tensors, arrays, tuples, named tuples, dicts
  with string keys and plain values into dicts of tensors and Python scalars, which
  ``torch.load(weights_only=True)`` reads back without running any code.
"""

from __future__ import annotations

import copy
import importlib
import sys
from typing import Any

import numpy as np
import torch

__all__ = ["call_guarded", "decode", "encode", "resolve_forbidden"]


def encode(obj: Any) -> Any:
    """A ``weights_only``-loadable description of ``obj`` (tensors are detached CPU copies)."""
    if isinstance(obj, torch.Tensor):
        return {"t": "tensor", "v": obj.detach().cpu().clone()}
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return {"t": "other", "type": "ndarray[object]", "repr": repr(obj)[:200]}
        return {"t": "ndarray", "v": torch.from_numpy(np.array(obj, copy=True))}
    if isinstance(obj, np.generic):
        return {"t": "py", "v": obj.item()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return {"t": "namedtuple", "name": type(obj).__name__, "fields": list(obj._fields),
                "v": [encode(x) for x in obj]}
    if isinstance(obj, (tuple, list)):
        return {"t": type(obj).__name__, "v": [encode(x) for x in obj]}
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):  # e.g. a designed cell's rows of numbers
        return {"t": "dict", "v": {k: encode(x) for k, x in obj.items()}}
    if obj is Ellipsis:
        return {"t": "ellipsis"}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"t": "py", "v": obj}
    return {"t": "other", "type": type(obj).__name__, "repr": repr(obj)[:200]}


class Opaque:
    """A returned value the wire format cannot carry (its type name and a short repr)."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name, self.text = type_name, text

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"


def decode(obj: Any, namedtuples: dict | None = None) -> Any:
    """Inverse of :func:`encode`; ``namedtuples`` maps type names to classes to rebuild."""
    kind = obj["t"]
    if kind == "tensor":
        return obj["v"]
    if kind == "ndarray":
        return obj["v"].numpy()
    if kind == "py":
        return obj["v"]
    if kind == "ellipsis":
        return Ellipsis
    if kind in ("tuple", "list"):
        items = [decode(x, namedtuples) for x in obj["v"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode(x, namedtuples) for k, x in obj["v"].items()}
    if kind == "namedtuple":
        items = [decode(x, namedtuples) for x in obj["v"]]
        cls = (namedtuples or {}).get(obj["name"])
        if cls is not None and list(getattr(cls, "_fields", ())) == obj["fields"]:
            return cls(*items)
        return tuple(items)
    return Opaque(obj.get("type", "?"), obj.get("repr", ""))


def resolve_forbidden(names: list[str] | tuple[str, ...]) -> tuple[dict, dict]:
    """Map dotted names to the code objects and builtins a tripwire watches for."""
    codes: dict = {}
    builtins: dict = {}
    for name in names:
        module_name, _, attr = name.rpartition(".")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except Exception:  # noqa: BLE001 - a name this torch/lstm_course lacks cannot be called either
            continue
        if isinstance(obj, type):
            for meth in ("__init__", "forward"):
                fn = obj.__dict__.get(meth)
                if fn is not None and hasattr(fn, "__code__"):
                    codes[fn.__code__] = name
        elif hasattr(obj, "__code__"):
            codes[obj.__code__] = name
        else:
            builtins[id(obj)] = name
    return codes, builtins


def _copy_args(args: tuple) -> tuple:
    out = []
    for a in args:
        if isinstance(a, torch.Tensor):
            out.append(a.detach().clone())
        elif isinstance(a, tuple) and hasattr(a, "_fields"):
            out.append(type(a)(*_copy_args(tuple(a))))
        else:
            out.append(copy.deepcopy(a))
    return tuple(out)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 300:
        first = first[:300] + "…"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def call_guarded(fn: Any, args: tuple, forbidden: tuple[dict, dict] | None = None) -> dict:
    """Call ``fn`` on a copy of ``args``; return a dict describing what happened.

    Keys: ``status`` (``"ok"``, ``"not_attempted"``, ``"error"`` or ``"forbidden"``),
    ``value`` (the return value), ``error`` (one line), ``args_after`` (the copies
    after the call, to spot in-place changes), ``called`` (a forbidden name).
    """
    work = _copy_args(args)
    codes, builtins = forbidden or ({}, {})
    hits: list[str] = []

    def _watch(frame, event, arg):  # a profile hook sees every call while fn runs
        if event == "call":
            name = codes.get(frame.f_code)
            if name is not None:
                hits.append(name)
        elif event == "c_call":
            name = builtins.get(id(arg))
            if name is not None:
                hits.append(name)

    result: dict = {"status": "ok", "value": None, "error": "", "args_after": work, "called": ""}
    old = sys.getprofile()
    sys.setprofile(_watch if (codes or builtins) else old)
    try:
        result["value"] = fn(*work)
    except NotImplementedError:
        result["status"] = "not_attempted"
    except RecursionError as exc:
        result.update(status="error", error=_one_line(exc))
    except Exception as exc:  # noqa: BLE001 - any student error becomes feedback
        result.update(status="error", error=_one_line(exc))
    finally:
        sys.setprofile(old)
    if hits:
        result.update(status="forbidden", called=hits[0])
    return result
