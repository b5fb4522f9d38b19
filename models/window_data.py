"""Batches cut from the id stream on the fly (``keras.utils.PyDataset``), for both objectives.

* :class:`WindowBatches` — overlapping windows, the next word after each (the blog's).
* :class:`SequenceBatches` — back-to-back sequences, the next word after every position.

Only int32 ids are held in memory; each batch is cut when Keras asks for it, so memory does
not grow with the number of windows. Under data-parallel training each process gets a
:class:`models.distributed.Shard` and returns only its rows of every global batch; the
number of windows per epoch is then rounded down to a multiple of the device count, so the
last global batch splits evenly too.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from lstmlab.corpus.windows import sequence_batch, window_batch
from lstmlab.models.distributed import Shard


class _CutBatches(keras.utils.PyDataset):
    """What both batch kinds share: batch ``index`` is rows ``self.starts[index * B : (index + 1) * B]``,
    of which this process cuts its shard's rows with ``self.cut(ids, starts, length)``; targets
    become their ``target_vectors`` rows when those are given."""

    cut = staticmethod(window_batch)

    def __getitem__(self, index: int):
        starts = self.starts[index * self.batch_size : (index + 1) * self.batch_size]
        inputs, targets = self.cut(self.ids, starts[self.shard.rows(len(starts))], self.length)
        if self.target_vectors is not None:
            return inputs, self.target_vectors[targets]
        return inputs, targets


class WindowBatches(_CutBatches):
    """Batches ``(inputs (B, T) int32, targets)`` for windows starting at ``starts``.

    ``targets`` are the next word ids (B,) int32, or their rows of ``target_vectors`` (B, D)
    float32 when it is given (the regression losses). With ``shuffle`` the order is
    reshuffled each epoch; ``windows_per_epoch`` > 0 takes that many random windows per
    epoch instead of all of them.
    """

    def __init__(self, ids: np.ndarray, starts: np.ndarray, length: int, batch_size: int,
                 target_vectors: np.ndarray | None = None, shuffle: bool = True,
                 windows_per_epoch: int = 0, seed: int = 0, shard: Shard = Shard(), **kwargs) -> None:
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
        self.windows_per_epoch -= self.windows_per_epoch % shard.devices
        self.shard = shard
        self.rng = np.random.default_rng(seed)
        self.starts = self.all_starts[: self.windows_per_epoch]
        self.on_epoch_end()

    def __len__(self) -> int:
        return math.ceil(self.windows_per_epoch / self.batch_size)

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self.starts = self.rng.permutation(self.all_starts)[: self.windows_per_epoch]


class SequenceBatches(_CutBatches):
    """Batches ``(inputs (B, T) int32, targets (B, T))`` of back-to-back sequences in ``[begin, end)``.

    Sequences start every ``length`` ids from an offset, so each id of the part is a target
    once per epoch; with ``shuffle`` the offset is drawn afresh (0 .. length-1) and the order
    reshuffled each epoch, so the cut points move. ``targets`` are next-word ids, or their rows
    of ``target_vectors`` (B, T, D) for the regression losses. ``max_sequences`` > 0 takes that
    many random sequences per epoch.
    """

    cut = staticmethod(sequence_batch)

    def __init__(self, ids: np.ndarray, begin: int, end: int, length: int, batch_size: int,
                 target_vectors: np.ndarray | None = None, shuffle: bool = True, max_sequences: int = 0,
                 seed: int = 0, shard: Shard = Shard(), **kwargs) -> None:
        super().__init__(**kwargs)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if end - begin < 2 * length + 1:
            raise ValueError(f"{end - begin} words are too few for {length}-word training sequences")
        self.ids, self.begin, self.end, self.length = ids, begin, end, length
        self.batch_size = batch_size
        self.target_vectors = None if target_vectors is None else target_vectors.astype(np.float32)
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.count = (end - begin - 1) // length - 1  # sequences that fit whatever the offset
        if max_sequences > 0:
            self.count = min(self.count, max_sequences)
        self.count -= self.count % shard.devices
        self.shard = shard
        self.starts = np.arange(self.count, dtype=np.int64) * length + begin
        self.on_epoch_end()

    def __len__(self) -> int:
        return math.ceil(self.count / self.batch_size)

    def on_epoch_end(self) -> None:
        if self.shuffle:
            offset = int(self.rng.integers(self.length))
            every = np.arange((self.end - self.begin - 1 - offset) // self.length, dtype=np.int64)
            chosen = self.rng.permutation(every)[: self.count]
            self.starts = self.begin + offset + chosen * self.length
