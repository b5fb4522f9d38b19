"""Central finite differences for gradient tests."""

from __future__ import annotations

from typing import Callable

import numpy as np


def numeric_gradient(loss: Callable[[], float], array: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """d loss / d array by central differences, perturbing ``array`` in place one entry at a time."""
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + step
        plus = loss()
        array[index] = saved - step
        minus = loss()
        array[index] = saved
        gradient[index] = (plus - minus) / (2 * step)
    return gradient
