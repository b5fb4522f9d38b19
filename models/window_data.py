"""Batches of next-word windows cut from the id stream on the fly (a ``keras.utils.PyDataset``).

Only int32 ids are held in memory; each batch is cut with :func:`corpus.windows.window_batch`
when Keras asks for it, so memory does not grow with the number of windows.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from corpus.windows import window_batch


class WindowBatches(keras.utils.PyDataset):
    """Batches ``(inputs (B, T) int32, targets)`` for windows starting at ``starts``.

    ``targets`` are the next word ids (B,) int32, or their rows of ``target_vectors`` (B, D)
    float32 when it is given (the regression losses). With ``shuffle`` the order is
    reshuffled each epoch; ``windows_per_epoch`` > 0 takes that many random windows per
    epoch instead of all of them.
    """

    def __init__(self, ids: np.ndarray, starts: np.ndarray, length: int, batch_size: int,
                 target_vectors: np.ndarray | None = None, shuffle: bool = True,
                 windows_per_epoch: int = 0, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if len(starts) == 0:
            raise ValueError("no windows to make batches from")
        self.ids = ids
        self.all_starts = np.asarray(starts)
        self.length = length
        self.batch_size = batch_size
        self.target_vectors = None if target_vectors is None else target_vectors.astype(np.float32)
        self.shuffle = shuffle
        self.windows_per_epoch = min(windows_per_epoch, len(starts)) if windows_per_epoch > 0 else len(starts)
        self.rng = np.random.default_rng(seed)
        self.starts = self.all_starts[: self.windows_per_epoch]
        self.on_epoch_end()

    def __len__(self) -> int:
        return math.ceil(self.windows_per_epoch / self.batch_size)

    def __getitem__(self, index: int):
        starts = self.starts[index * self.batch_size : (index + 1) * self.batch_size]
        inputs, targets = window_batch(self.ids, starts, self.length)
        if self.target_vectors is not None:
            return inputs, self.target_vectors[targets]
        return inputs, targets

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self.starts = self.rng.permutation(self.all_starts)[: self.windows_per_epoch]
