"""lstm_course.practice: truncated BPTT changes no forward number and cuts the gradient at chunk boundaries."""

from __future__ import annotations

import pytest
import torch

from lstm_course.practice import TruncatedBPTT, last_chunk
from lstm_course.tasks import RecallTask, SequenceClassifier, train


def test_last_chunk() -> None:
    assert list(last_chunk(30, 10)) == [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]
    assert list(last_chunk(30, 30)) == list(range(1, 31))
    assert list(last_chunk(31, 10)) == [31]
    assert list(last_chunk(30, 100)) == list(range(1, 31))
    with pytest.raises(ValueError, match="`window` must be a positive int"):
        last_chunk(10, 0)


@pytest.mark.parametrize("kind", ["lstm", "gru", "coupled", "rnn"])
def test_forward_unchanged_and_gradient_reaches_only_the_last_chunk(kind: str) -> None:
    T, window = 11, 4
    task = RecallTask(length=T, num_symbols=3)
    model = SequenceClassifier(kind, task.input_size, 6, task.num_symbols, generator=torch.Generator().manual_seed(0))
    x, _ = task.sample(5, generator=torch.Generator().manual_seed(1))
    x.requires_grad_()
    cut = TruncatedBPTT(model, window)
    logits = cut(x)
    torch.testing.assert_close(logits, model(x), atol=1e-6, rtol=1e-6)  # detaching changes no number
    logits.sum().backward()
    reached = x.grad.abs().sum(dim=(1, 2)) > 0  # (T,): which steps' inputs the gradient reached
    expected = torch.zeros(T, dtype=torch.bool)
    expected[[t - 1 for t in last_chunk(T, window)]] = True
    assert torch.equal(reached, expected)
    x.grad = None
    model(x).sum().backward()  # full BPTT reaches every step
    assert bool((x.grad.abs().sum(dim=(1, 2)) > 0).all())


def test_trains_with_tasks_train() -> None:
    task = RecallTask(length=6, num_symbols=2)
    model = SequenceClassifier("lstm", task.input_size, 8, 2, generator=torch.Generator().manual_seed(0))
    history = train(TruncatedBPTT(model, 6), task, steps=20, lr=3e-2, progress=False)
    assert len(history.loss) == 20 and sum(history.loss[-5:]) < sum(history.loss[:5])
