"""The classic demos learn: Keras ports and their numpy references, on small fast settings."""

from __future__ import annotations

import numpy as np
import pytest

from lstmlab.models.demos.adder import AdderSettings, exact_match_accuracy, train_adder
from lstmlab.models.demos.binary import addition_examples, all_pairs, from_bits, random_sums, to_bits
from lstmlab.models.demos.numpy_demos import NumpyAdderRNN, train_numpy_adder, train_numpy_sequence
from tests.gradcheck import numeric_gradient
from lstmlab.models.demos.primes import PRIMES_BELOW_100, SequenceSettings, primes_sequence, toy_sequence, train_sequence


def test_bits_round_trip_least_significant_first():
    assert to_bits(np.array([6]), 4).tolist() == [[0, 1, 1, 0]]
    values = np.array([0, 1, 127, 255, 2**31 - 1])
    assert from_bits(to_bits(values, 32)).tolist() == values.tolist()
    inputs, targets = addition_examples(np.array([3]), np.array([5]), 8)
    assert inputs.shape == (1, 8, 2) and from_bits(targets[..., 0]).tolist() == [8]
    assert len(all_pairs(8)[0]) == 16_384


def test_keras_adder_reaches_100_percent_on_every_8_bit_sum():
    model = train_adder(AdderSettings(learning_rate=1.0, batch_size=8, steps=3000))
    assert exact_match_accuracy(model, *all_pairs(8), bits=8) == 1.0


def test_numpy_adder_reaches_100_percent_on_every_8_bit_sum():
    model = train_numpy_adder(steps=3000, batch_size=8, learning_rate=1.0)
    assert model.accuracy(*all_pairs(8), bits=8) == 1.0
    rng = np.random.default_rng(5)
    assert model.accuracy(*random_sums(2000, 16, rng), bits=16) > 0.99


def test_numpy_adder_gradient_matches_finite_differences():
    model = NumpyAdderRNN(hidden=4, seed=3)
    inputs, targets = addition_examples(np.array([5, 9]), np.array([7, 2]), 8)
    weights = (model.w_in, model.w_h, model.w_out)
    before = [w.copy() for w in weights]
    model.train_step(inputs, targets, learning_rate=1.0)  # w -= 1.0 * grad
    analytic = [b - w for b, w in zip(before, weights)]
    for w, b in zip(weights, before):
        w[...] = b

    def loss():
        out, _ = model.forward(inputs)
        return 0.5 * np.sum((targets - out) ** 2) / 2

    for weight, grad in zip(weights, analytic):
        numeric = numeric_gradient(loss, weight)
        assert np.abs(numeric - grad).max() < 1e-7 * max(1.0, np.abs(numeric).max())


def test_primes_sequence_is_the_blogs():
    inputs, targets = primes_sequence()
    assert inputs.shape == (1, 10, 50) and targets.shape == (1, 10)
    assert inputs[0, 0, 0] == pytest.approx(0.02) and inputs[0, 0, 25] == pytest.approx(0.02)  # wraps
    assert targets[0].tolist() == pytest.approx((PRIMES_BELOW_100[np.arange(50, 60) % 25] / 100).tolist())


def test_keras_primes_loss_falls():
    inputs, targets = primes_sequence()
    _, losses = train_sequence(inputs, targets, SequenceSettings(iterations=300, learning_rate=0.05))
    assert losses[-1] < 0.05 * losses[0]


def test_numpy_and_keras_toy_losses_fall_alike():
    inputs, targets = toy_sequence(seed=2)
    _, keras_losses = train_sequence(inputs, targets, SequenceSettings(learning_rate=0.1, iterations=100, rng_seed=2))
    _, numpy_losses = train_numpy_sequence(inputs, targets, 100, 0.1, 100, seed=2)
    assert keras_losses[-1] < 1e-3
    assert numpy_losses[-1] < 0.01 * numpy_losses[0]
