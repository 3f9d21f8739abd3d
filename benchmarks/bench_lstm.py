"""Time ``lstm_course.LSTM`` against ``torch.nn.LSTM``, interleaved, forward and forward+backward.

Usage::

    .venv/bin/python benchmarks/bench_lstm.py [--repeats N] [--device cpu|cuda|...] [--json]

Sizes are (batch B, steps T, input I, hidden H); float32. Every size runs with one layer
in one direction; :data:`STACKED` adds rows for stacked, bidirectional modules (layers ``L``,
``bi``), with the same settings in both modules. For each row and each
mode the two modules run alternately (``nn.LSTM``, ours, ``nn.LSTM``, ...) so that
load from other processes on a shared machine hits both alike; the table reports the
median of each and the ratio ours / ``nn.LSTM`` (lower is better, 1.0 = as fast).

Modes: ``fwd`` is inference (``torch.no_grad()``); ``fwd+bwd`` is a training step
(forward with parameters and input requiring grad, ``output.sum()`` backward).

:data:`PATHS` adds rows for the paths beside the plain one (column ``path``), each against ``nn.LSTM``
doing the same thing in the same run: ``packed`` (a ``PackedSequence`` of lengths drawn from
``T/4..T``, unsorted), ``proj`` (``proj_size = H/2``) and ``2nd`` (mode ``fwd+bwd2``: the gradient of
``output.sum()`` w.r.t. the parameters with ``create_graph=True``, then the backward of its squared
norm, i.e. double backward through the hand-written backward's composed fallback).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import torch
from torch.nn.utils.rnn import pack_padded_sequence

import lstm_course
from lstm_course.devices import available_devices, get_device

SIZES: list[tuple[int, int, int, int]] = [(1, 100, 32, 64), (32, 100, 64, 128), (64, 200, 128, 256)]
#: Extra rows: (size, num_layers, bidirectional).
STACKED: list[tuple[tuple[int, int, int, int], int, bool]] = [((32, 100, 64, 128), 2, True)]
#: Rows for the other paths: (size, path), one layer in one direction.
PATHS: list[tuple[tuple[int, int, int, int], str]] = [
    ((32, 50, 64, 128), "packed"), ((32, 50, 64, 128), "proj"), ((32, 50, 64, 128), "2nd"),
]
TARGETS = {  # (size, mode) -> the ratio the issue asks for on the 2-core CPU
    ((32, 100, 64, 128), "fwd"): 1.5,
    ((32, 100, 64, 128), "fwd+bwd"): 1.5,
    ((64, 200, 128, 256), "fwd+bwd"): 1.2,
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timer(fn: Callable[[], None], device: torch.device, clock: Callable[[], float] = time.perf_counter) -> float:
    _sync(device)
    start = clock()
    fn()
    _sync(device)
    return clock() - start


def _make_runs(module: torch.nn.Module, x) -> dict[str, Callable[[], None]]:
    """``x``: a ``(T, B, I)`` tensor or a PackedSequence."""
    packed = isinstance(x, torch.nn.utils.rnn.PackedSequence)
    leaf = x.data if packed else x

    def total(output) -> torch.Tensor:
        return (output.data if packed else output).sum()

    def fwd() -> None:
        with torch.no_grad():
            module(x)

    def fwd_bwd() -> None:
        module.zero_grad(set_to_none=True)
        leaf.grad = None
        output, _ = module(x)
        total(output).backward()

    def fwd_bwd2() -> None:  # double backward (cuDNN has none: nn.LSTM runs its native kernels for this)
        module.zero_grad(set_to_none=True)
        params = list(module.parameters())
        with torch.backends.cudnn.flags(enabled=False):
            output, _ = module(x)
        grads = torch.autograd.grad(total(output), params, create_graph=True)
        sum(g.pow(2).sum() for g in grads).backward()

    return {"fwd": fwd, "fwd+bwd": fwd_bwd, "fwd+bwd2": fwd_bwd2}


def bench_size(
    size: tuple[int, int, int, int],
    device: torch.device,
    repeats: int,
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
    num_layers: int = 1,
    bidirectional: bool = False,
    path: str = "plain",
) -> list[dict[str, object]]:
    """Median seconds of both modules at one size (and stacking, or ``path``), for each mode."""
    B, T, I, H = size
    gen = torch.Generator().manual_seed(seed)
    kw = {"num_layers": num_layers, "bidirectional": bidirectional, "proj_size": H // 2 if path == "proj" else 0}
    ref = torch.nn.LSTM(I, H, **kw).to(device)
    ours = lstm_course.LSTM(I, H, **kw, device=device)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(T, B, I, generator=gen).to(device).requires_grad_(True)  # (T, B, I)
    if path == "packed":
        lengths = torch.randint(max(1, T // 4), T + 1, (B,), generator=gen)
        lengths[0] = T
        x = pack_padded_sequence(x.detach(), lengths, enforce_sorted=False)
        x.data.requires_grad_(True)
    runs = {"nn.LSTM": _make_runs(ref, x), "lstm_course": _make_runs(ours, x)}
    rows = []
    for mode in ("fwd+bwd2",) if path == "2nd" else ("fwd", "fwd+bwd"):
        for name in runs:  # warm-up
            runs[name][mode]()
            runs[name][mode]()
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(repeats):
            for name in runs:  # interleaved
                times[name].append(_timer(runs[name][mode], device, clock))
        med = {name: statistics.median(ts) for name, ts in times.items()}
        ratio = med["lstm_course"] / med["nn.LSTM"]
        one_layer = num_layers == 1 and not bidirectional and path == "plain"
        target = TARGETS.get((size, mode)) if device.type == "cpu" and one_layer else None
        rows.append({
            "device": device.type, "B": B, "T": T, "I": I, "H": H, "L": num_layers, "bi": bidirectional,
            "path": path, "mode": mode,
            "nn_lstm_ms": 1e3 * med["nn.LSTM"], "lstm_course_ms": 1e3 * med["lstm_course"],
            "ratio": ratio, "target": target, "meets_target": None if target is None else ratio <= target,
        })
    return rows


def format_table(rows: list[dict[str, object]]) -> str:
    head = (
        f"{'device':6} {'B':>3} {'T':>4} {'I':>4} {'H':>4} {'L':>2} {'bi':>3} {'path':6} {'mode':8} "
        f"{'nn.LSTM ms':>11} {'ours ms':>9} {'ratio':>6}  target"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        target = "" if r["target"] is None else f"<= {r['target']}  {'ok' if r['meets_target'] else 'MISSED'}"
        lines.append(
            f"{r['device']:6} {r['B']:>3} {r['T']:>4} {r['I']:>4} {r['H']:>4} {r['L']:>2} "
            f"{'yes' if r['bi'] else 'no':>3} {r.get('path', 'plain'):6} {r['mode']:8} "
            f"{r['nn_lstm_ms']:>11.2f} {r['lstm_course_ms']:>9.2f} {r['ratio']:>6.2f}  {target}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per module, mode and size (median)")
    parser.add_argument(
        "--device", action="append", help="device to time on (repeatable); default: cpu, and cuda if present"
    )
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of the table")
    parser.add_argument("--sizes", default=None, help="B,T,I,H;B,T,I,H;... (default: the three sizes of the issue)")
    parser.add_argument("--no-stacked", action="store_true", help="leave out the stacked/bidirectional rows")
    parser.add_argument("--no-paths", action="store_true", help="leave out the packed / proj / 2nd-order rows")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time with this thread's CPU time instead of wall time (needs --threads 1; robust to a shared CPU)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be at least 1")
        torch.set_num_threads(args.threads)
    if args.cpu_time and torch.get_num_threads() != 1:
        parser.error("--cpu-time measures one thread only; add --threads 1")
    clock = time.thread_time if args.cpu_time else time.perf_counter
    names = args.device or [d for d in available_devices() if d in ("cpu", "cuda")]
    devices = [get_device(name) for name in names]
    sizes = SIZES
    if args.sizes:
        sizes = [tuple(int(v) for v in s.split(",")) for s in args.sizes.split(";")]
    configs = [(size, 1, False) for size in sizes] + ([] if args.no_stacked else STACKED)
    rows = [row for device in devices for size, layers, bi in configs
            for row in bench_size(size, device, args.repeats, clock=clock, num_layers=layers, bidirectional=bi)]
    if not args.no_paths:
        rows += [row for device in devices for size, path in PATHS
                 for row in bench_size(size, device, args.repeats, clock=clock, path=path)]
    meta = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "repeats": args.repeats,
        "clock": "thread CPU time" if args.cpu_time else "wall time",
    }
    if args.json:
        print(json.dumps({"meta": meta, "rows": rows}, indent=2))
    else:
        print(
            f"torch {meta['torch']}, {meta['threads']} threads, {meta['clock']}, "
            f"median of {args.repeats} interleaved runs"
        )
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
