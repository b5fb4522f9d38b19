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
does (``train.xla`` and ``train.unroll`` from the preset); PyTorch the model of
``pipeline.bench_torch`` (Embedding, ``nn.LSTM(200)``, Linear, MSE, SGD), on the same threads.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import keras
import numpy as np

from corpus.windows import split_windows, window_batch
from models.next_word import build_next_word_model, compile_next_word_model
from models.settings import TrainingSchedule
from models.training import training_batches
from pipeline import run_folder
from pipeline.config import load_config


def keras_epoch_runner(ids: np.ndarray, vectors: np.ndarray, batch_size: int, steps: int):
    """A function that trains the seed preset's Keras model for ``steps`` batches."""
    settings = load_config(preset="seed").train
    keras.utils.set_random_seed(0)
    model = build_next_word_model(vectors, settings, 20)
    schedule = TrainingSchedule(batch_size=batch_size, max_train_windows=batch_size * steps)
    compile_next_word_model(model, settings, total_steps=10**6, steps_per_execution=schedule.batches_per_execution())
    batches, _ = training_batches(ids, split_windows(len(ids), 20, 0.05, 0.05), 20, settings, schedule, vectors)
    return lambda: model.fit(batches, epochs=1, verbose=0)


def torch_epoch_runner(ids: np.ndarray, vectors: np.ndarray, batch_size: int, steps: int, threads: int = 2):
    """A function that trains the PyTorch equivalent for ``steps`` batches of random windows."""
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    embedding = torch.nn.Embedding.from_pretrained(torch.from_numpy(vectors), freeze=True)
    lstm, dense = torch.nn.LSTM(vectors.shape[1], 200, batch_first=True), torch.nn.Linear(200, vectors.shape[1])
    optimizer = torch.optim.SGD([*lstm.parameters(), *dense.parameters()], lr=0.1)
    table, starts = torch.from_numpy(vectors), split_windows(len(ids), 20, 0.0, 0.0).train_starts
    rng = np.random.default_rng(0)

    def run() -> None:
        for _ in range(steps):
            inputs, targets = window_batch(ids, rng.choice(starts, batch_size), 20)
            output, _ = lstm(embedding(torch.from_numpy(inputs.astype(np.int64))))
            loss = torch.nn.functional.mse_loss(dense(output[:, -1]), table[torch.from_numpy(targets.astype(np.int64))])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    ids = run_folder.load_windows(args.run_dir).ids
    vectors = run_folder.load_vectors(args.run_dir).vectors.astype(np.float32)
    runners = {"keras": keras_epoch_runner(ids, vectors, args.batch_size, args.steps),
               "pytorch": torch_epoch_runner(ids, vectors, args.batch_size, args.steps)}
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
