"""Scoring: a target's rank, as the top-k hits count it, equals its place in a full top-k."""

from __future__ import annotations

import numpy as np

from corpus.scoring import score_log_probabilities, target_ranks, top_k_ids


def test_target_ranks_equal_the_place_in_top_k_ids_ties_included():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 6, size=(300, 40)).astype(np.float64)  # many ties per row
    scores[:, 7] = -np.inf  # a word never predicted
    targets = rng.integers(0, 40, size=300)
    targets[targets == 7] = 8
    ranking = top_k_ids(scores, 40)
    expected = np.argmax(ranking == targets[:, None], axis=1)
    np.testing.assert_array_equal(target_ranks(scores, targets), expected)


def test_top1_and_top10_count_the_same_hits_as_a_ranking():
    rng = np.random.default_rng(1)
    log_p = np.log(rng.dirichlet(np.full(30, 0.3), size=500))
    log_p[:, :5] = np.round(log_p[:, :5], 1)  # some ties
    targets = rng.integers(0, 30, size=500)
    ranking = top_k_ids(log_p, 10)
    score = score_log_probabilities(log_p, targets)
    assert score.top1 == np.mean(ranking[:, 0] == targets)
    assert score.top10 == np.mean(np.any(ranking == targets[:, None], axis=1))
    assert 0.0 < score.top1 < score.top10 < 1.0
