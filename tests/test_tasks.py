"""The memory task: data, model wrapper, training loop; the LSTM learns where the RNN cannot.

Shortened setting measured here (T = 30, 200 steps, lr 5e-3, forget bias 5): LSTM 100 %
(seeds 0-2), RNN 22-26 % (chance 25 %), about 0.5 s a run.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch import nn

from lstm_course.layer import LSTM
from lstm_course.layout import gate_slice
from lstm_course.tasks import (
    DEFAULT_CONFIG,
    History,
    RecallTask,
    SequenceClassifier,
    TrainConfig,
    build_model,
    evaluate,
    run_experiment,
    train,
)

SHORT = TrainConfig(task=RecallTask(length=30, num_symbols=4), steps=200, lr=5e-3, forget_bias=5.0, seed=0)


def test_sample_is_one_hot_with_marker_and_label(device: torch.device) -> None:
    task = RecallTask(length=7, num_symbols=3)
    x, y = task.sample(50, generator=torch.Generator().manual_seed(0), device=device)
    assert x.shape == (7, 50, 4) and y.shape == (50,)
    assert x.device.type == device.type and y.device.type == device.type
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    symbols = x[..., :3]
    assert torch.all(symbols.sum(-1) == 1)  # exactly one symbol per step
    assert torch.all(x[0, :, 3] == 1) and torch.all(x[1:, :, 3] == 0)  # marker at step 0 only
    assert torch.equal(symbols[0].argmax(-1), y)  # label = the marked symbol
    assert set(y.tolist()) == {0, 1, 2}
    assert torch.any(symbols[1:].argmax(-1) != y)  # distractors are not copies of the answer


def test_sample_deterministic_given_generator() -> None:
    task = RecallTask(length=5)
    a = task.sample(8, generator=torch.Generator().manual_seed(3))
    b = task.sample(8, generator=torch.Generator().manual_seed(3))
    c = task.sample(8, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    assert RecallTask(num_symbols=5).chance == pytest.approx(0.2)


def test_classifier_uses_course_lstm_and_applies_forget_bias() -> None:
    model = SequenceClassifier("lstm", 5, 8, 4, forget_bias=3.0, generator=torch.Generator().manual_seed(0))
    assert isinstance(model.recurrent, LSTM)
    f = gate_slice("f", 8)
    b_f = model.recurrent.bias_ih_l0[f] + model.recurrent.bias_hh_l0[f]
    others = model.recurrent.bias_ih_l0[gate_slice("i", 8)] + model.recurrent.bias_hh_l0[gate_slice("i", 8)]
    bound = 2 / 8**0.5  # two uniform draws in (-1/sqrt(H), 1/sqrt(H))
    assert torch.all((b_f - 3.0).abs() <= bound) and torch.all(others.abs() <= bound)
    rnn = SequenceClassifier("rnn", 5, 8, 4)
    assert isinstance(rnn.recurrent, nn.RNN)
    logits = model(torch.zeros(6, 2, 5))
    assert logits.shape == (2, 4)


def test_classifier_initialisation_depends_only_on_generator() -> None:
    a = SequenceClassifier("lstm", 5, 8, 4, generator=torch.Generator().manual_seed(1))
    b = SequenceClassifier("lstm", 5, 8, 4, generator=torch.Generator().manual_seed(1))
    c = SequenceClassifier("lstm", 5, 8, 4, generator=torch.Generator().manual_seed(2))
    for (name, p), q, r in zip(a.named_parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(p, q), name
        assert not torch.equal(p, r), name


def test_lstm_learns_where_rnn_stays_at_chance() -> None:
    lstm, lstm_history = run_experiment("lstm", SHORT, device="cpu", progress=False)
    rnn, _ = run_experiment("rnn", SHORT, device="cpu", progress=False)
    lstm_acc = evaluate(lstm, SHORT.task, batch_size=500).accuracy
    rnn_acc = evaluate(rnn, SHORT.task, batch_size=500).accuracy
    assert lstm_acc > 0.9  # measured 1.00
    assert rnn_acc < 0.4  # chance 0.25, measured 0.22-0.26
    assert lstm_history.loss[-1] < 0.5 * lstm_history.loss[0]


def test_build_model_is_the_untrained_start_of_run_experiment() -> None:
    """The untrained baseline of a measurement: the very weights run_experiment starts from, before any step."""
    config = replace(SHORT, steps=1)
    start = build_model("lstm", config, device="cpu")
    trained, _ = run_experiment("lstm", config, device="cpu", progress=False)
    again = build_model("lstm", config, device="cpu")
    other = build_model("lstm", replace(config, seed=1), device="cpu")
    for (name, p), q, t, o in zip(start.named_parameters(), again.parameters(), trained.parameters(),
                                  other.parameters(), strict=True):
        assert torch.equal(p, q), name
        assert not torch.equal(p, o), name
        assert not torch.equal(p, t), name  # one Adam step moved every parameter
    f = gate_slice("f", config.hidden_size)
    b_f = start.recurrent.bias_ih_l0[f] + start.recurrent.bias_hh_l0[f]
    assert b_f.min() > config.forget_bias - 1  # forget bias 5 plus PyTorch's small draws


def test_training_is_deterministic_given_seed() -> None:
    task = RecallTask(length=10)

    def run(seed: int) -> History:
        model = SequenceClassifier("lstm", task.input_size, 8, task.num_symbols,
                                   generator=torch.Generator().manual_seed(0))
        return train(model, task, steps=15, lr=1e-2, batch_size=16, seed=seed, progress=False)

    first, second, other = run(0), run(0), run(1)
    assert first == second
    assert first.loss != other.loss
    assert first.step == list(range(1, 16)) and len(first.accuracy) == 15


def test_history_logging_interval() -> None:
    task = RecallTask(length=5)
    model = SequenceClassifier("rnn", task.input_size, 8, task.num_symbols)
    history = train(model, task, steps=25, batch_size=4, progress=False, log_every=10)
    assert history.step == [10, 20, 25]
    assert all(0.0 <= a <= 1.0 for a in history.accuracy)


@pytest.mark.parametrize("progress", [True, False])
def test_progress_bar_can_be_disabled(progress: bool, capsys: pytest.CaptureFixture[str]) -> None:
    task = RecallTask(length=5)
    model = SequenceClassifier("rnn", task.input_size, 8, task.num_symbols)
    train(model, task, steps=3, batch_size=4, progress=progress)
    err = capsys.readouterr().err
    assert ("train rnn" in err) is progress


def test_train_runs_on_device(device: torch.device) -> None:
    task = RecallTask(length=6)
    model, history = run_experiment("lstm", TrainConfig(task=task, hidden_size=8, steps=3), device=device,
                                    progress=False)
    assert next(model.parameters()).device.type == device.type
    assert len(history.loss) == 1  # log_every=10 keeps only the last of 3 steps
    assert 0.0 <= evaluate(model, task, batch_size=10).accuracy <= 1.0


def test_default_config_is_the_documented_one() -> None:
    """The book states these numbers; changing them must be a conscious edit here too."""
    assert DEFAULT_CONFIG.task == RecallTask(length=60, num_symbols=4)
    assert (DEFAULT_CONFIG.hidden_size, DEFAULT_CONFIG.steps, DEFAULT_CONFIG.lr) == (32, 600, 3e-3)
    assert DEFAULT_CONFIG.forget_bias == 5.0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="`length` must be a positive int"):
        RecallTask(length=0)
    with pytest.raises(ValueError, match="`num_symbols` must be at least 2"):
        RecallTask(num_symbols=1)
    with pytest.raises(TypeError, match="`generator` must be a torch.Generator"):
        RecallTask().sample(4, generator=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`batch_size` must be a positive int"):
        RecallTask().sample(0, generator=torch.Generator())
    with pytest.raises(ValueError, match="`kind` must be one of 'lstm', 'rnn', 'gru', 'peephole', 'coupled'"):
        SequenceClassifier("lru", 3, 4, 2)  # type: ignore[arg-type]
    model = SequenceClassifier("rnn", 5, 4, 4)
    with pytest.raises(ValueError, match="`steps` must be a positive int"):
        train(model, RecallTask(), steps=0)
    with pytest.raises(ValueError, match="`lr` must be positive"):
        train(model, RecallTask(), steps=1, lr=0.0)


def test_init_scale_multiplies_only_the_recurrent_weights_and_clip_reaches_training() -> None:
    a = SequenceClassifier("rnn", 5, 8, 4, generator=torch.Generator().manual_seed(3))
    b = SequenceClassifier("rnn", 5, 8, 4, init_scale=2.0, generator=torch.Generator().manual_seed(3))
    for p, q in zip(a.recurrent.parameters(), b.recurrent.parameters(), strict=True):
        assert torch.allclose(q, 2.0 * p)
    assert torch.equal(a.readout.weight, b.readout.weight)
    with pytest.raises(ValueError, match="`init_scale` must be positive"):
        SequenceClassifier("rnn", 5, 8, 4, init_scale=0.0)
    task = RecallTask(length=8)
    base = TrainConfig(task=task, hidden_size=8, steps=5, lr=0.5)  # a large step: the clip binds
    _, clipped = run_experiment("lstm", base, device="cpu", progress=False, log_every=1)
    _, free = run_experiment("lstm", replace(base, clip=None), device="cpu", progress=False, log_every=1)
    assert clipped.loss[0] == free.loss[0] and clipped.loss[1:] != free.loss[1:]


@pytest.mark.parametrize("kind", ["gru", "peephole", "coupled"])
def test_variant_kinds_put_forget_bias_on_the_keep_gate_and_learn(kind) -> None:
    """The GRU's update gate and the variants' forget gate get the offset; a few steps lower the loss."""
    from lstm_course import GRU
    from lstm_course.layout import gru_gate_slice
    from lstm_course.variants import VariantLSTM

    a = SequenceClassifier(kind, 5, 8, 4, forget_bias=0.0, generator=torch.Generator().manual_seed(3))
    b = SequenceClassifier(kind, 5, 8, 4, forget_bias=2.5, generator=torch.Generator().manual_seed(3))
    diff = {n: (q - p).detach() for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True)}
    if kind == "gru":
        assert isinstance(a.recurrent, GRU)
        rows = torch.zeros(3 * 8, dtype=torch.bool)
        rows[gru_gate_slice("z", 8)] = True
        assert torch.allclose(diff["recurrent.bias_ih_l0"][rows], torch.tensor(2.5))
        assert diff["recurrent.bias_ih_l0"][~rows].abs().max() == 0
    else:
        assert isinstance(a.recurrent, VariantLSTM) and a.recurrent.variant == kind
        assert torch.allclose(diff["recurrent.b_f"], torch.tensor(2.5))
    assert all(d.abs().max() == 0 for n, d in diff.items() if n not in ("recurrent.bias_ih_l0", "recurrent.b_f"))
    task = RecallTask(length=5, num_symbols=4)  # I = 5, 4 classes
    history = train(a, task, steps=30, lr=3e-2, progress=False)
    assert sum(history.loss[-5:]) < sum(history.loss[:5])


def test_history_records_the_gradient_norm_before_clipping() -> None:
    task = RecallTask(length=4, num_symbols=2)
    base = TrainConfig(task=task, hidden_size=8, steps=3, lr=0.5, clip=1e-3)  # a clip every step exceeds
    _, clipped = run_experiment("lstm", base, device="cpu", progress=False, log_every=1)
    _, free = run_experiment("lstm", replace(base, clip=None), device="cpu", progress=False, log_every=1)
    assert len(clipped.grad_norm) == len(clipped.step) == 3
    assert clipped.grad_norm[0] == free.grad_norm[0] > 1e-3  # step 1: same weights, norm measured before clipping
    model = SequenceClassifier("lstm", task.input_size, 8, task.num_symbols, forget_bias=base.forget_bias,
                               generator=torch.Generator().manual_seed(base.seed))
    x, y = task.sample(base.batch_size, generator=torch.Generator().manual_seed(base.seed))
    nn.functional.cross_entropy(model(x), y).backward()
    norm = torch.cat([p.grad.reshape(-1) for p in model.parameters()]).norm()
    assert clipped.grad_norm[0] == pytest.approx(float(norm), rel=1e-5)
