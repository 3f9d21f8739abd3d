"""Pick the device the course computes on: CUDA, then MPS, then CPU.

The environment variable ``LSTM_COURSE_DEVICE`` (e.g. ``cpu``, ``cuda:1``, ``mps``)
overrides the choice, so a reader can force the CPU on a GPU machine.
"""

from __future__ import annotations

import os

import torch

__all__ = ["ENV_VAR", "available_devices", "get_device"]

ENV_VAR = "LSTM_COURSE_DEVICE"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """Names of the device types present on this machine, CPU always last."""
    names = []
    if torch.cuda.is_available():
        names.append("cuda")
    if _mps_available():
        names.append("mps")
    names.append("cpu")
    return names


def get_device(preferred: str | torch.device | None = None) -> torch.device:
    """Return ``preferred``, else ``$LSTM_COURSE_DEVICE``, else the best device present.

    Raises ``ValueError`` when the requested device does not exist here.
    """
    choice = preferred if preferred is not None else os.environ.get(ENV_VAR) or None
    if choice is None:
        return torch.device(available_devices()[0])
    try:
        device = torch.device(choice)
    except RuntimeError as err:
        raise ValueError(
            f"Unknown device {choice!r} (from {'argument' if preferred is not None else ENV_VAR}); "
            "use 'cpu', 'cuda', 'cuda:N' or 'mps'."
        ) from err
    if device.type not in available_devices():
        raise ValueError(
            f"Device {choice!r} is not available here (available: {', '.join(available_devices())}); "
            f"pick one of those or unset {ENV_VAR}."
        )
    return device
