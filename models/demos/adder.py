"""Keras port of iamtrask's binary-adder RNN.

The blog's setup (the ``blog`` preset of :class:`AdderSettings`): 8-bit numbers a, b < 128,
bits fed least significant first, 2 inputs per step, 16 sigmoid recurrent units with no biases,
one sigmoid output per step, weights uniform in [-1, 1), plain SGD with learning rate 0.1 on
half the summed squared error, 10,000 sums shown one at a time::

    >>> model = train_adder(settings_for(AdderSettings, PRESETS, "default", steps=2000))
    >>> exact_match_accuracy(model, *all_pairs(8), bits=8) > 0.99
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
from keras import ops

from lstmlab.models.demos.binary import addition_examples, all_pairs, from_bits, random_sums  # noqa: F401 (all_pairs: doctest)
from lstmlab.models.presets import settings_for  # noqa: F401 (doctest)


@dataclass
class AdderSettings:
    """``cell`` is "rnn" (the blog's) or "lstm"; ``steps`` sums are shown ``batch_size`` at a time."""

    bits: int = 8
    hidden: int = 16
    cell: str = "rnn"
    learning_rate: float = 0.1
    steps: int = 10_000
    batch_size: int = 1
    rng_seed: int = 0


# Presets are overrides of the defaults above (the blog's): "blog" is the original post's run,
# "default" the fast, reliable one.
PRESETS: dict[str, dict] = {
    "default": {"learning_rate": 1.0, "batch_size": 8, "steps": 3000},
    "blog": {"rng_seed": 2},
}


def half_sum_squared_error(y_true, y_pred):
    """0.5 * sum over time steps of (target - output)^2, per sequence: the blog's error."""
    return 0.5 * ops.sum(ops.square(y_true - y_pred), axis=(1, 2))


def build_adder_model(hidden: int = 16, cell: str = "rnn", seed: int = 0) -> keras.Model:
    """bits (B, T, 2) -> sum bits (B, T, 1); any T, so an 8-bit model can add 32-bit numbers."""
    uniform = keras.initializers.RandomUniform(-1.0, 1.0, seed=seed)
    inputs = keras.Input(shape=(None, 2), name="operand_bits")
    if cell == "rnn":
        recurrent = keras.layers.SimpleRNN(hidden, activation="sigmoid", use_bias=False, return_sequences=True,
                                           kernel_initializer=uniform, recurrent_initializer=uniform, name="rnn")
    elif cell == "lstm":
        recurrent = keras.layers.LSTM(hidden, return_sequences=True, name="lstm")
    else:
        raise ValueError(f"cell must be 'rnn' or 'lstm', got {cell!r}")
    outputs = keras.layers.Dense(1, activation="sigmoid", use_bias=False, kernel_initializer=uniform,
                                 name="sum_bit")(recurrent(inputs))
    return keras.Model(inputs, outputs, name=f"adder_{cell}")


def exact_match_accuracy(model: keras.Model, a: np.ndarray, b: np.ndarray, bits: int) -> float:
    """Share of pairs whose predicted sum is exactly a + b."""
    inputs, _ = addition_examples(a, b, bits)
    predicted = from_bits(model.predict(inputs, batch_size=4096, verbose=0)[..., 0])
    return float(np.mean(predicted == np.asarray(a) + np.asarray(b)))


class _Reporter(keras.callbacks.Callback):
    """Calls ``report(step, error, predicted bits, true bits, a, b, predicted sum)`` every ``every`` steps."""

    def __init__(self, every: int, bits: int, rng: np.random.Generator, report: Callable) -> None:
        super().__init__()
        self.every, self.bits, self.rng, self.report = every, bits, rng, report

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if (batch + 1) % self.every:
            return
        a, b = random_sums(1, self.bits, self.rng)
        inputs, targets = addition_examples(a, b, self.bits)
        output = self.model.predict(inputs, verbose=0)
        error = float(np.abs(targets - output).sum())
        predicted_bits = (output[0, ::-1, 0] > 0.5).astype(int)
        self.report(batch + 1, error, predicted_bits, targets[0, ::-1, 0].astype(int), int(a[0]), int(b[0]),
                    int(from_bits(output[..., 0])[0]))


def train_adder(settings: AdderSettings, report_every: int = 1000, report: Callable | None = None,
                callbacks: list | None = None) -> keras.Model:
    """Train on ``settings.steps`` random sums; ``report`` gets progress every ``report_every`` steps."""
    keras.utils.set_random_seed(settings.rng_seed)
    rng = np.random.default_rng(settings.rng_seed)
    model = build_adder_model(settings.hidden, settings.cell, settings.rng_seed)
    model.compile(optimizer=keras.optimizers.SGD(settings.learning_rate), loss=half_sum_squared_error)
    count = settings.steps * settings.batch_size
    inputs, targets = addition_examples(*random_sums(count, settings.bits, rng), settings.bits)
    extra = [_Reporter(report_every, settings.bits, rng, report)] if report else []
    model.fit(inputs, targets, batch_size=settings.batch_size, epochs=1, shuffle=False, verbose=0,
              callbacks=extra + list(callbacks or []))
    return model
