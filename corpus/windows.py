"""Word ids and sliding next-word windows over a segmented text.

The whole text is one stream of word ids (line breaks are not tokens). A window is
``length`` consecutive ids; its target is the id right after it. Windows are never stored:
:func:`window_batch` cuts a batch out of the id stream on demand::

    >>> ids, missing = token_ids(["我 来到 北京", "北京 很 大"], {"北京": 0, "我": 1, "很": 2})
    >>> ids.tolist(), missing      # "来到" and "大" are not in the vocabulary: left out
    ([1, 0, 0, 2], 2)
    >>> token_ids(["我 来到 北京"], {"北京": 0, "我": 1, "<unk>": 2})[0].tolist()   # or the unknown word
    [1, 2, 0]
    >>> inputs, targets = window_batch(ids, np.array([0, 1]), length=2)     # starts (B,), T = 2
    >>> inputs.tolist(), targets.tolist()
    ([[1, 0], [0, 0]], [0, 2])

The split is by position (:func:`split_windows`): the last part of the stream is the test
text, the part before it the validation text, and a window lies wholly inside one part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from lstmlab.corpus.vocabulary import UNKNOWN


def token_ids(lines: Iterable[str], vocabulary: Mapping[str, int]) -> tuple[np.ndarray, int]:
    """Map space-separated words to ids. A word missing from ``vocabulary`` becomes the id of
    :data:`corpus.vocabulary.UNKNOWN` when the vocabulary has it, else it is left out.

    Returns ``(ids, missing)``: ids is an int32 array of shape (N,), missing the number of
    words not in the vocabulary.
    """
    unknown = vocabulary.get(UNKNOWN)
    ids: list[int] = []
    missing = 0
    for line in lines:
        for word in line.split():
            index = vocabulary.get(word)
            if index is None:
                missing += 1
                index = unknown
            if index is not None:
                ids.append(index)
    return np.asarray(ids, dtype=np.int32), missing


def predictable_starts(ids: np.ndarray, starts: np.ndarray, length: int, excluded: Sequence[int]) -> np.ndarray:
    """The ``starts`` (B,) of the windows whose target (the id after their ``length`` ids in
    ``ids``) is not one of the ``excluded`` ids (the unknown word): the windows held-out scores count.

        >>> predictable_starts(np.array([5, 6, 7, 6, 8]), np.array([0, 1, 2]), 2, [6]).tolist()
        [0, 2]
    """
    if len(excluded) == 0:
        return starts
    return starts[~np.isin(ids[starts + length], excluded)]


@dataclass(frozen=True)
class WindowSplit:
    """Start positions of the training, validation and test windows in the id stream.

    The stream is cut by position into three parts: training ``[0, validation_boundary)``,
    validation ``[validation_boundary, test_boundary)`` and test ``[test_boundary, end)``. A
    window (``length`` ids and the id after it) lies wholly inside one part, so no two parts
    share a word. ``*_starts`` are int64 arrays.
    """

    train_starts: np.ndarray
    validation_starts: np.ndarray
    test_starts: np.ndarray
    validation_boundary: int
    test_boundary: int


def _starts(begin: int, end: int, length: int) -> np.ndarray:
    """Starts of the windows whose ``length`` ids and target lie in [begin, end)."""
    return np.arange(begin, max(begin, end - length), dtype=np.int64)


def split_windows(count: int, length: int, validation_fraction: float, test_fraction: float) -> WindowSplit:
    """Split a stream of ``count`` ids: the last ``test_fraction`` is the test part (touched by
    no choice), the ``validation_fraction`` before it the validation part (for choosing
    checkpoints and settings), the rest is for training; see :func:`split_at_boundaries`."""
    for name, fraction in (("validation_fraction", validation_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= fraction < 1.0:
            raise ValueError(f"windows.{name} must be in [0, 1), got {fraction}")
    test_boundary = count - int(round(count * test_fraction))
    validation_boundary = test_boundary - int(round(count * validation_fraction))
    split = split_at_boundaries(count, length, validation_boundary, test_boundary)
    for name, fraction, starts in (("validation", validation_fraction, split.validation_starts),
                                   ("test", test_fraction, split.test_starts)):
        if fraction > 0 and len(starts) == 0:
            raise ValueError(f"the {name} part ({fraction:.0%} of {count} words) is too short for one "
                             f"{length}-word window; use a longer text or a larger windows.{name}_fraction")
    return split


def split_at_boundaries(count: int, length: int, validation_boundary: int, test_boundary: int) -> WindowSplit:
    """The windows of a stream of ``count`` ids cut at the two boundaries (how a run folder's
    stored boundaries are read back). Raises ValueError when there is no training window."""
    if length < 1:
        raise ValueError(f"window length must be at least 1, got {length}")
    if not 0 <= validation_boundary <= test_boundary <= count:
        raise ValueError(f"boundaries must satisfy 0 <= {validation_boundary} <= {test_boundary} <= {count}")
    train_starts = _starts(0, validation_boundary, length)
    if len(train_starts) == 0:
        raise ValueError(f"{count} words are too few for {length}-word training windows")
    return WindowSplit(train_starts, _starts(validation_boundary, test_boundary, length),
                       _starts(test_boundary, count, length), validation_boundary, test_boundary)


def window_batch(ids: np.ndarray, starts: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut windows out of ``ids`` (N,) at ``starts`` (B,).

    Returns ``(inputs, targets)``: inputs int32 (B, length), targets int32 (B,).
    """
    view = np.lib.stride_tricks.sliding_window_view(ids, length + 1)
    rows = view[starts]
    return rows[:, :length].astype(np.int32, copy=False), rows[:, length].astype(np.int32, copy=False)


def sequence_batch(ids: np.ndarray, starts: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut sequences for next-word prediction at every position out of ``ids`` (N,) at ``starts`` (B,).

    Returns ``(inputs, targets)``, both int32 (B, length): ``targets[:, t]`` is the word after
    ``inputs[:, t]``, so position t predicts from the t + 1 words before it.
    """
    view = np.lib.stride_tricks.sliding_window_view(ids, length + 1)
    rows = view[starts]
    return rows[:, :length].astype(np.int32, copy=False), rows[:, 1:].astype(np.int32, copy=False)
