"""Word ids and sliding next-word windows over a segmented text.

The whole text is one stream of word ids (line breaks are not tokens). A window is
``length`` consecutive ids; its target is the id right after it. Windows are never stored:
:func:`window_batch` cuts a batch out of the id stream on demand::

    >>> ids, skipped = token_ids(["我 来到 北京", "北京 很 大"], {"北京": 0, "我": 1, "很": 2})
    >>> ids.tolist(), skipped      # "来到" and "大" are not in the vocabulary
    ([1, 0, 0, 2], 2)
    >>> inputs, targets = window_batch(ids, np.array([0, 1]), length=2)
    >>> inputs.tolist(), targets.tolist()
    ([[1, 0], [0, 0]], [0, 2])

The split is by position: the last ``validation_fraction`` of the stream is held out, and a
validation window lies wholly inside it, so no training window shares a word with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np


def token_ids(lines: Iterable[str], vocabulary: Mapping[str, int]) -> tuple[np.ndarray, int]:
    """Map space-separated words to ids; words missing from ``vocabulary`` are skipped.

    Returns ``(ids, skipped)``: ids is an int32 array of shape (N,), skipped the number of
    words left out.
    """
    ids: list[int] = []
    skipped = 0
    for line in lines:
        for word in line.split():
            index = vocabulary.get(word)
            if index is None:
                skipped += 1
            else:
                ids.append(index)
    return np.asarray(ids, dtype=np.int32), skipped


@dataclass(frozen=True)
class WindowSplit:
    """Start positions of the training and validation windows in the id stream.

    ``train_starts`` and ``validation_starts`` are int64 arrays; ``boundary`` is the first
    position of the held-out part.
    """

    train_starts: np.ndarray
    validation_starts: np.ndarray
    boundary: int


def split_windows(count: int, length: int, validation_fraction: float) -> WindowSplit:
    """Split the windows of a stream of ``count`` ids into training and validation.

    The last ``validation_fraction`` of the stream is held out; see :func:`split_at_boundary`.
    """
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    boundary = count - int(round(count * validation_fraction))
    split = split_at_boundary(count, length, boundary)
    if validation_fraction > 0 and len(split.validation_starts) == 0:
        raise ValueError(
            f"the held-out {validation_fraction:.0%} of {count} words is too short for one {length}-word window"
        )
    return split


def split_at_boundary(count: int, length: int, boundary: int) -> WindowSplit:
    """The windows of a stream of ``count`` ids split at position ``boundary``.

    A training window's target lies before the boundary; a validation window starts at or
    after it. Raises ValueError when there is no training window.
    """
    if length < 1:
        raise ValueError(f"window length must be at least 1, got {length}")
    train_starts = np.arange(0, max(0, boundary - length), dtype=np.int64)
    validation_starts = np.arange(boundary, max(boundary, count - length), dtype=np.int64)
    if len(train_starts) == 0:
        raise ValueError(f"{count} words are too few for {length}-word training windows")
    return WindowSplit(train_starts, validation_starts, boundary)


def window_batch(ids: np.ndarray, starts: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut windows out of ``ids`` (N,) at ``starts`` (B,).

    Returns ``(inputs, targets)``: inputs int32 (B, length), targets int32 (B,).
    """
    view = np.lib.stride_tricks.sliding_window_view(ids, length + 1)
    rows = view[starts]
    return rows[:, :length].astype(np.int32, copy=False), rows[:, length].astype(np.int32, copy=False)
