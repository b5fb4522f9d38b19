"""Word ids, the positional train/validation split and windows cut on the fly; baselines."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.baselines import bigram_table, top_k_accuracy, unigram_ranking
from corpus.windows import split_at_boundary, split_windows, token_ids, window_batch


def test_token_ids_skip_unknown_words():
    ids, skipped = token_ids(["我 来到 北京", "北京 很 大"], {"北京": 0, "我": 1, "很": 2})
    assert ids.dtype == np.int32 and ids.tolist() == [1, 0, 0, 2] and skipped == 2


def test_split_never_overlaps():
    split = split_windows(1000, length=20, validation_fraction=0.1)
    assert split.boundary == 900
    last_train_target = split.train_starts[-1] + 20
    assert last_train_target == 899  # every training target lies before the boundary
    assert split.validation_starts[0] == 900 and split.validation_starts[-1] + 20 == 999
    assert len(split.train_starts) == 880 and len(split.validation_starts) == 80
    again = split_at_boundary(1000, 20, split.boundary)  # how a run folder's stored boundary is read back
    np.testing.assert_array_equal(again.train_starts, split.train_starts)
    np.testing.assert_array_equal(again.validation_starts, split.validation_starts)


def test_split_rejects_too_little_text():
    with pytest.raises(ValueError, match="too few"):
        split_windows(10, length=20, validation_fraction=0.1)
    with pytest.raises(ValueError, match="too short"):
        split_windows(100, length=20, validation_fraction=0.1)


def test_window_batch_cuts_inputs_and_targets():
    ids = np.arange(100, dtype=np.int32)
    inputs, targets = window_batch(ids, np.array([0, 7]), length=3)
    assert inputs.tolist() == [[0, 1, 2], [7, 8, 9]] and targets.tolist() == [3, 10]


def test_baselines_on_a_known_stream():
    train = np.array([0, 1, 0, 1, 0, 2, 0, 1, 3], dtype=np.int32)
    assert unigram_ranking(train, 5, 3).tolist() == [0, 1, 2]
    table = bigram_table(train, 5, 2)
    assert table[0].tolist() == [1, 2]  # 0 is followed by 1 three times, by 2 once
    assert table[2].tolist() == [0, 1]  # one follower, topped up with the most frequent other word
    assert table[4].tolist() == [0, 1]  # never seen: the unigram ranking
    ranked = table[np.array([0, 0, 2])]
    assert top_k_accuracy(ranked, np.array([1, 2, 3]), 1) == pytest.approx(1 / 3)
    assert top_k_accuracy(ranked, np.array([1, 2, 3]), 2) == pytest.approx(2 / 3)
