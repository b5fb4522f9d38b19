"""Keras callbacks for the next-word model that work on any backend."""

from __future__ import annotations

import logging

import keras
import numpy as np

from corpus.baselines import top_k_accuracy
from corpus.windows import window_batch
from models.predictor import NumpyNextWordPredictor

logger = logging.getLogger(__name__)


class NearestWordAccuracy(keras.callbacks.Callback):
    """After each epoch, score next-word top-1/top-10 on held-out windows by nearest cosine.

    Adds ``val_nearest_top1`` and ``val_nearest_top10`` to the epoch logs (so TensorBoard and
    checkpoints placed after it in the callback list see them). ``starts`` are the window
    starts to score (a fixed subset keeps it fast).
    """

    def __init__(self, ids: np.ndarray, starts: np.ndarray, length: int) -> None:
        super().__init__()
        self.inputs, self.targets = window_batch(ids, starts, length)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        predictor = NumpyNextWordPredictor.from_model(self.model)
        vectors = predictor.predict_many(self.inputs)
        ranked = predictor.decoder.top_k(vectors, 10)
        if logs is not None:
            logs["val_nearest_top1"] = top_k_accuracy(ranked, self.targets, 1)
            logs["val_nearest_top10"] = top_k_accuracy(ranked, self.targets, 10)
            logger.info("epoch %d: held-out nearest-word top-1 %.3f, top-10 %.3f", epoch + 1,
                        logs["val_nearest_top1"], logs["val_nearest_top10"])
