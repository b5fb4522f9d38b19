"""``lstmlab cifar``: train the Torch7 tutorial's LeNet on CIFAR-10 and print the blog's report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_cifar_command(commands) -> None:
    cifar = commands.add_parser("cifar", help="the Torch7 tutorial's CIFAR-10 LeNet in Keras",
                                description="Train conv-pool-conv-pool-120-84-10 LeNet with per-channel "
                                "normalisation; print test image 100's class probabilities, the test accuracy "
                                "and the accuracy per class. Data: tensorflow-datasets 'cifar10' (downloads when "
                                "online), or --data-dir.")
    cifar.add_argument("--preset", choices=["default", "seed"], default="default",
                       help="default: batch 32, SGD momentum 0.9, lr 0.01 with cosine decay, flips, 15 epochs; "
                       "seed: Torch's StochasticGradient, SGD lr 0.001, batch 1, 5 epochs")
    cifar.add_argument("--data-dir", type=Path, help="folder of test.npz + train*.npz (arrays images, labels), or "
                       "a folder with / path to the official cifar-10-python.tar.gz")
    cifar.add_argument("--epochs", type=int, help="override the preset's epochs")
    cifar.add_argument("--batch-size", type=int, help="override the preset's batch size")
    cifar.add_argument("--limit", type=int, default=0, help="use only the first N training images (quick trials)")
    cifar.add_argument("--run-dir", type=Path, default=Path("runs/cifar"))
    cifar.set_defaults(handler=command_cifar)


def command_cifar(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np

    from models.cifar import SEED_SETTINGS, CifarSettings, train_cifar
    from models.cifar_data import CLASS_NAMES, load_cifar
    from pipeline.tensorboard import tensorflow_available

    settings = dataclasses.replace(SEED_SETTINGS) if args.preset == "seed" else CifarSettings()
    if args.epochs:
        settings.epochs = args.epochs
    if args.batch_size:
        settings.batch_size = args.batch_size
    data = load_cifar(args.data_dir)
    if args.limit:
        order = np.random.default_rng(0).permutation(len(data.train_images))[: args.limit]
        data.train_images, data.train_labels = data.train_images[order], data.train_labels[order]
    print(f"{len(data.train_images)} training and {len(data.test_images)} test images; {settings}")
    callbacks = []
    if tensorflow_available():
        import keras
        callbacks.append(keras.callbacks.TensorBoard(str(args.run_dir / "logs"), write_graph=False))
    _, report = train_cifar(data, settings, callbacks, verbose=1 if sys.stdout.isatty() else 2)
    print(f"test image 100, true class {CLASS_NAMES[report.label_100]}:")
    for name, probability in zip(CLASS_NAMES, report.probabilities_100):
        print(f"  {name:10s} {probability:.4f}")
    print(f"test accuracy: {report.test_accuracy:.2%}")
    for name, accuracy in report.class_accuracy.items():
        print(f"  {name:10s} {accuracy:.1%}")
    seconds = report.epoch_seconds
    print(f"seconds per epoch: {', '.join(f'{s:.1f}' for s in seconds)} (median {np.median(seconds):.1f})")
    return 0
