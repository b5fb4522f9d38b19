"""Linear interpolation of two next-word models: p(w | h) = weight p1(w | h) + (1 - weight) p2(w | h).

Two models that err differently (an LSTM that sees 20 words, an n-gram that remembers exact
phrases) mix into one better than either. The weight is fitted on held-out text from the
probabilities each model gave the true next words, so fitting needs no full distribution::

    >>> first = np.array([0.5, 0.01, 0.4])       # p1(true next word), three held-out positions
    >>> second = np.array([0.1, 0.3, 0.2])       # p2(true next word)
    >>> weight = fit_interpolation_weight(first, second)
    >>> 0.0 < weight < 1.0                        # each model rescues the other somewhere
    True

:class:`LinearMixture` then gives the mixed distributions (B, V) of two models with a
``distributions(contexts)`` method, so the mixture is scored like any other model.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar


def mixture_negative_log_likelihood(weight: float, first: np.ndarray, second: np.ndarray) -> float:
    """Mean -log(weight x first + (1 - weight) x second) in nats, over the probabilities (N,) two
    models gave the true next words."""
    return float(-np.mean(np.log(weight * first + (1.0 - weight) * second)))


def fit_interpolation_weight(first: np.ndarray, second: np.ndarray) -> float:
    """The weight in [0, 1] of the first model that minimises the mixture's mean negative
    log-likelihood on held-out positions: ``first`` and ``second`` (N,) are the probabilities
    the two models gave the true next words there. The loss is convex in the weight, so a
    bounded one-dimensional search (scipy's Brent, to 1e-4) finds its minimum."""
    first, second = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    if first.shape != second.shape or first.ndim != 1 or len(first) == 0:
        raise ValueError(f"need two equal non-empty (N,) arrays of probabilities, got {first.shape} and {second.shape}")
    if np.any(first <= 0) and np.any(second <= 0):
        raise ValueError("both models gave probability 0 to some true next word; cannot fit a mixture")
    result = minimize_scalar(mixture_negative_log_likelihood, bounds=(0.0, 1.0), args=(first, second),
                             method="bounded", options={"xatol": 1e-4})
    return float(result.x)


class LinearMixture:
    """``weight`` x ``first`` + (1 - ``weight``) x ``second``, two models each with
    ``distributions(contexts (B, T)) -> (B, V)``; the mixture has the same method."""

    def __init__(self, first, second, weight: float) -> None:
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"interpolation weight must be in [0, 1], got {weight}")
        self.first, self.second, self.weight = first, second, weight

    def distributions(self, contexts: np.ndarray) -> np.ndarray:
        """Next-word probabilities (B, V) for contexts (B, T) of ids."""
        return self.mix(self.first.distributions(contexts), self.second.distributions(contexts))

    def mix(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """The mixture of distributions the two models already gave, (B, V) each."""
        return self.weight * first + (1.0 - self.weight) * second
