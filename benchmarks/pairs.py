"""Keras and PyTorch training the same model by turns, each in its own process.

This host's speed jumps between levels for seconds to minutes (on the 2-core machine between
about 1x and 0.5x), so two rates measured one after the other can land on different levels and
their ratio says more about the host than about the frameworks. Here the two take turns: each
round times one run of each, the order reversed every other round, so each round's ratio
compares them at the same moment. ``lstmlab bench`` times its training rows this way.

Each side has its own process, started once and kept waiting between its turns: in one process
PyTorch ran at about half its speed once Keras had trained there on TensorFlow (after
``model.fit`` on PyDataset batches; the figures are in docs/performance.md).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, TextIO

import numpy as np

READY = "ready"


def alternating_rates(runs: dict[str, Callable[[], object]], amount: float, rounds: int) -> dict[str, list[float]]:
    """Run each of ``runs`` once to warm up (compiling), then ``rounds`` rounds in which each runs
    once, the order reversed every other round. Returns ``amount`` per second of every timed run,
    by name, in round order (in this process: for parts of one framework's step)::

        >>> rates = alternating_rates({"a": lambda: None, "b": lambda: None}, 1.0, 3)
        >>> sorted(rates), len(rates["a"]), len(rates["b"])
        (['a', 'b'], 3, 3)
    """
    for run in runs.values():
        run()
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(rounds):
        for name in turn_order(list(runs), round_):
            started = time.perf_counter()
            runs[name]()
            rates[name].append(amount / (time.perf_counter() - started))
    return rates


def turn_order(names: list[str], round_: int) -> list[str]:
    """Who goes first alternates: ``names`` in even rounds, reversed in odd ones."""
    return names if round_ % 2 == 0 else names[::-1]


def round_ratios(ours: list[float], theirs: list[float]) -> tuple[float, float]:
    """The median of the rounds' ratios ``ours[i] / theirs[i]``, and the ratio of the two fastest
    runs (both at the host's best level)::

        >>> round_ratios([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
        (1.0, 1.5)
    """
    if not ours or len(ours) != len(theirs):
        raise ValueError(f"need the same number of rounds on both sides, got {len(ours)} and {len(theirs)}")
    return statistics.median(a / b for a, b in zip(ours, theirs)), max(ours) / max(theirs)


def serve_turns(run: Callable[[], object], amount: float, requests: TextIO, replies: TextIO) -> list[float]:
    """A worker's side of the turns: run ``run`` once to warm up and reply :data:`READY`; then for
    each "run" line read from ``requests``, run it once and reply its rate (``amount`` per
    second); stop at any other line or the end of ``requests``. Returns every timed rate."""
    run()
    print(READY, file=replies, flush=True)
    rates = []
    for line in requests:
        if line.strip() != "run":
            break
        started = time.perf_counter()
        run()
        rates.append(amount / (time.perf_counter() - started))
        print(repr(rates[-1]), file=replies, flush=True)
    return rates


def rates_by_turns(commands: dict[str, list[str]], envs: dict[str, dict], rounds: int) -> dict[str, dict]:
    """Start one process per command (each a worker that serves turns, :func:`serve_turns`, and
    then prints its result as a last JSON line), wait until all have warmed up, then run
    ``rounds`` rounds in which each runs once in turn while the others wait. ``envs`` adds
    variables to a command's environment. Returns by name each worker's result,
    ``{"rates": [...], "peak_rss_mb": ...}``. Raises RuntimeError naming the worker that failed,
    with its last error line."""
    with tempfile.TemporaryDirectory(prefix="lstmlab-turns-") as folder:
        workers = {}
        try:
            for name, command in commands.items():
                errors = open(os.path.join(folder, f"{name}.err"), "w+", encoding="utf-8")
                workers[name] = (subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                  stderr=errors, text=True, env={**os.environ, **envs.get(name, {})}),
                                 errors)
            for name in workers:
                _reply(name, *workers[name], expect_ready=True)
            for round_ in range(rounds):
                for name in turn_order(list(workers), round_):
                    workers[name][0].stdin.write("run\n")
                    workers[name][0].stdin.flush()
                    _reply(name, *workers[name])
            results = {}
            for name, (process, errors) in workers.items():
                output, _ = process.communicate("done\n")
                if process.returncode != 0:
                    raise RuntimeError(f"{name}: {_last_error(errors)}")
                results[name] = json.loads(output.strip().splitlines()[-1])
            return results
        finally:
            for process, errors in workers.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
                errors.close()


def _reply(name: str, process: subprocess.Popen, errors: TextIO, expect_ready: bool = False) -> str:
    """The worker's next reply (:data:`READY` or a rate); lines of other output are skipped."""
    while True:
        line = process.stdout.readline()
        if not line:
            process.wait()
            raise RuntimeError(f"{name}: {_last_error(errors)}")
        line = line.strip()
        if line == READY if expect_ready else _is_number(line):
            return line


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _last_error(errors: TextIO) -> str:
    errors.flush()
    errors.seek(0)
    lines = errors.read().strip().splitlines()
    return lines[-1][:160] if lines else "exited with no output"


def training_run(ids: np.ndarray, vectors: np.ndarray, side: str, preset: str, batch_size: int, steps: int,
                 rounds: int, threads: int) -> Callable[[], object]:
    """One side of a training pair: a function that trains ``steps`` batches of ``batch_size``
    windows of the ``preset``'s model (its settings from :func:`pipeline.config.load_config`), by
    Keras on this backend (``side`` "keras", as
    :func:`lstmlab.bench.timing.keras_windows_per_second` times it) or by its PyTorch equivalent
    on ``threads`` threads (``side`` "pytorch", :mod:`lstmlab.bench.torch_models`). ``ids`` (N,) int32
    is the run's id stream, ``vectors`` (V, D) its word vectors."""
    if side == "keras":
        from lstmlab.bench.timing import keras_training_run
        from lstmlab.pipeline.config import load_config

        return keras_training_run(ids, vectors, load_config(preset=preset).train, batch_size, steps,
                                  steps * (rounds + 1))
    if side != "pytorch":
        raise ValueError(f"side must be 'keras' or 'pytorch', got {side!r}")
    from lstmlab.bench.torch_models import torch_default_training_run, torch_training_run

    return (torch_default_training_run if preset == "default" else torch_training_run)(
        ids, vectors, batch_size, steps, threads)


def training_pair_by_turns(run_dir: str, preset: str, batch_size: int, steps: int, rounds: int, threads: int,
                           with_torch: bool = True, keras_env: dict | None = None) -> dict[str, dict]:
    """The ``preset``'s training step on Keras (its process's environment plus ``keras_env``, e.g.
    another backend) and, ``with_torch``, on PyTorch, by turns (:func:`rates_by_turns`), on the
    run folder ``run_dir``'s ids and vectors. Returns {"keras": result, "pytorch": result}, each
    ``{"rates": [...], "peak_rss_mb": ...}``."""
    commands = {}
    for side in ("keras", "pytorch") if with_torch else ("keras",):
        arguments = {"run_dir": run_dir, "side": side, "preset": preset, "batch_size": batch_size, "steps": steps,
                     "rounds": rounds, "threads": threads}
        commands[side] = [sys.executable, "-m", "lstmlab.bench.worker", "train-turns", json.dumps(arguments)]
    return rates_by_turns(commands, {"keras": {"TF_CPP_MIN_LOG_LEVEL": "3", **(keras_env or {})}}, rounds)
