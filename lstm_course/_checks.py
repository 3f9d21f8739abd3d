"""Input validation shared by the library: every error names the argument and the fix."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["as_float_tensor", "check_finite", "check_same_device", "check_shape"]


def as_float_tensor(name: str, value: object) -> torch.Tensor:
    """Return ``value`` if it is a floating-point tensor, else raise a clear ``TypeError``."""
    if not isinstance(value, torch.Tensor):
        kind = type(value).__name__
        hint = " Convert it with torch.as_tensor(...)." if kind in {"ndarray", "list", "float", "int"} else ""
        raise TypeError(f"`{name}` must be a torch.Tensor, got {kind}.{hint}")
    if not value.is_floating_point():
        raise TypeError(
            f"`{name}` has dtype {value.dtype}, but the LSTM needs floating-point numbers; "
            f"pass `{name}.float()` (or .double())."
        )
    return value


def check_shape(name: str, value: torch.Tensor, expected: Sequence[int | None], hint: str = "") -> None:
    """Raise ``ValueError`` unless ``value.shape`` matches ``expected`` (``None`` = any size).

    ``hint`` (e.g. ``" (H = 4 from `h_prev`)"``) is added after the expected shape.
    """
    got = tuple(value.shape)
    ok = len(got) == len(expected) and all(e is None or e == g for e, g in zip(expected, got, strict=False))
    if not ok:
        sizes = ["*" if e is None else str(e) for e in expected]
        want = f"({sizes[0]},)" if len(sizes) == 1 else "(" + ", ".join(sizes) + ")"
        raise ValueError(f"`{name}` must have shape {want}{hint}, got {got}.")


def check_same_device(**tensors: torch.Tensor) -> None:
    """Raise ``ValueError`` when the tensors do not all live on one device."""
    devices = {name: t.device for name, t in tensors.items()}
    if len(set(devices.values())) > 1:
        listing = ", ".join(f"`{n}` on {d}" for n, d in devices.items())
        raise ValueError(f"All tensors must be on one device, got {listing}; move them with .to(device).")


def check_same_dtype(**tensors: torch.Tensor) -> None:
    """Raise ``TypeError`` when the tensors do not all share one dtype."""
    dtypes = {name: t.dtype for name, t in tensors.items()}
    if len(set(dtypes.values())) > 1:
        listing = ", ".join(f"`{n}` is {d}" for n, d in dtypes.items())
        raise TypeError(f"All tensors must share one dtype, got {listing}; convert them with .to(dtype).")


def check_finite(**tensors: torch.Tensor) -> None:
    """Raise ``ValueError`` naming the first tensor that holds NaN or inf."""
    for name, t in tensors.items():
        if not bool(torch.isfinite(t).all()):
            bad = "NaN" if bool(torch.isnan(t).any()) else "inf"
            raise ValueError(f"`{name}` contains {bad}; check the values you passed (or the step that produced them).")
