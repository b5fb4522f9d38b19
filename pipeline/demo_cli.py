"""CLI commands for the classic demos (``adder``, ``primes``, ``cifar``) and the numpy
reference LSTM (``reference``). Each parses, calls a trainer in :mod:`models.demos`, prints
the blog-style progress and writes TensorBoard scalars under ``runs/<demo>/logs``.

The trainers and the TensorBoard wiring import Keras, so each command imports them when it
runs (start-up time of every other command).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from lstmlab.models.presets import settings_for
from lstmlab.pipeline.files import user_path

PRESET_HELP = "'default' (fast, reliable) or 'blog' (the original post's settings)"


def add_commands(commands) -> None:
    """Add the demo subcommands to the ``lstmlab`` parser's subparsers."""
    adder = commands.add_parser("adder", help="iamtrask's binary-adder RNN in Keras",
                                description="Learn 8-bit binary addition with a 16-unit sigmoid RNN, bits least "
                                "significant first; then report exact-match accuracy on all 16,384 pairs a, b < 128 "
                                "and on longer numbers (--bits).")
    adder.add_argument("--preset", choices=["default", "blog"], default="default", help=PRESET_HELP)
    adder.add_argument("--cell", choices=["rnn", "lstm"], default="rnn", help="recurrent layer (default rnn)")
    adder.add_argument("--steps", type=int, help="training steps (blog: 10,000 sums one at a time)")
    adder.add_argument("--bits", type=int, nargs="*", default=[16, 32],
                       help="also test the 8-bit-trained model on these widths (default 16 32)")
    adder.add_argument("--rng-seed", type=int, help="random seed")
    adder.add_argument("--run-dir", type=user_path, default=Path("runs/adder"))
    adder.add_argument("--inspect", action="store_true",
                       help="then look inside (--cell lstm): the unit that follows the carry bit (Pearson r), how well a "
                       "linear read-out of h tells the carry, how often each gate saturates")
    adder.set_defaults(handler=command_adder, uses_keras=True)

    primes = commands.add_parser("primes", help="nicodjimenez's next-prime LSTM in Keras (--toy: the repeat toy)",
                                 description="Train an LSTM(100) whose first hidden unit predicts the next prime "
                                 "(primes below 100, scaled by 1/100) with SGD on one 10-step sequence.")
    primes.add_argument("--toy", action="store_true", help="the blog's example_0: 4 targets, lr 0.1, 100 iterations")
    primes.add_argument("--iterations", type=int, help="SGD steps (primes 10,000; toy 100)")
    primes.add_argument("--learning-rate", type=float, help="(primes 0.01; toy 0.1)")
    primes.add_argument("--rng-seed", type=int, default=None, help="random seed (primes 0; toy 2)")
    primes.add_argument("--run-dir", type=user_path, default=None, help="default runs/primes or runs/toy")
    primes.set_defaults(handler=command_primes, uses_keras=True)

    cifar = commands.add_parser("cifar", help="the Torch7 tutorial's CIFAR-10 LeNet in Keras",
                                description="Train conv-pool-conv-pool-120-84-10 LeNet with per-channel "
                                "normalisation; print test image 100's class probabilities, the test accuracy "
                                "and the accuracy per class. Data: tensorflow-datasets 'cifar10' (downloads when "
                                "online), or --data-dir.")
    cifar.add_argument("--preset", choices=["default", "blog"], default="default",
                       help="default: batch 32, SGD momentum 0.9, lr 0.01 with cosine decay, flips, 15 epochs; "
                       "blog: Torch's StochasticGradient, SGD lr 0.001, batch 1, 5 epochs")
    cifar.add_argument("--data-dir", type=user_path, help="folder of test.npz + train*.npz (arrays images, labels), or "
                       "a folder with / path to the official cifar-10-python.tar.gz")
    cifar.add_argument("--epochs", type=int, help="override the preset's epochs")
    cifar.add_argument("--batch-size", type=int, help="override the preset's batch size")
    cifar.add_argument("--limit", type=int, default=0, help="use only the first N training images (quick trials)")
    cifar.add_argument("--run-dir", type=user_path, default=Path("runs/cifar"))
    cifar.set_defaults(handler=command_cifar, uses_keras=True)

    reference = commands.add_parser("reference", help="train the numpy reference versions of adder, primes, toy",
                                    description="The same demos as `lstmlab adder --preset blog` and `lstmlab primes`, "
                                    "trained with the hand-written numpy forward and backward passes "
                                    "(models/numpy_lstm.py), with the same preset settings.")
    reference.add_argument("demo", choices=["adder", "primes", "toy"])
    reference.add_argument("--rng-seed", type=int, default=None, help="random seed (adder 2, primes 0, toy 2)")
    reference.set_defaults(handler=command_reference)


