"""Scoring: a target's rank, as the top-k hits count it, is its place in the full ranking
(highest first, ties in id order)."""

from __future__ import annotations

import numpy as np

from lstmlab.corpus.scoring import score_log_probabilities, target_ranks


def ranking(scores: np.ndarray) -> np.ndarray:
    """Every row's ids (B, V), highest score first, ties in id order."""
    return np.argsort(-scores, axis=1, kind="stable")


def test_target_ranks_equal_the_place_in_the_ranking_ties_included():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 6, size=(300, 40)).astype(np.float64)  # many ties per row
    scores[:, 7] = -np.inf  # a word never predicted
    targets = rng.integers(0, 40, size=300)
    targets[targets == 7] = 8
    expected = np.argmax(ranking(scores) == targets[:, None], axis=1)
    np.testing.assert_array_equal(target_ranks(scores, targets), expected)


def test_top1_and_top10_count_the_same_hits_as_a_ranking_with_ties_at_the_tenth_place():
    rng = np.random.default_rng(1)
    weights = rng.integers(1, 4, size=(500, 30)).astype(np.float64)  # ties straddle the 10th place
    log_p = np.log(weights / weights.sum(axis=1, keepdims=True))
    targets = rng.integers(0, 30, size=500)
    ranked = ranking(log_p)
    score = score_log_probabilities(log_p, targets)
    assert score.top1 == np.mean(ranked[:, 0] == targets)
    assert score.top10 == np.mean(np.any(ranked[:, :10] == targets[:, None], axis=1))
    assert 0.0 < score.top1 < score.top10 < 1.0
