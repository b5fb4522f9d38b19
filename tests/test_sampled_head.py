"""The sampled softmax head: its candidates, its estimate of the full softmax, and training with it."""

from __future__ import annotations

import numpy as np
import pytest

from lstmlab.corpus.windows import split_windows
from lstmlab.models.next_word import build_next_word_model
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.sampled_head import PADDING_CORRECTION, CandidateSampler, SampledBatches
from lstmlab.models.settings import NextWordSettings, TrainingSchedule
from lstmlab.models.training import train_next_word
from lstmlab.models.window_data import SequenceBatches

COUNTS = np.array([400, 200, 100, 60, 40, 20, 10, 5, 3, 1, 1, 0] * 10)  # V = 120


def test_candidates_hold_every_target_once_and_drawn_words_with_their_chance():
    sampler = CandidateSampler(COUNTS, size=40)
    targets = np.array([[3, 3, 17], [50, 3, 119]])
    candidates, correction, target_index, weights = sampler.draw(targets, np.random.default_rng(1))
    assert len(candidates) == 40 and np.array_equal(candidates[target_index], targets) and weights.all()
    present = np.unique(targets)
    assert candidates[: len(present)].tolist() == present.tolist() and not correction[: len(present)].any()
    drawn = (correction > 0) & (correction < PADDING_CORRECTION)  # no drawn word has a positive correction
    assert not drawn.any()
    extra = (correction < 0)
    draws = 40 - len(present)
    expected = np.log(1 - (1 - sampler.proposal[candidates[extra]]) ** draws)
    np.testing.assert_allclose(correction[extra], expected, rtol=1e-5)
    assert not set(candidates[extra]) & set(present.tolist())
    padding = correction == PADDING_CORRECTION
    assert candidates[padding].tolist() == [0] * padding.sum()
    assert len(set(candidates[~padding].tolist())) == (~padding).sum()  # no word twice


def test_the_corrected_sum_estimates_the_full_softmax_denominator_without_bias():
    sampler = CandidateSampler(COUNTS, size=30)
    logits = np.random.default_rng(2).normal(size=len(COUNTS)) * 2 + np.log(COUNTS + 1)
    targets = np.array([0, 1, 5])
    rng = np.random.default_rng(3)
    estimates = []
    for _ in range(4000):
        candidates, correction, _, _ = sampler.draw(targets, rng)
        estimates.append(np.exp(logits[candidates] - correction).sum())
    assert np.mean(estimates) == pytest.approx(np.exp(logits).sum(), rel=0.02)


def test_too_many_distinct_targets_keep_the_most_frequent_and_weigh_the_rest_zero(caplog):
    sampler = CandidateSampler(COUNTS, size=4)
    targets = np.array([[9, 2, 7, 1, 5, 2]])
    candidates, correction, target_index, weights = sampler.draw(targets, np.random.default_rng(0))
    assert candidates.tolist() == [1, 2, 5, 7] and not correction.any()
    assert weights.tolist() == [[0, 1, 1, 1, 1, 1]] and sampler.dropped == 1
    assert np.array_equal(candidates[target_index][weights == 1], targets[weights == 1])
    assert "more distinct target words" in caplog.text


def test_as_many_candidates_as_words_is_the_exact_softmax():
    sampler = CandidateSampler(COUNTS[:12], size=50)
    candidates, correction, target_index, weights = sampler.draw(np.array([[3, 4]]), np.random.default_rng(0))
    assert candidates.tolist() == list(range(12)) and not correction.any() and target_index.tolist() == [[3, 4]]


def test_sampled_logits_are_the_full_heads_columns_less_their_correction():
    vectors = np.random.default_rng(4).normal(size=(120, 8)).astype("float32")
    settings = NextWordSettings(lstm_units=6, head="sampled")
    training = build_next_word_model(vectors, settings, 5, word_counts=COUNTS, for_training=True)
    full = build_next_word_model(vectors, settings, 5, word_counts=COUNTS)
    full.set_weights(training.get_weights())
    assert [w.path for w in training.weights] == [w.path for w in full.weights]
    ids = np.random.default_rng(5).integers(0, 120, (3, 5)).astype("int32")
    candidates = np.array([7, 0, 119, 33], dtype="int32")
    correction = np.array([0.0, -1.5, 2.0, 0.25], dtype="float32")
    sampled = np.asarray(training({"word_ids": ids, "candidates": np.tile(candidates, (3, 1)),
                                   "candidate_correction": np.tile(correction, (3, 1))}))
    np.testing.assert_allclose(sampled, np.asarray(full(ids))[..., candidates] - correction, atol=1e-5)


def test_batches_carry_their_candidates_and_draw_the_same_again():
    ids = np.random.default_rng(6).integers(0, 120, 2000).astype("int32")
    inner = SequenceBatches(ids, 0, 2000, 10, 8, seed=1)
    batches = SampledBatches(inner, CandidateSampler(COUNTS, size=64), seed=2)
    inputs, target_index, weights = batches[3]
    _, targets = inner[3]
    assert inputs["candidates"].shape == (8, 64) and (inputs["candidates"] == inputs["candidates"][0]).all()
    assert np.array_equal(inputs["candidates"][0][target_index], targets) and weights.all()
    again, _, _ = batches[3]
    assert np.array_equal(again["candidates"], inputs["candidates"])


def test_a_regression_ignores_the_head_setting():
    model = build_next_word_model(np.ones((10, 4), "float32"), NextWordSettings(loss="mse", head="sampled"), 5,
                                  for_training=True)
    assert model.output_shape == (None, None, 4)


def _cyclic(length: int = 4000, period: int = 37) -> np.ndarray:
    """A text that repeats 37 of the 120 words in one order: 11 of the 48 candidates are drawn."""
    return (np.arange(length) * 7 % period * 3).astype(np.int32)


def test_a_model_trained_with_the_sampled_head_learns_and_is_saved_with_the_full_head(tmp_path):
    ids = _cyclic()
    split = split_windows(len(ids), 8, 0.1, 0.05)
    vectors = np.random.default_rng(1).normal(size=(120, 16)).astype("float32")
    settings = NextWordSettings(lstm_units=32, learning_rate=0.01, head="sampled", sampled_words=48)
    schedule = TrainingSchedule(batch_size=16, epochs=6, metric_windows=200, rng_seed=3)
    model, history = train_next_word(ids, split, 8, vectors, settings, schedule, tmp_path, verbose=0)
    assert model.output_shape == (None, None, 120)  # every word: the model evaluate and generate read
    assert history["heldout_top1"][-1] > 0.9 and history["heldout_perplexity"][-1] < 2.0
    predictor = NumpyNextWordPredictor.from_model(model)
    assert predictor.score_windows(*_windows(ids, split)).top1 > 0.9


def _windows(ids, split):
    from lstmlab.corpus.windows import window_batch

    return window_batch(ids, split.validation_starts, 8)
