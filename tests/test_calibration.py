"""Calibrating the cosine scale on the validation part: the fit, and what training keeps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstmlab.corpus.windows import split_windows, window_batch
from lstmlab.models.calibration import HeldOutCosines, fit_scale, mean_negative_log_likelihood
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.settings import NextWordSettings, TrainingSchedule
from lstmlab.models.training import train_next_word
from tests.noisy_stream import WINDOW, noisy_periodic_stream


def _sampled_targets(cosines: np.ndarray, scale: float, seed: int, bias: np.ndarray | None = None) -> np.ndarray:
    """One target per row drawn from softmax(scale * cosines + bias): (N, V) -> (N,) ids."""
    logits = scale * cosines + (0.0 if bias is None else bias)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    uniform = np.random.default_rng(seed).random(len(p))[:, None]
    return (p.cumsum(axis=1) < uniform).sum(axis=1)


@pytest.mark.parametrize("true_scale, with_bias", [(3.0, False), (12.0, False), (40.0, False), (12.0, True)])
def test_fitted_scale_recovers_the_scale_targets_were_drawn_with(true_scale, with_bias):
    cosines = np.random.default_rng(0).uniform(-1, 1, size=(6000, 120)).astype(np.float32)
    bias = np.random.default_rng(2).normal(0, 2, 120) if with_bias else None  # per-word prior log-odds, held fixed
    targets = _sampled_targets(cosines, true_scale, seed=1, bias=bias)
    fitted = fit_scale(cosines, targets, bias)
    assert fitted == pytest.approx(true_scale, rel=0.08)
    best = mean_negative_log_likelihood(fitted, cosines, targets, bias)
    for other in np.geomspace(0.5, 200, 40):  # no scale on a grid does better than the fitted one
        assert best <= mean_negative_log_likelihood(other, cosines, targets, bias) + 1e-9


@pytest.mark.parametrize("with_bias", [False, True])
def test_loss_derivatives_in_the_scale_match_finite_differences(with_bias):
    cosines = np.random.default_rng(3).uniform(-1, 1, size=(500, 60))
    bias = np.random.default_rng(4).normal(0, 2, 60) if with_bias else None
    targets = _sampled_targets(cosines, 10.0, seed=5, bias=bias)
    held_out = HeldOutCosines(cosines, targets, bias)
    scale, h = 7.0, 1e-2
    loss, slope, curvature = held_out._loss_and_derivatives(scale)
    below, above = (held_out.negative_log_likelihood(scale + d) for d in (-h, h))
    assert loss == pytest.approx(mean_negative_log_likelihood(scale, cosines, targets, bias))
    assert slope == pytest.approx((above - below) / (2 * h), rel=1e-3, abs=1e-5)
    assert curvature == pytest.approx((above - 2 * loss + below) / h ** 2, rel=2e-2)
    assert curvature > 0


def test_negative_log_likelihood_matches_a_hand_computed_value():
    cosines = np.array([[0.5, -0.5], [0.0, 1.0]])
    # row 0: -log(e^1 / (e^1 + e^-1)); row 1: -log(e^0 / (e^0 + e^2)) at scale 2
    expected = (np.log(1 + np.exp(-2.0)) + np.log(1 + np.exp(2.0))) / 2
    assert mean_negative_log_likelihood(2.0, cosines, np.array([0, 0])) == pytest.approx(expected, rel=1e-6)  # float32 sums
    # with biases (3, -1): row 0 logits (4, -2), row 1 logits (3, 1)
    expected = (np.log(1 + np.exp(-6.0)) + np.log(1 + np.exp(-2.0))) / 2
    assert mean_negative_log_likelihood(2.0, cosines, np.array([0, 0]), np.array([3.0, -1.0])) == pytest.approx(
        expected, rel=1e-6)


def test_training_keeps_the_scale_fitted_on_validation_at_the_kept_epoch(tmp_path):
    """A noisy periodic stream (a third of the words replaced at random): the model cannot be
    sure, so the held-out likelihood has a finite best scale. The kept model carries the scale
    fitted on the validation windows, under which their perplexity is the history's best and
    top-1 / top-10 are those of the uncalibrated model (a scale changes no ranking)."""
    ids, split, vectors = noisy_periodic_stream()
    settings = NextWordSettings(lstm_units=32, learning_rate=0.01)
    schedule = TrainingSchedule(batch_size=32, epochs=4, metric_windows=100_000, rng_seed=3)  # every validation window
    model, history = train_next_word(ids, split, WINDOW, vectors, settings, schedule, tmp_path, verbose=0)

    for calibrated, trained in zip(history["heldout_perplexity"], history["heldout_perplexity_trained_scale"]):
        assert calibrated <= trained * (1 + 1e-9)
    best = json.loads((tmp_path / "best.json").read_text(encoding="utf-8"))
    epoch = best["epoch"] - 1
    assert best["heldout_perplexity"] == min(history["heldout_perplexity"])
    predictor = NumpyNextWordPredictor.from_model(model)
    assert predictor.scale == pytest.approx(best["scale"], rel=1e-5)
    assert predictor.scale == pytest.approx(history["heldout_scale"][epoch], rel=1e-5)
    score = predictor.score_windows(*window_batch(ids, split.validation_starts, WINDOW))
    assert score.perplexity == pytest.approx(best["heldout_perplexity"], rel=1e-4)
    assert (score.top1, score.top10) == (history["heldout_top1"][epoch], history["heldout_top10"][epoch])
    assert 1.5 < score.perplexity < 30 and score.top1 > 0.3  # learned something (uniform: 40, 2.5%), not certain


def test_without_calibration_the_trained_scale_is_kept(tmp_path):
    ids = np.resize(np.random.default_rng(0).choice(40, 23, replace=False), 3000).astype(np.int32)
    split = split_windows(len(ids), 8, 0.1, 0.05)
    vectors = np.random.default_rng(1).normal(size=(40, 16)).astype(np.float32)
    settings = NextWordSettings(lstm_units=16, learning_rate=0.01, calibrate_scale=False)
    schedule = TrainingSchedule(batch_size=32, epochs=1, metric_windows=200, rng_seed=3)
    model, history = train_next_word(ids, split, 8, vectors, settings, schedule, tmp_path, verbose=0)
    assert "heldout_scale" not in history and "scale" not in json.loads((tmp_path / "best.json").read_text("utf-8"))
    trained_scale = float(np.exp(np.asarray(model.get_layer("cosine_logits").log_scale)))
    assert NumpyNextWordPredictor.from_model(model).scale == pytest.approx(trained_scale, rel=1e-6)
    assert trained_scale != pytest.approx(20.0, rel=1e-3)  # it trained away from its start


def test_a_nan_start_or_nan_cosines_raise_instead_of_halving_a_nan_step_forever():
    rng = np.random.default_rng(0)
    cosines = rng.uniform(-1, 1, size=(50, 30)).astype(np.float32)
    targets = rng.integers(0, 30, 50)
    with pytest.raises(ValueError, match="the scale cannot be fitted"):
        HeldOutCosines(cosines, targets).fitted_scale(start=float("nan"))
    cosines[3, 4] = np.nan
    with pytest.raises(ValueError, match="the scale cannot be fitted"):
        HeldOutCosines(cosines, targets).fitted_scale()
