"""Averaging the last epochs' weights: snapshots, the average, and what training keeps."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lstmlab.corpus.windows import window_batch
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.settings import NextWordSettings, TrainingSchedule
from lstmlab.models.training import train_next_word
from lstmlab.models.weight_averaging import EpochSnapshots, average_weights, keep_best_average, snapshot_path
from tests.noisy_stream import WINDOW, noisy_periodic_stream


def _small_model() -> keras.Model:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


def _weights_for(epoch: int) -> list[np.ndarray]:
    rng = np.random.default_rng(epoch)
    return [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=(2,)).astype(np.float32)]


def _snapshot_epochs(model: keras.Model, folder, epochs: int) -> None:
    snapshots = EpochSnapshots(folder)
    snapshots.set_model(model)
    for epoch in range(epochs):
        model.set_weights(_weights_for(epoch + 1))
        snapshots.on_epoch_end(epoch)


def test_the_average_of_snapshots_is_the_mean_of_the_saved_weights(tmp_path):
    _snapshot_epochs(_small_model(), tmp_path, 4)
    assert not list(tmp_path.glob("*.partial.npz"))
    averaged = average_weights([snapshot_path(tmp_path, epoch) for epoch in (2, 3, 4)])
    for index, weight in enumerate(averaged):
        expected = np.mean([_weights_for(epoch)[index] for epoch in (2, 3, 4)], axis=0)
        assert weight.dtype == np.float32
        np.testing.assert_allclose(weight, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="no snapshots"):
        average_weights([])


def test_the_best_average_is_kept_only_when_it_beats_the_best_epoch(tmp_path):
    model = _small_model()
    _snapshot_epochs(model, tmp_path, 8)
    target = np.mean([_weights_for(epoch)[0] for epoch in range(3, 9)], axis=0)  # the average of epochs 3-8

    def measure(scored: keras.Model) -> dict:
        return {"loss": float(np.abs(scored.get_weights()[0] - target).sum())}

    winner = keep_best_average(model, tmp_path, 8, measure, "loss", np.less, {"loss": 1.0})
    assert (winner["first_epoch"], winner["last_epoch"]) == (3, 8)  # tails tried: 3-8, 5-8, 7-8
    assert winner["loss"] == pytest.approx(0.0, abs=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], target, rtol=1e-6)
    assert keep_best_average(model, tmp_path, 8, measure, "loss", np.less, {"loss": -1.0}) is None


def test_training_reports_the_figures_of_the_weights_it_kept(tmp_path):
    """The noisy periodic stream; the kept weights (an epoch or an average) score on the
    validation windows what ``history["kept"]`` says, and no epoch scored better."""
    ids, split, vectors = noisy_periodic_stream()
    schedule = TrainingSchedule(batch_size=32, epochs=6, metric_windows=100_000, rng_seed=3)  # every validation window
    model, history = train_next_word(ids, split, WINDOW, vectors, NextWordSettings(lstm_units=32, learning_rate=0.01),
                                     schedule, tmp_path, verbose=0)

    kept = history["kept"]
    assert 1 <= kept["first_epoch"] <= kept["last_epoch"] <= 6
    assert kept["heldout_perplexity"] <= min(history["heldout_perplexity"])
    predictor = NumpyNextWordPredictor.from_model(model)
    assert predictor.scale == pytest.approx(kept["heldout_scale"], rel=1e-5)
    score = predictor.score_windows(*window_batch(ids, split.validation_starts, WINDOW))
    assert score.perplexity == pytest.approx(kept["heldout_perplexity"], rel=1e-4)
    assert (score.top1, score.top10) == pytest.approx((kept["heldout_top1"], kept["heldout_top10"]))
    assert len(list((tmp_path / "snapshots").glob("epoch-*.npz"))) == 6
