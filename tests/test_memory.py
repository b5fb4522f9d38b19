"""The memory of the training text: its keys, its search, and what it recalls."""

from __future__ import annotations

import numpy as np
import pytest

from lstmlab.models.memory import TrainingMemory, fit_memory_mixture, top_k_columns
from lstmlab.models.numpy_lstm import NumpyLSTM
from lstmlab.models.predictor import NumpyNextWordPredictor

VOCABULARY, LENGTH = 30, 6


def random_predictor(vocabulary: int) -> NumpyNextWordPredictor:
    """A small predictor (D = 8, H = 10) over ``vocabulary`` words with random weights."""
    rng = np.random.default_rng(3)
    lstm = NumpyLSTM(rng.normal(size=(8, 40)), rng.normal(size=(10, 40)) * 0.5, rng.normal(size=40) * 0.1)
    return NumpyNextWordPredictor(rng.normal(size=(vocabulary, 8)), [lstm], rng.normal(size=(10, 8)), np.zeros(8),
                                  rng.normal(size=(vocabulary, 8)), 5.0)


@pytest.fixture(scope="module")
def predictor():
    return random_predictor(VOCABULARY)


def test_every_key_is_the_vector_after_its_position_with_the_longer_context(predictor):
    ids = np.random.default_rng(4).integers(0, VOCABULARY, 50)
    memory = TrainingMemory.from_text(predictor, ids, LENGTH)
    # cut 1 reads windows from 0, 6, ..., 42 (to position 47), cut 2 from 3, 9, ..., 39 (to 44):
    # position 48 is in neither, so every position with a next word but that one has a key
    assert len(memory.keys) == 48
    for position, start in ((0, 0), (4, 0), (5, 0), (8, 3), (9, 6), (11, 6), (40, 36), (47, 42)):
        # position 8 has 3 words of context in cut 1 (from 6), 6 in cut 2 (from 3): the key is
        # the vector after ids[3:9]; position 9 has 4 in cut 1 (from 6), 1 in cut 2
        expected = predictor.predict_vectors(ids[None, start : position + 1])[0]
        np.testing.assert_allclose(memory.keys[position], expected / np.linalg.norm(expected), atol=1e-5)
        assert memory.values[position] == ids[position + 1]


def test_positions_followed_by_an_excluded_word_are_not_stored(predictor):
    ids = np.array([1, 2, 3, 7, 4, 7, 5, 6, 1, 2, 3, 4])
    memory = TrainingMemory.from_text(predictor, ids, LENGTH, excluded=[7])
    assert 7 not in memory.values and len(memory.values) == len(ids) - 1 - 2


def test_a_context_seen_in_training_recalls_what_came_next(predictor):
    rng = np.random.default_rng(5)
    ids = rng.integers(0, VOCABULARY, 600)
    memory = TrainingMemory.from_text(predictor, ids, LENGTH, neighbours=8)
    starts = np.array([36, 108, 252, 402])  # windows of the training text, as its keys were cut
    windows = np.stack([ids[start : start + LENGTH] for start in starts])
    found = memory.nearest(predictor.predict_vectors(windows))
    np.testing.assert_allclose(found.cosines[:, 0], 1.0, atol=1e-5)
    assert np.all(found.cosines[:, :-1] >= found.cosines[:, 1:])  # most similar first
    np.testing.assert_array_equal(found.words[:, 0], ids[starts + LENGTH])
    sharp = memory.target_probabilities(found, ids[starts + LENGTH], temperature=1000.0)
    assert np.all(sharp > 0.99)  # at a high temperature the nearest neighbour alone votes
    distributions = memory.distributions_of(found, 1000.0)
    np.testing.assert_allclose(distributions.sum(axis=1), 1.0)
    np.testing.assert_allclose(distributions[np.arange(4), ids[starts + LENGTH]], sharp)


def test_the_mixture_is_fitted_to_help_where_the_memory_knows_the_answer(predictor):
    rng = np.random.default_rng(6)
    ids = rng.integers(0, VOCABULARY, 600)
    memory = TrainingMemory.from_text(predictor, ids, LENGTH)
    starts = rng.integers(0, 590 - LENGTH, 200)  # held-out text that repeats the training text
    windows, targets = np.stack([ids[s : s + LENGTH] for s in starts]), ids[starts + LENGTH]
    found = memory.nearest(predictor.predict_vectors(windows))
    model_p = np.exp(predictor.log_probabilities(predictor.predict_vectors(windows)))[np.arange(200), targets]
    temperature, weight, perplexity = fit_memory_mixture(memory, found, targets, model_p)
    assert temperature == 100.0 and weight < 0.2  # the memory is nearly always right: it gets the weight
    assert perplexity < 0.5 * np.exp(-np.mean(np.log(model_p)))


@pytest.mark.parametrize("columns, k, block", [(1000, 5, 16), (5000, 64, 32), (1000, 64, 256), (70, 64, 16), (64, 64, 8), (10, 3, 256)])
def test_top_k_columns_equals_a_full_sort(columns, k, block):
    scores = np.random.default_rng(columns + k).normal(size=(7, columns)).astype(np.float32)
    scores[0, :] = 0.5  # ties
    found = np.sort(np.take_along_axis(scores, top_k_columns(scores, k, block), axis=1), axis=1)
    np.testing.assert_array_equal(found, np.sort(scores, axis=1)[:, -k:])
