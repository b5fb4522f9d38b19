"""A small id stream no model can predict with certainty, for the training tests."""

from __future__ import annotations

import numpy as np

from lstmlab.corpus.windows import WindowSplit, split_windows

WINDOW = 8


def noisy_periodic_stream() -> tuple[np.ndarray, WindowSplit, np.ndarray]:
    """A period of 23 distinct words out of 40 repeated to 4,000 ids, a third of them replaced at
    random: ``(ids (4000,) int32, its split into WINDOW-word windows (10% validation, 5% test),
    random word vectors (40, 16) float32)``. The held-out likelihood of a model of it has a finite
    best scale."""
    rng = np.random.default_rng(0)
    ids = np.resize(rng.choice(40, 23, replace=False), 4000)
    noisy = rng.random(len(ids)) < 1 / 3
    ids[noisy] = rng.integers(0, 40, noisy.sum())
    vectors = np.random.default_rng(1).normal(size=(40, 16)).astype(np.float32)
    return ids.astype(np.int32), split_windows(len(ids), WINDOW, 0.1, 0.05), vectors
