"""Shared fixtures: every device test runs once per device type present on this machine."""

from __future__ import annotations

import os

import pytest
import torch

from lstm_course import available_devices


def pytest_configure(config: pytest.Config) -> None:
    """One intra-op thread unless OMP_NUM_THREADS says otherwise.

    The course's tensors are tiny; on this shared 2-core box two spinning OpenMP threads per
    process made a 1 s training test take 100 s under load (measured: 119 s with 2 threads,
    6.7 s with 1, same load). Nothing in the library sets threads; this is the test process only.
    """
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(1)


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
