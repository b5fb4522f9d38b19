"""Keras callbacks for the next-word model that work on any backend."""

from __future__ import annotations

import logging
from typing import Sequence

import keras
import numpy as np

from lstmlab.corpus.windows import predictable_starts, window_batch
from lstmlab.models.calibration import HeldOutCosines
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.progress import Progress

logger = logging.getLogger(__name__)


class TrainingDiverged(ValueError):
    """The weights became NaN or infinite: the held-out figures cannot be measured."""


class HeldOutMetrics(keras.callbacks.Callback):
    """After each epoch, score the word after each held-out window of ``length`` words.

    Adds ``heldout_top1``, ``heldout_top10`` and, for softmax models, ``heldout_perplexity``
    to the epoch logs (so TensorBoard and the checkpoint callbacks after it see them): the
    protocol the evaluate stage reports, on the validation windows starting at ``starts``
    (a fixed subset keeps it fast).

    With ``calibrate`` (softmax models) the cosine scale is first fitted on those windows
    (:class:`models.calibration.HeldOutCosines`) and the perplexity is the calibrated one; the logs
    also get ``heldout_scale`` (the fitted scale) and ``heldout_perplexity_trained_scale``
    (at the scale training reached). The model's own scale is not changed.

    ``excluded``: ids never scored nor predicted (the unknown word): the windows whose target is
    one of them are left out, and the model's distribution is renormalised without them.

    ``continuous_from`` (a position, for a model that carries its state): the same targets, each
    predicted with the state carried over the text from that position (the validation part's
    start) rather than from its window of ``length`` words.
    """

    def __init__(self, ids: np.ndarray, starts: np.ndarray, length: int, calibrate: bool = False,
                 excluded: Sequence[int] = (), continuous_from: int | None = None) -> None:
        super().__init__()
        starts = predictable_starts(ids, starts, length, excluded)
        self.inputs, self.targets = window_batch(ids, starts, length)
        self.ids, self.positions, self.continuous_from = ids, starts + length, continuous_from
        self.calibrate = calibrate
        self.excluded = list(excluded)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        figures = self.measure(self.model)
        if logs is not None:
            logs.update(figures)
        logger.info("epoch %d: held-out %s", epoch + 1, describe_figures(figures))

    def measure(self, model: keras.Model) -> dict[str, float]:
        """The held-out figures of ``model``'s current weights, as the logs get them."""
        predictor = NumpyNextWordPredictor.from_model(model).never_predict(self.excluded)
        if self.continuous_from is None:
            vectors = predictor.predict_many(self.inputs)
        else:
            vectors = predictor.continuous_vectors(self.ids, self.continuous_from, self.positions)
        if not np.isfinite(vectors).all() or not np.isfinite(predictor.scale if predictor.scale is not None else 0.0):
            raise TrainingDiverged("training diverged: the model's outputs on the held-out windows are not finite "
                                   "(NaN or infinite weights); try a smaller train.learning_rate, or "
                                   "train.clip_norm = 1.0")
        figures = self._calibrate(predictor, vectors) if self.calibrate and predictor.scale is not None else {}
        score = predictor.score_vectors(vectors, self.targets)
        figures["heldout_top1"], figures["heldout_top10"] = score.top1, score.top10
        if score.perplexity is not None:
            figures["heldout_perplexity"] = score.perplexity
        return figures

    def _calibrate(self, predictor: NumpyNextWordPredictor, vectors: np.ndarray) -> dict[str, float]:
        """Fit the scale on the held-out windows' predicted ``vectors`` (B, D) and set it on
        ``predictor``; returns the logs to add."""
        held_out = HeldOutCosines(predictor.cosines(vectors), self.targets, predictor.output_bias, overwrite=True)
        trained_nll = held_out.negative_log_likelihood(predictor.scale)
        predictor.scale = held_out.fitted_scale(start=predictor.scale)
        return {"heldout_scale": predictor.scale, "heldout_perplexity_trained_scale": float(np.exp(trained_nll))}


def describe_figures(figures: dict[str, float]) -> str:
    """``figures`` from :meth:`HeldOutMetrics.measure` as one line: perplexity (if any), top-1, top-10."""
    text = f"top-1 {figures['heldout_top1']:.1%}, top-10 {figures['heldout_top10']:.1%}"
    if "heldout_perplexity" in figures:
        text = f"perplexity {figures['heldout_perplexity']:.1f}, " + text
    if "heldout_scale" in figures:
        text += f" at the fitted scale {figures['heldout_scale']:.1f}"
    return text


class TrainingProgress(keras.callbacks.Callback):
    """Logs training's progress over all its steps (every epoch's) with the speed and the time
    left, at most once a minute (:class:`models.progress.Progress` as log lines): for a
    training whose output goes to a log file, where Keras prints one line an epoch."""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval, self.progress, self.epoch_steps = interval, None, 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        steps, epochs = self.params.get("steps") or 0, self.params.get("epochs") or 1
        self.progress = Progress("training", steps * epochs, "steps", self.interval, terminal=False)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_steps = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.progress.advance(batch + 1 - self.epoch_steps)
        self.epoch_steps = batch + 1

    def on_train_end(self, logs: dict | None = None) -> None:
        self.progress.close()