def _inspect_adder(model, cell: str) -> None:
    """Print the unit of a trained LSTM adder that carries, found over 300 random 8-bit sums."""
    from lstmlab.models.demos.binary import addition_examples, random_sums
    from lstmlab.models.inspection import carry_bits, find_carry_unit
    from lstmlab.models.numpy_lstm import NumpyLSTM

    if cell != "lstm":
        raise ValueError("--inspect looks inside an LSTM: add --cell lstm")
    a, b = random_sums(300, 8, np.random.default_rng(5))
    found = find_carry_unit(NumpyLSTM.from_keras(model.get_layer("lstm")), addition_examples(a, b, 8)[0],
                            carry_bits(a, b, 8))
    print(f"the carry bit over {found['steps']} steps (300 random sums), the units that follow it best (Pearson r):")
    for unit in found["best_units"]:
        print(f"  {unit['state']}[{unit['unit']}]  r = {unit['r']:+.3f}")
    print(f"a linear read-out of h tells the carry at {found['probe_accuracy']:.1%} of held-out steps")


def command_adder(args: argparse.Namespace) -> int:
    from lstmlab.models.demos import adder
    from lstmlab.models.demos.binary import all_pairs, random_sums
    from lstmlab.pipeline.tensorboard import ScalarLog

    settings = settings_for(adder.AdderSettings, adder.PRESETS, args.preset, cell=args.cell, steps=args.steps,
                            rng_seed=args.rng_seed)
    log = ScalarLog(args.run_dir / "logs")

    def report(step, error, predicted, true, a, b, out):
        print(f"Error: {error:.4f}\nPred: {predicted}\nTrue: {true}\n{a} + {b} = {out}\n------------")
        log.scalar("error", error, step * settings.batch_size)

    print(f"training {settings.cell} adder: {settings.steps} steps of {settings.batch_size} sums, "
          f"lr {settings.learning_rate}, random seed {settings.rng_seed}")
    started = time.perf_counter()
    model = adder.train_adder(settings, report_every=max(1, settings.steps // 10), report=report)
    print(f"trained in {time.perf_counter() - started:.1f}s")
    accuracy = adder.exact_match_accuracy(model, *all_pairs(8), bits=8)
    log.scalar("exact_match_8bit", accuracy, settings.steps)
    print(f"exact-match accuracy on all 16,384 8-bit pairs: {accuracy:.2%}")
    rng = np.random.default_rng(1)
    for bits in args.bits:
        longer = adder.exact_match_accuracy(model, *random_sums(10_000, bits, rng), bits=bits)
        print(f"exact-match accuracy on 10,000 random {bits}-bit sums (trained on 8 bits): {longer:.2%}")
    log.close()
    if args.inspect:
        _inspect_adder(model, settings.cell)
    return 0


def command_primes(args: argparse.Namespace) -> int:
    from lstmlab.models.demos import primes
    from lstmlab.pipeline.tensorboard import ScalarLog

    name = "toy" if args.toy else "primes"
    settings = settings_for(primes.SequenceSettings, primes.PRESETS, name, iterations=args.iterations,
                            learning_rate=args.learning_rate, rng_seed=args.rng_seed)
    inputs, targets = primes.toy_sequence(settings.input_dim, settings.rng_seed) if args.toy else primes.primes_sequence()
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
    _, losses = primes.train_sequence(inputs, targets, settings, report_every=every, report=report)
    print(f"{name}: loss {losses[0]:.5e} -> {losses[-1]:.5e} after {settings.iterations} iterations "
          f"({time.perf_counter() - started:.1f}s)")
    log.close()
    return 0


def command_cifar(args: argparse.Namespace) -> int:
    from lstmlab.models.demos import cifar
    from lstmlab.models.demos.cifar_data import CLASS_NAMES, load_cifar
    from lstmlab.pipeline.tensorboard import tensorflow_available

    settings = settings_for(cifar.CifarSettings, cifar.PRESETS, args.preset, epochs=args.epochs,
                            batch_size=args.batch_size)
    data = load_cifar(args.data_dir)
    if args.limit:
        order = np.random.default_rng(0).permutation(len(data.train_images))[: args.limit]
        data.train_images, data.train_labels = data.train_images[order], data.train_labels[order]
    print(f"{len(data.train_images)} training and {len(data.test_images)} test images; {settings}")
    callbacks = []
    if tensorflow_available():
        import keras

        callbacks.append(keras.callbacks.TensorBoard(str(args.run_dir / "logs"), write_graph=False))
    _, report = cifar.train_cifar(data, settings, callbacks, verbose=1 if sys.stdout.isatty() else 2)
    print(f"test image 100, true class {CLASS_NAMES[report.label_100]}:")
    for name, probability in zip(CLASS_NAMES, report.probabilities_100):
        print(f"  {name:10s} {probability:.4f}")
    print(f"test accuracy: {report.test_accuracy:.2%}")
    for name, accuracy in report.class_accuracy.items():
        print(f"  {name:10s} {accuracy:.1%}")
    seconds = report.epoch_seconds
    print(f"seconds per epoch: {', '.join(f'{s:.1f}' for s in seconds)} (median {np.median(seconds):.1f})")
    return 0


def command_reference(args: argparse.Namespace) -> int:
    from lstmlab.models.demos import adder, primes
    from lstmlab.models.demos.binary import all_pairs
    from lstmlab.models.demos.numpy_demos import train_numpy_adder, train_numpy_sequence

    started = time.perf_counter()
    if args.demo == "adder":
        settings = settings_for(adder.AdderSettings, adder.PRESETS, "blog", rng_seed=args.rng_seed)
        model = train_numpy_adder(settings.steps, settings.batch_size, settings.learning_rate, seed=settings.rng_seed,
                                  report=lambda step, loss: print(f"step {step}: error {loss:.4f}"))
        print(f"exact-match accuracy on all 16,384 8-bit pairs: {model.accuracy(*all_pairs(8), 8):.2%}")
    else:
        toy = args.demo == "toy"
        settings = settings_for(primes.SequenceSettings, primes.PRESETS, args.demo, rng_seed=args.rng_seed)
        inputs, targets = primes.toy_sequence(seed=settings.rng_seed) if toy else primes.primes_sequence()

        def report(iteration, loss, predictions):
            extra = "" if toy else f"  y_pred = {predictions.round(5).tolist()}"
            print(f"iter {iteration:5d}: loss {loss:.5e}{extra}")

        _, losses = train_numpy_sequence(inputs, targets, settings.cells, settings.learning_rate, settings.iterations,
                                         seed=settings.rng_seed, report_every=1 if toy else 1000, report=report)
        print(f"{args.demo} (numpy): loss {losses[0]:.5e} -> {losses[-1]:.5e}")
    print(f"{time.perf_counter() - started:.1f}s")
    return 0
