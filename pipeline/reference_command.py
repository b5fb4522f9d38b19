"""``lstmlab reference adder|primes|toy``: the numpy (no Keras) versions of the small demos."""

from __future__ import annotations

import argparse
import time


def add_reference_command(commands) -> None:
    reference = commands.add_parser("reference", help="train the numpy reference versions of adder, primes, toy",
                                    description="The same demos as `lstmlab adder` and `lstmlab primes`, trained "
                                    "with the hand-written numpy forward and backward passes (models/numpy_lstm.py).")
    reference.add_argument("demo", choices=["adder", "primes", "toy"])
    reference.add_argument("--seed", type=int, default=None, help="random seed (adder 0, primes 0, toy 2)")
    reference.set_defaults(handler=command_reference)


def command_reference(args: argparse.Namespace) -> int:
    from models.binary import all_pairs
    from models.numpy_demos import train_numpy_adder, train_numpy_sequence
    from models.primes import primes_sequence, toy_sequence

    started = time.perf_counter()
    if args.demo == "adder":
        seed = 0 if args.seed is None else args.seed
        model = train_numpy_adder(10_000, 1, 0.1, seed=seed,
                                  report=lambda step, loss: print(f"step {step}: error {loss:.4f}"))
        print(f"exact-match accuracy on all 16,384 8-bit pairs: {model.accuracy(*all_pairs(8), 8):.2%}")
    else:
        toy = args.demo == "toy"
        seed = (2 if toy else 0) if args.seed is None else args.seed
        inputs, targets = toy_sequence(seed=seed) if toy else primes_sequence()
        learning_rate, iterations, every = (0.1, 100, 1) if toy else (0.01, 10_000, 1000)

        def report(iteration, loss, predictions):
            extra = "" if toy else f"  y_pred = {predictions.round(5).tolist()}"
            print(f"iter {iteration:5d}: loss {loss:.5e}{extra}")

        _, losses = train_numpy_sequence(inputs, targets, 100, learning_rate, iterations, seed=seed,
                                         report_every=every, report=report)
        print(f"{args.demo} (numpy): loss {losses[0]:.5e} -> {losses[-1]:.5e}")
    print(f"{time.perf_counter() - started:.1f}s")
    return 0
