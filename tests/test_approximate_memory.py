"""The memory searched through faiss: the same keys as the exact memory, and most of its neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from lstmlab.models.approximate_memory import ApproximateMemory, recall_of
from lstmlab.models.memory import TrainingMemory, memory_keys
from tests.test_memory import random_predictor

VOCABULARY, LENGTH = 40, 6


@pytest.fixture(scope="module")
def predictor():
    return random_predictor(VOCABULARY)


def test_keys_made_block_by_block_equal_the_keys_of_the_whole_text(predictor):
    ids = np.random.default_rng(4).integers(0, VOCABULARY, 500)
    whole = TrainingMemory.from_text(predictor, ids, LENGTH, excluded=[7])
    blocks = list(memory_keys(predictor, ids, LENGTH, excluded=[7], block_windows=3))
    assert len(blocks) > 20
    np.testing.assert_allclose(np.concatenate([keys for _, keys, _ in blocks]), whole.keys, atol=1e-6)
    assert np.array_equal(np.concatenate([values for _, _, values in blocks]), whole.values)
    positions = np.concatenate([positions for positions, _, _ in blocks])
    assert np.array_equal(ids[positions + 1], whole.values) and np.all(np.diff(positions) > 0)


def test_the_index_finds_the_exact_neighbours_and_their_votes(predictor):
    ids = np.random.default_rng(5).integers(0, VOCABULARY, 30_000)
    exact = TrainingMemory.from_text(predictor, ids, LENGTH, neighbours=16)
    approximate = ApproximateMemory.from_text(predictor, ids, LENGTH, neighbours=16)
    assert len(approximate.values) == len(exact.values) and approximate.index.nlist == 30_000 // 256
    queries = predictor.predict_vectors(np.random.default_rng(6).integers(0, VOCABULARY, (300, LENGTH)))
    reached = approximate.tune_probes(queries[:100], target_recall=0.95)
    assert reached >= 0.95 and approximate.probes < approximate.index.nlist
    found, truth = approximate.nearest(queries[100:]), exact.nearest(queries[100:])
    assert recall_of(found.indices, truth.indices) >= 0.9  # on queries it was not tuned on
    approximate.probes = approximate.index.nlist  # every cell: exact but for float16 keys
    everywhere = approximate.nearest(queries[100:])
    assert recall_of(everywhere.indices, truth.indices) >= 0.99
    np.testing.assert_allclose(everywhere.cosines, truth.cosines, atol=2e-3)
    same = np.array([set(a) == set(b) for a, b in zip(everywhere.indices, truth.indices)])
    assert same.mean() > 0.8  # the others differ in a neighbour at the edge, where float16 reorders near-ties
    np.testing.assert_allclose(approximate.distributions_of(everywhere, 10.0)[same],
                               exact.distributions_of(truth, 10.0)[same], atol=2e-3)


def test_a_cell_with_fewer_keys_than_neighbours_gives_them_no_vote(predictor):
    ids = np.random.default_rng(7).integers(0, VOCABULARY, 2000)
    memory = ApproximateMemory.from_text(predictor, ids, LENGTH, neighbours=64)
    memory.probes = 1
    found = memory.nearest(predictor.predict_vectors(ids[None, :LENGTH]))
    missing = found.indices < 0
    if missing.any():
        distribution = memory.distributions_of(found, 10.0)
        assert distribution.sum() == pytest.approx(1.0) and (found.cosines[missing] < -1).all()
