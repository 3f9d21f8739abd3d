"""Bad input, case by case (issue 2, point 8): every error is a ValueError/TypeError that names the
argument, what was expected and what was given."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstm_course._checks import as_float_tensor, check_finite, check_same_device, check_same_dtype, check_shape
from lstm_course.cell import candidate, cell_update, concat_hx, forget_gate, hidden_state, lstm_step
from lstm_course.layout import CellWeights

B, I, H = 2, 3, 4


def _weights(h: int = H, i: int = I, device: str = "cpu", dtype: torch.dtype = torch.float32) -> CellWeights:
    gen = torch.Generator().manual_seed(0)
    return CellWeights(*(torch.randn((h, h + i) if k % 2 == 0 else (h,), generator=gen).to(device, dtype)
                         for k in range(8)))


def _inputs(b: int = B, i: int = I, h: int = H) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    return torch.randn(b, i, generator=gen), torch.randn(b, h, generator=gen), torch.randn(b, h, generator=gen)


# ---------------------------------------------------------------------------- wrong shapes


def test_wrong_weight_shape_names_weight_expected_and_given() -> None:
    x, h, c = _inputs()
    bad = _weights()._replace(W_i=torch.randn(H, H + I + 1))
    with pytest.raises(ValueError, match=r"`W_i` must have shape \(4, 7\) \(H = 4 from `h_prev`, I = 3 from `x_t`\), "
                                         r"got \(4, 8\)"):
        lstm_step(x, h, c, bad)


def test_wrong_bias_shape() -> None:
    x, h, c = _inputs()
    with pytest.raises(ValueError, match=r"`b_o` must have shape \(4,\).*got \(5,\)"):
        lstm_step(x, h, c, _weights()._replace(b_o=torch.randn(H + 1)))


def test_three_dimensional_input_is_refused() -> None:
    x, h, c = _inputs()
    with pytest.raises(ValueError, match=r"`h_prev` and `x_t` must be 1-D.*got h_prev \(1, 2, 4\) and x_t \(1, 2, 3\)"):
        lstm_step(x[None], h[None], c[None], _weights())


def test_check_shape_wildcards_and_message() -> None:
    check_shape("v", torch.zeros(3, 5), (None, 5))
    with pytest.raises(ValueError, match=r"`v` must have shape \(\*, 5\), got \(3, 4\)\."):
        check_shape("v", torch.zeros(3, 4), (None, 5))
    with pytest.raises(ValueError, match=r"`v` must have shape \(3,\) because, got \(3, 1\)"):
        check_shape("v", torch.zeros(3, 1), (3,), " because")


# ---------------------------------------------------------------------------- mismatched sizes


def test_input_size_mismatch_with_weights_says_where_I_comes_from() -> None:
    x, h, c = _inputs(i=I + 2)
    with pytest.raises(ValueError, match=r"`W_f` must have shape \(4, 9\) \(H = 4 from `h_prev`, I = 5 from `x_t`\), "
                                         r"got \(4, 7\)"):
        lstm_step(x, h, c, _weights())


def test_hidden_size_mismatch_with_weights() -> None:
    x, h, c = _inputs(h=H + 1)
    with pytest.raises(ValueError, match=r"`W_f` must have shape \(5, 8\) \(H = 5 from `h_prev`.*got \(4, 7\)"):
        lstm_step(x, h, c, _weights())


def test_c_prev_mismatch_with_h_prev() -> None:
    x, h, c = _inputs()
    with pytest.raises(ValueError, match=r"`c_prev` \(2, 3\) must have the same shape as `h_prev` \(2, 4\)"):
        lstm_step(x, h, c[:, :3], _weights())


def test_batch_mismatch_between_x_and_h() -> None:
    x, h, c = _inputs()
    with pytest.raises(ValueError, match=r"`h_prev` \(2, 4\) and `x_t` \(1, 3\) must have the same batch"):
        lstm_step(x[:1], h, c, _weights())
    with pytest.raises(ValueError, match="same batch dimensions"):
        concat_hx(h[0], x)  # unbatched h with batched x


def test_elementwise_equations_refuse_mismatched_shapes() -> None:
    f = torch.rand(B, H)
    with pytest.raises(ValueError, match=r"one shape.*`f_t` \(2, 4\), `c_prev` \(1, 4\)"):
        cell_update(f, f[:1], f, f)  # would broadcast silently
    with pytest.raises(ValueError, match=r"`o_t` \(2, 4\), `c_t` \(4,\)"):
        hidden_state(f, f[0])


# ---------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize("which", ["x_t", "h_prev", "c_prev"])
def test_integer_state_tensors(which: str) -> None:
    args = dict(zip(("x_t", "h_prev", "c_prev"), _inputs(), strict=True))
    args[which] = args[which].long()
    with pytest.raises(TypeError, match=rf"`{which}` has dtype torch.int64.*floating-point.*`{which}.float\(\)`"):
        lstm_step(args["x_t"], args["h_prev"], args["c_prev"], _weights())


def test_integer_weight_and_elementwise_inputs() -> None:
    x, h, _ = _inputs()
    w = _weights()
    with pytest.raises(TypeError, match=r"`W_f` has dtype torch.int32"):
        forget_gate(h, x, w.W_f.int(), w.b_f)
    with pytest.raises(TypeError, match=r"`o_t` has dtype torch.int64"):
        hidden_state(torch.ones(B, H, dtype=torch.int64), torch.zeros(B, H))


def test_numpy_and_wrong_weights_container() -> None:
    x, h, c = _inputs()
    with pytest.raises(TypeError, match=r"`x_t` must be a torch.Tensor, got ndarray.*torch.as_tensor"):
        lstm_step(x.numpy(), h, c, _weights())
    with pytest.raises(TypeError, match=r"`weights` must be a CellWeights \(got tuple\)"):
        lstm_step(x, h, c, tuple(_weights()))
    with pytest.raises(TypeError, match=r"`value` must be a torch.Tensor, got list"):
        as_float_tensor("value", [1.0])


def test_mixed_float_dtypes() -> None:
    x, h, c = _inputs()
    with pytest.raises(TypeError, match=r"one dtype.*`h_prev` is torch.float32, `c_prev` is torch.float64"):
        lstm_step(x, h, c.double(), _weights())
    with pytest.raises(TypeError, match=r"one dtype.*`x_t` is torch.float64"):
        lstm_step(x.double(), h, c, _weights())
    with pytest.raises(TypeError, match=r"`h_prev` is torch.float32, `W_c` is torch.float64"):
        candidate(h, x, _weights(dtype=torch.float64).W_c, _weights().b_c)
    with pytest.raises(TypeError, match="convert them with .to"):
        check_same_dtype(a=torch.zeros(1), b=torch.zeros(1, dtype=torch.float16))


# ---------------------------------------------------------------------------- different devices


def test_states_on_different_devices() -> None:
    """'meta' stands in for a second device on a CPU-only machine."""
    x, h, c = _inputs()
    with pytest.raises(ValueError, match=r"one device.*`h_prev` on cpu, `c_prev` on meta.*\.to\(device\)"):
        lstm_step(x, h, c.to("meta"), _weights())
    with pytest.raises(ValueError, match=r"`h_prev` on cpu, `x_t` on meta"):
        lstm_step(x.to("meta"), h, c, _weights())


def test_weights_on_another_device() -> None:
    x, h, c = _inputs()
    w = _weights()._replace(W_o=torch.randn(H, H + I, device="meta"))
    with pytest.raises(ValueError, match=r"`W_o` on meta"):
        lstm_step(x, h, c, w)
    with pytest.raises(ValueError, match=r"`a` on cpu, `b` on meta"):
        check_same_device(a=torch.zeros(1), b=torch.zeros(1, device="meta"))


# ---------------------------------------------------------------------------- NaN / inf


@pytest.mark.parametrize(("which", "value", "word"), [("x_t", float("nan"), "NaN"), ("h_prev", float("inf"), "inf"),
                                                      ("c_prev", -float("inf"), "inf")])
def test_non_finite_inputs_when_asked(which: str, value: float, word: str) -> None:
    args = dict(zip(("x_t", "h_prev", "c_prev"), _inputs(), strict=True))
    args[which][0, 0] = value
    with pytest.raises(ValueError, match=rf"`{which}` contains {word}"):
        lstm_step(args["x_t"], args["h_prev"], args["c_prev"], _weights(), check_finite_values=True)
    h_t, _ = lstm_step(args["x_t"], args["h_prev"], args["c_prev"], _weights())  # not asked: no error
    assert h_t.shape == (B, H)


def test_non_finite_weights_when_asked() -> None:
    x, h, c = _inputs()
    w = _weights()
    w.b_c[1] = float("nan")
    with pytest.raises(ValueError, match="`b_c` contains NaN"):
        lstm_step(x, h, c, w, check_finite_values=True)


def test_check_finite_names_the_first_bad_tensor() -> None:
    with pytest.raises(ValueError, match="`second` contains inf"):
        check_finite(first=torch.zeros(2), second=torch.tensor([0.0, np.inf]), third=torch.tensor([np.nan]))
    check_finite(ok=torch.zeros(3))
