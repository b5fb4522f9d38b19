"""Batches cut from the id stream on the fly (``keras.utils.PyDataset``), for both objectives.

* :class:`WindowBatches` — overlapping windows, the next word after each (the blog's).
* :class:`SequenceBatches` — back-to-back sequences, the next word after every position.
* :class:`StreamBatches` — the text as ``B`` parallel streams: row b of batch t+1 continues
  row b of batch t, so a stateful LSTM carries its state from one window to the next.

Only int32 ids are held in memory; each batch is cut when Keras asks for it, so memory does
not grow with the number of windows. Under data-parallel training each process gets a
:class:`models.distributed.Shard` and returns only its rows of every global batch; the
number of windows per epoch is then rounded down to a multiple of the device count, so the
last global batch splits evenly too.

The order of an epoch is a function of the seed and the epoch's number alone
(``numpy.random.default_rng([seed, epoch])``), so a training resumed at epoch k (``first_epoch``)
sees the same batches as one that never stopped.
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
    seed: int = 0
    epoch: int = 0

    def epoch_rng(self) -> np.random.Generator:
        """The random numbers of the current epoch: the same for an epoch whatever came before."""
        return np.random.default_rng([self.seed, self.epoch])

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self.reorder()

    def reorder(self) -> None:
        """Set this epoch's order (``self.starts``)."""

    def __getitem__(self, index: int):
        return self.batch_at(self.starts[index * self.batch_size : (index + 1) * self.batch_size])

    def _keep(self, ids: np.ndarray, begin: int, end: int, length: int, batch_size: int,
              target_vectors: np.ndarray | None, shuffle: bool, seed: int, first_epoch: int, shard: Shard) -> None:
        """Store what both contiguous-part batch kinds take (raises ValueError for a batch size under 1)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.ids, self.begin, self.end, self.length, self.batch_size = ids, begin, end, length, batch_size
        self.target_vectors = None if target_vectors is None else target_vectors.astype(np.float32)
        self.shuffle, self.seed, self.epoch, self.shard = shuffle, seed, first_epoch, shard

    def batch_at(self, starts: np.ndarray):
        """The batch of the rows that start at ``starts`` (this process's shard of them)."""
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
                 windows_per_epoch: int = 0, seed: int = 0, shard: Shard = Shard(), first_epoch: int = 0,
                 **kwargs) -> None:
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
        self.shard, self.seed, self.epoch = shard, seed, first_epoch
        self.starts = self.all_starts[: self.windows_per_epoch]
        self.reorder()

    def __len__(self) -> int:
        return math.ceil(self.windows_per_epoch / self.batch_size)

    def reorder(self) -> None:
        if self.shuffle:
            self.starts = self.epoch_rng().permutation(self.all_starts)[: self.windows_per_epoch]


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
                 seed: int = 0, shard: Shard = Shard(), first_epoch: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self._keep(ids, begin, end, length, batch_size, target_vectors, shuffle, seed, first_epoch, shard)
        if end - begin < 2 * length + 1:
            raise ValueError(f"{end - begin} words are too few for {length}-word training sequences")
        self.count = (end - begin - 1) // length - 1  # sequences that fit whatever the offset
        if max_sequences > 0:
            self.count = min(self.count, max_sequences)
        self.count -= self.count % shard.devices
        self.starts = np.arange(self.count, dtype=np.int64) * length + begin
        self.reorder()

    def __len__(self) -> int:
        return math.ceil(self.count / self.batch_size)

    def reorder(self) -> None:
        if self.shuffle:
            rng = self.epoch_rng()
            offset = int(rng.integers(self.length))
            every = np.arange((self.end - self.begin - 1 - offset) // self.length, dtype=np.int64)
            chosen = rng.permutation(every)[: self.count]
            self.starts = self.begin + offset + chosen * self.length


class StreamBatches(_CutBatches):
    """Batches ``(inputs (B, T) int32, targets (B, T))`` that read ``[begin, end)`` as ``B``
    parallel streams, for an LSTM that carries its state across batches (truncated
    backpropagation through time: the gradient stops at each window's start).

    Each epoch the part after a random offset (0 .. T-1, so the cut points move) is split into
    B equal streams of ``steps`` windows; row b of batch t is window t of stream b, so it starts
    where row b of batch t-1 ended::

        >>> batches = StreamBatches(np.arange(100, dtype=np.int32), 0, 100, length=4, batch_size=3, shuffle=False)
        >>> len(batches), batches[0][0].tolist(), batches[1][0][:, 0].tolist()
        (8, [[0, 1, 2, 3], [33, 34, 35, 36], [66, 67, 68, 69]], [4, 37, 70])

    Every batch has all B rows (the state has a fixed batch size). ``max_sequences`` > 0 keeps at
    most that many windows per epoch (the first of each stream). The model's state must be reset
    at each epoch's start (:class:`models.training.ResetStatesEachEpoch`).
    """

    cut = staticmethod(sequence_batch)

    def __init__(self, ids: np.ndarray, begin: int, end: int, length: int, batch_size: int,
                 target_vectors: np.ndarray | None = None, shuffle: bool = True, max_sequences: int = 0,
                 seed: int = 0, shard: Shard = Shard(), first_epoch: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self._keep(ids, begin, end, length, batch_size, target_vectors, shuffle, seed, first_epoch, shard)
        self.steps = (end - begin - length) // (batch_size * length)  # windows per stream, whatever the offset
        if max_sequences > 0:
            self.steps = min(self.steps, max(1, max_sequences // batch_size))
        if self.steps < 1:
            raise ValueError(f"{end - begin} words are too few for {batch_size} streams of {length}-word windows")
        self.reorder()

    def __len__(self) -> int:
        return self.steps

    def reorder(self) -> None:
        offset = int(self.epoch_rng().integers(self.length)) if self.shuffle else 0
        stream_length = (self.end - self.begin - 1 - offset) // self.batch_size
        self.stream_starts = self.begin + offset + np.arange(self.batch_size, dtype=np.int64) * stream_length

    def __getitem__(self, index: int):
        return self.batch_at(self.stream_starts + index * self.length)
