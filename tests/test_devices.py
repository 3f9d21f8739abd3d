"""lstm_course.devices: CUDA, then MPS, then CPU; LSTM_COURSE_DEVICE overrides."""

from __future__ import annotations

import pytest
import torch

from lstm_course import devices
from lstm_course.devices import ENV_VAR, available_devices, get_device


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv(ENV_VAR, raising=False)
    return monkeypatch


def _pretend(monkeypatch: pytest.MonkeyPatch, cuda: bool, mps: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(devices, "_mps_available", lambda: mps)


def test_cpu_always_present_and_last() -> None:
    names = available_devices()
    assert names[-1] == "cpu"
    assert ("cuda" in names) == torch.cuda.is_available()


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, ["cuda", "mps", "cpu"]), (True, False, ["cuda", "cpu"]), (False, True, ["mps", "cpu"]),
     (False, False, ["cpu"])],
)
def test_priority_order(no_env: pytest.MonkeyPatch, cuda: bool, mps: bool, expected: list[str]) -> None:
    _pretend(no_env, cuda, mps)
    assert available_devices() == expected
    assert get_device() == torch.device(expected[0])


def test_env_var_overrides(no_env: pytest.MonkeyPatch) -> None:
    _pretend(no_env, True, False)
    no_env.setenv(ENV_VAR, "cpu")
    assert get_device() == torch.device("cpu")
    no_env.setenv(ENV_VAR, "cuda:1")
    assert get_device() == torch.device("cuda", 1)


def test_empty_env_var_means_unset(no_env: pytest.MonkeyPatch) -> None:
    _pretend(no_env, False, True)
    no_env.setenv(ENV_VAR, "")
    assert get_device() == torch.device("mps")


def test_argument_beats_env_var(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv(ENV_VAR, "not-a-device")
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")


def test_bad_env_value_names_the_variable(no_env: pytest.MonkeyPatch) -> None:
    no_env.setenv(ENV_VAR, "gpu0")
    with pytest.raises(ValueError, match=rf"Unknown device 'gpu0' \(from {ENV_VAR}\).*'cpu', 'cuda'"):
        get_device()
    with pytest.raises(ValueError, match=r"Unknown device 'tpu' \(from argument\)"):
        get_device("tpu")


def test_unavailable_device_is_refused(no_env: pytest.MonkeyPatch) -> None:
    _pretend(no_env, False, False)
    no_env.setenv(ENV_VAR, "cuda")
    with pytest.raises(ValueError, match=rf"'cuda' is not available here \(available: cpu\).*unset {ENV_VAR}"):
        get_device()
    with pytest.raises(ValueError, match="'mps' is not available here"):
        get_device("mps")


def test_fixture_device_is_usable(device: torch.device) -> None:
    assert device.type in available_devices()
    assert torch.ones(2, device=device).sum().item() == 2.0
