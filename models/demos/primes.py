"""Keras port of nicodjimenez's LSTM demos: the next-prime sequence and the repeat toy.

Both feed one sequence of 50-dimensional inputs into an LSTM of 100 cells and read the
prediction at each step from the *first hidden unit*; the loss is the squared error summed
over the steps, minimised by plain SGD on that one sequence.

* next prime (``primes_sequence``): the primes below 100, divided by 100. Sample i is the 50
  primes starting at position i (wrapping around the 25 primes), its target the prime after
  them; the 10 samples form one 10-step sequence. Blog: lr 0.01, 10,000 iterations.
* repeat toy (``toy_sequence``, the blog's example_0): targets [-0.5, 0.2, 0.1, -0.5] from 4
  random inputs; lr 0.1, 100 iterations.

As in the blog, every weight and bias starts uniform in [-0.1, 0.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
from keras import ops

PRIMES_BELOW_100 = np.array([2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
                             73, 79, 83, 89, 97])
TOY_TARGETS = np.array([-0.5, 0.2, 0.1, -0.5])


@dataclass
class SequenceSettings:
    """One-sequence SGD training of the first-unit LSTM."""

    cells: int = 100
    input_dim: int = 50
    learning_rate: float = 0.01
    iterations: int = 10_000
    rng_seed: int = 0


# Presets are overrides of the defaults above (the blog's next-prime run).
PRESETS: dict[str, dict] = {
    "primes": {},
    "toy": {"learning_rate": 0.1, "iterations": 100, "rng_seed": 2},
}


def primes_sequence(samples: int = 10, window: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (1, samples, window) and targets (1, samples) of the next-prime task, scaled by 1/100."""
    scaled = PRIMES_BELOW_100 / 100.0
    count = len(scaled)
    inputs = np.array([[scaled[(i + j) % count] for j in range(window)] for i in range(samples)])
    targets = np.array([scaled[(i + window) % count] for i in range(samples)])
    return inputs[None].astype(np.float32), targets[None].astype(np.float32)


def toy_sequence(input_dim: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The repeat toy: 4 random inputs (1, 4, input_dim) in [0, 1) and targets (1, 4)."""
    inputs = np.random.default_rng(seed).random((1, len(TOY_TARGETS), input_dim))
    return inputs.astype(np.float32), TOY_TARGETS[None].astype(np.float32)


def summed_squared_error(y_true, y_pred):
    """Sum over the steps of (target - first hidden unit)^2, per sequence."""
    return ops.sum(ops.square(y_true - y_pred), axis=-1)


@keras.saving.register_keras_serializable(package="lstmlab")
class FirstUnit(keras.layers.Layer):
    """(B, T, H) -> (B, T): the first hidden unit at every step."""

    def call(self, hidden):
        return hidden[..., 0]


def build_first_unit_lstm(cells: int = 100, input_dim: int = 50, seed: int = 0) -> keras.Model:
    """inputs (B, T, input_dim) -> first hidden unit of an LSTM(cells) at each step (B, T)."""
    uniform = keras.initializers.RandomUniform(-0.1, 0.1, seed=seed)
    inputs = keras.Input(shape=(None, input_dim))
    hidden = keras.layers.LSTM(cells, return_sequences=True, kernel_initializer=uniform,
                               recurrent_initializer=uniform, bias_initializer=uniform, unit_forget_bias=False,
                               name="lstm")(inputs)
    return keras.Model(inputs, FirstUnit(name="first_unit")(hidden), name="first_unit_lstm")


def sequence_loss(model: keras.Model, inputs: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """The summed squared error on the sequence now, and the predictions (T,)."""
    predictions = model.predict(inputs, verbose=0)
    return float(np.sum((predictions - targets) ** 2)), predictions[0]


def train_sequence(inputs: np.ndarray, targets: np.ndarray, settings: SequenceSettings, report_every: int = 1000,
                   report: Callable | None = None) -> tuple[keras.Model, list[float]]:
    """SGD on one sequence for ``settings.iterations`` steps.

    Returns the model and the loss before each step, followed by the loss after the last
    step (``iterations + 1`` values). ``report(iteration, loss, predictions (T,))`` is called
    before step 0, every ``report_every`` steps, and after the last step.
    """
    keras.utils.set_random_seed(settings.rng_seed)
    model = build_first_unit_lstm(settings.cells, inputs.shape[-1], settings.rng_seed)
    model.compile(optimizer=keras.optimizers.SGD(settings.learning_rate), loss=summed_squared_error)
    losses: list[float] = []
    for iteration in range(settings.iterations):
        if report and iteration % report_every == 0:
            report(iteration, *sequence_loss(model, inputs, targets))
        losses.append(float(model.train_on_batch(inputs, targets)))
    final_loss, predictions = sequence_loss(model, inputs, targets)
    losses.append(final_loss)
    if report:
        report(settings.iterations, final_loss, predictions)
    return model, losses
