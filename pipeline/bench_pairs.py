"""Keras and PyTorch training the same model by turns, in one process.

This host's speed jumps between levels for seconds to minutes (on the 2-core machine between
about 1x and 0.5x), so two rates measured one after the other can land on different levels and
their ratio says more about the host than about the frameworks. Here the two take turns: each
round times one run of each, the order reversed every other round, and each round's ratio
compares them at the same moment. ``lstmlab bench`` times its training rows this way.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import numpy as np


def alternating_rates(runs: dict[str, Callable[[], object]], amount: float, rounds: int) -> dict[str, list[float]]:
    """Run each of ``runs`` once to warm up (compiling), then ``rounds`` rounds in which each runs
    once, the order reversed every other round. Returns ``amount`` per second of every timed run,
    by name, in round order::

        >>> rates = alternating_rates({"a": lambda: None, "b": lambda: None}, 1.0, 3)
        >>> sorted(rates), len(rates["a"]), len(rates["b"])
        (['a', 'b'], 3, 3)
    """
    for run in runs.values():
        run()
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(rounds):
        for name in (list(runs) if round_ % 2 == 0 else list(runs)[::-1]):
            started = time.perf_counter()
            runs[name]()
            rates[name].append(amount / (time.perf_counter() - started))
    return rates


def round_ratios(ours: list[float], theirs: list[float]) -> tuple[float, float]:
    """The median of the rounds' ratios ``ours[i] / theirs[i]``, and the ratio of the two fastest
    runs (both at the host's best level)::

        >>> round_ratios([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
        (1.0, 1.5)
    """
    if not ours or len(ours) != len(theirs):
        raise ValueError(f"need the same number of rounds on both sides, got {len(ours)} and {len(theirs)}")
    return statistics.median(a / b for a, b in zip(ours, theirs)), max(ours) / max(theirs)


def paired_training_rates(ids: np.ndarray, vectors: np.ndarray, preset: str, batch_size: int, steps: int,
                          rounds: int, threads: int, with_torch: bool) -> dict[str, list[float]]:
    """Training windows per second of the ``preset``'s model (settings from
    :func:`pipeline.config.load_config`) on this Keras backend, as
    :func:`pipeline.bench_timing.keras_windows_per_second` times it, and with ``with_torch`` of
    its PyTorch equivalent on ``threads`` threads (:mod:`pipeline.bench_torch`), by turns
    (:func:`alternating_rates`). ``ids`` (N,) int32 is the run's id stream, ``vectors`` (V, D)
    its word vectors. Returns {"keras": rates, "pytorch": rates} (no "pytorch" without torch)."""
    from pipeline.bench_timing import keras_training_run
    from pipeline.config import load_config

    runs = {"keras": keras_training_run(ids, vectors, load_config(preset=preset).train, batch_size, steps,
                                        steps * (rounds + 1))}
    if with_torch:
        from pipeline.bench_torch import torch_default_training_run, torch_training_run

        torch_run = torch_default_training_run if preset == "default" else torch_training_run
        runs["pytorch"] = torch_run(ids, vectors, batch_size, steps, threads)
    return alternating_rates(runs, batch_size * steps, rounds)
