"""Shared fixtures: every device test runs once per device type present on this machine."""

from __future__ import annotations

import pytest
import torch

from lstm_course import available_devices

#: Device types the library supports; each becomes one parameter of the ``device`` fixture.
_ALL_DEVICES = ("cpu", "cuda", "mps")


def _device_params() -> list:
    present = set(available_devices())
    params = []
    for name in _ALL_DEVICES:
        if name in present:
            params.append(pytest.param(name, id=name))
        else:
            params.append(
                pytest.param(name, id=name, marks=pytest.mark.skip(reason=f"no {name.upper()} device on this machine"))
            )
    return params


@pytest.fixture(params=_device_params())
def device(request: pytest.FixtureRequest) -> torch.device:
    """A ``torch.device`` for each device type in ``lstm_course.available_devices()`` (absent ones skipped)."""
    return torch.device(request.param)
