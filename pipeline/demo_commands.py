"""CLI commands for the classic demos (``adder``, ``primes``, ``cifar``) and the numpy
reference LSTM (``reference``). Each parses, calls a trainer in :mod:`models`, prints the
blog-style progress and writes TensorBoard scalars under ``runs/<demo>/logs``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

PRESET_HELP = "'default' (fast, reliable) or 'seed' (the blog's settings)"


def add_commands(commands) -> None:
    """Add the demo subcommands to the ``lstmlab`` parser's subparsers."""
    adder = commands.add_parser("adder", help="iamtrask's binary-adder RNN in Keras",
                                description="Learn 8-bit binary addition with a 16-unit sigmoid RNN, bits least "
                                "significant first; then report exact-match accuracy on all 16,384 pairs a, b < 128 "
                                "and on longer numbers (--bits).")
    adder.add_argument("--preset", choices=["default", "seed"], default="default", help=PRESET_HELP)
    adder.add_argument("--cell", choices=["rnn", "lstm"], default="rnn", help="recurrent layer (default rnn)")
    adder.add_argument("--steps", type=int, help="training steps (seed: 10,000 sums one at a time)")
    adder.add_argument("--bits", type=int, nargs="*", default=[16, 32],
                       help="also test the 8-bit-trained model on these widths (default 16 32)")
    adder.add_argument("--seed", type=int, help="random seed")
    adder.add_argument("--run-dir", type=Path, default=Path("runs/adder"))
    adder.set_defaults(handler=command_adder)

    primes = commands.add_parser("primes", help="nicodjimenez's next-prime LSTM in Keras (--toy: the repeat toy)",
                                 description="Train an LSTM(100) whose first hidden unit predicts the next prime "
                                 "(primes below 100, scaled by 1/100) with SGD on one 10-step sequence.")
    primes.add_argument("--toy", action="store_true", help="the blog's example_0: 4 targets, lr 0.1, 100 iterations")
    primes.add_argument("--iterations", type=int, help="SGD steps (primes 10,000; toy 100)")
    primes.add_argument("--learning-rate", type=float, help="(primes 0.01; toy 0.1)")
    primes.add_argument("--seed", type=int, default=None, help="random seed (primes 0; toy 2)")
    primes.add_argument("--run-dir", type=Path, default=None, help="default runs/primes or runs/toy")
    primes.set_defaults(handler=command_primes)

    from pipeline.cifar_command import add_cifar_command
    from pipeline.reference_command import add_reference_command

    add_cifar_command(commands)
    add_reference_command(commands)


def command_adder(args: argparse.Namespace) -> int:
    from models.adder import AdderSettings, exact_match_accuracy, train_adder
    from models.binary import all_pairs, random_sums
    from pipeline.tensorboard import ScalarLog

    import numpy as np

    settings = AdderSettings(cell=args.cell, seed=2) if args.preset == "seed" else \
        AdderSettings(cell=args.cell, learning_rate=1.0, batch_size=8, steps=3000)
    if args.steps:
        settings.steps = args.steps
    if args.seed is not None:
        settings.seed = args.seed
    log = ScalarLog(args.run_dir / "logs")

    def report(step, error, predicted, true, a, b, out):
        print(f"Error: {error:.4f}\nPred: {predicted}\nTrue: {true}\n{a} + {b} = {out}\n------------")
        log.scalar("error", error, step * settings.batch_size)

    print(f"training {settings.cell} adder: {settings.steps} steps of {settings.batch_size} sums, "
          f"lr {settings.learning_rate}, seed {settings.seed}")
    started = time.perf_counter()
    model = train_adder(settings, report_every=max(1, settings.steps // 10), report=report)
    print(f"trained in {time.perf_counter() - started:.1f}s")
    accuracy = exact_match_accuracy(model, *all_pairs(8), bits=8)
    log.scalar("exact_match_8bit", accuracy, settings.steps)
    print(f"exact-match accuracy on all 16,384 8-bit pairs: {accuracy:.2%}")
    rng = np.random.default_rng(1)
    for bits in args.bits:
        longer = exact_match_accuracy(model, *random_sums(10_000, bits, rng), bits=bits)
        print(f"exact-match accuracy on 10,000 random {bits}-bit sums (trained on 8 bits): {longer:.2%}")
    log.close()
    return 0


def command_primes(args: argparse.Namespace) -> int:
    from models.primes import SequenceSettings, primes_sequence, toy_sequence, train_sequence
    from pipeline.tensorboard import ScalarLog

    name = "toy" if args.toy else "primes"
    settings = SequenceSettings(learning_rate=0.1, iterations=100, seed=2) if args.toy else SequenceSettings()
    for field, value in (("iterations", args.iterations), ("learning_rate", args.learning_rate), ("seed", args.seed)):
        if value is not None:
            setattr(settings, field, value)
    inputs, targets = toy_sequence(settings.input_dim, settings.seed) if args.toy else primes_sequence()
    log = ScalarLog((args.run_dir or Path("runs") / name) / "logs")
    every = 1 if args.toy else 1000

    def report(iteration, loss, predictions):
        log.scalar("loss", loss, iteration)
        if args.toy:
            print(f"iter {iteration:4d}: loss {loss:.3e}")
        else:
            print(f"iter {iteration}\n  y_pred = {predictions.round(5).tolist()}\n  loss: {loss:.5e}")

    if not args.toy:
        print(f"targets = {targets[0].round(2).tolist()}")
    started = time.perf_counter()
    _, losses = train_sequence(inputs, targets, settings, report_every=every, report=report)
    print(f"{name}: loss {losses[0]:.5e} -> {losses[-1]:.5e} after {settings.iterations} iterations "
          f"({time.perf_counter() - started:.1f}s)")
    log.close()
    return 0
