"""Word ids, the positional train/validation split and windows cut on the fly; baselines."""

from __future__ import annotations

import numpy as np
import pytest

from lstmlab.corpus.baselines import bigram_table, top_k_accuracy, unigram_ranking
from lstmlab.corpus.windows import sequence_batch, split_at_boundaries, split_windows, token_ids, window_batch


def test_token_ids_skip_unknown_words():
    ids, skipped = token_ids(["我 来到 北京", "北京 很 大"], {"北京": 0, "我": 1, "很": 2})
    assert ids.dtype == np.int32 and ids.tolist() == [1, 0, 0, 2] and skipped == 2


def test_split_never_overlaps():
    split = split_windows(1000, length=20, validation_fraction=0.1, test_fraction=0.05)
    assert (split.validation_boundary, split.test_boundary) == (850, 950)
    assert split.train_starts[-1] + 20 == 849  # every training target lies before the validation part
    assert split.validation_starts[0] == 850 and split.validation_starts[-1] + 20 == 949
    assert split.test_starts[0] == 950 and split.test_starts[-1] + 20 == 999  # the last 5%
    assert (len(split.train_starts), len(split.validation_starts), len(split.test_starts)) == (830, 80, 30)
    again = split_at_boundaries(1000, 20, split.validation_boundary, split.test_boundary)  # read back from a run
    for name in ("train_starts", "validation_starts", "test_starts"):
        np.testing.assert_array_equal(getattr(again, name), getattr(split, name))


def test_split_rejects_too_little_text():
    with pytest.raises(ValueError, match="too few"):
        split_windows(10, length=20, validation_fraction=0.1, test_fraction=0.1)
    with pytest.raises(ValueError, match="test part .* too short"):
        split_windows(300, length=20, validation_fraction=0.1, test_fraction=0.05)


def test_sequence_batch_targets_are_the_next_words():
    ids = np.arange(50, dtype=np.int32)
    inputs, targets = sequence_batch(ids, np.array([0, 10]), length=4)
    assert inputs.tolist() == [[0, 1, 2, 3], [10, 11, 12, 13]]
    assert targets.tolist() == [[1, 2, 3, 4], [11, 12, 13, 14]]


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


def test_sequence_batches_stay_inside_their_part_and_cover_it():
    from lstmlab.models.window_data import SequenceBatches

    batches = SequenceBatches(np.arange(1000, dtype=np.int32), 100, 600, 20, batch_size=7, shuffle=True, seed=1)
    offsets = set()
    for _ in range(4):
        inputs, targets = (np.concatenate(parts) for parts in zip(*(batches[i] for i in range(len(batches)))))
        np.testing.assert_array_equal(targets, inputs + 1)  # the stream is 0, 1, 2, ...: next word = id + 1
        assert inputs.min() >= 100 and targets.max() < 600  # never reads outside [begin, end)
        assert len(np.unique(targets)) == targets.size >= 500 - 2 * 20  # each id a target at most once
        offsets.add(int(inputs.min()) % 20)
        batches.on_epoch_end()
    assert len(offsets) > 1  # the cut points move between epochs
