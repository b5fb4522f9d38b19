"""The seed preset's training step on Keras against PyTorch, alternated in one process.

``lstmlab bench`` times each row in its own process, one after the other; on a host whose speed
jumps between levels for minutes, two rows can land on different levels. Here the two take
turns, so each round's ratio compares them at the same moment. Run from the checkout, after a
run folder exists (it reads its ids and word vectors), with PyTorch installed
(``pip install -e '.[bench]'``)::

    python benchmarks/keras_against_pytorch.py runs/hongloumeng --batch-size 128 --steps 60
    python benchmarks/keras_against_pytorch.py runs/hongloumeng --batch-size 10 --steps 240

Prints each round's windows per second of both and their ratio, then the median of the rounds'
ratios and the ratio of the fastest rounds. Keras trains the seed preset's model as training
does (``train.xla`` and ``train.unroll`` from the preset), built by the bench's
:func:`pipeline.bench_timing.keras_training_run`; PyTorch the bench's model
(:func:`pipeline.bench_torch.torch_training_run`: Embedding, ``nn.LSTM(200)``, Linear, MSE,
SGD), on 2 threads.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import keras
import numpy as np

from pipeline import run_folder
from pipeline.bench_timing import keras_training_run
from pipeline.bench_torch import torch_training_run
from pipeline.config import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    ids = run_folder.load_windows(args.run_dir).ids
    vectors = run_folder.load_vectors(args.run_dir).vectors.astype(np.float32)
    runners = {"keras": keras_training_run(ids, vectors, load_config(preset="seed").train, args.batch_size,
                                           args.steps, args.steps * (args.rounds + 1)),
               "pytorch": torch_training_run(ids, vectors, args.batch_size, args.steps, threads=2)}
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for run in runners.values():  # warm-up (compiling)
        run()
    for round_ in range(args.rounds):
        for name in (list(runners) if round_ % 2 == 0 else list(runners)[::-1]):  # who goes first alternates
            started = time.perf_counter()
            runners[name]()
            rates[name].append(args.batch_size * args.steps / (time.perf_counter() - started))
        print(f"round {round_}: keras {rates['keras'][-1]:.0f}, pytorch {rates['pytorch'][-1]:.0f} windows/s, "
              f"ratio {rates['keras'][-1] / rates['pytorch'][-1]:.2f}", flush=True)
    ours, theirs = np.array(rates["keras"]), np.array(rates["pytorch"])
    print(f"command: python benchmarks/keras_against_pytorch.py {args.run_dir} --batch-size {args.batch_size} "
          f"--steps {args.steps} --rounds {args.rounds}   keras backend: {keras.backend.backend()}")
    print(f"keras / pytorch: median of the rounds' ratios {np.median(ours / theirs):.2f}, "
          f"fastest rounds {ours.max() / theirs.max():.2f} (keras {ours.max():.0f}, pytorch {theirs.max():.0f} windows/s)")


if __name__ == "__main__":
    main()
