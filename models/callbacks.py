"""Keras callbacks for the next-word model that work on any backend."""

from __future__ import annotations

import logging

import keras
import numpy as np

from corpus.windows import window_batch
from models.predictor import NumpyNextWordPredictor

logger = logging.getLogger(__name__)


class HeldOutMetrics(keras.callbacks.Callback):
    """After each epoch, score the word after each held-out window of ``length`` words.

    Adds ``heldout_top1``, ``heldout_top10`` and, for softmax models, ``heldout_perplexity``
    to the epoch logs (so TensorBoard and the checkpoint callbacks after it see them): the
    protocol the evaluate stage reports, on the validation windows starting at ``starts``
    (a fixed subset keeps it fast).
    """

    def __init__(self, ids: np.ndarray, starts: np.ndarray, length: int) -> None:
        super().__init__()
        self.inputs, self.targets = window_batch(ids, starts, length)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        score = NumpyNextWordPredictor.from_model(self.model).score_windows(self.inputs, self.targets)
        if logs is not None:
            logs["heldout_top1"], logs["heldout_top10"] = score.top1, score.top10
            if score.perplexity is not None:
                logs["heldout_perplexity"] = score.perplexity
        logger.info("epoch %d: held-out %s", epoch + 1, score.describe())
