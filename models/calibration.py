"""Calibrating the softmax model's cosine scale on held-out text (temperature scaling).

The softmax model's distribution is ``softmax(scale * cos(prediction, word vectors))``. The
scale is trained on the training text, where the model grows more confident than it is on
new text: after a few epochs held-out perplexity rises while held-out top-1 holds.
One scalar fitted on held-out windows (Guo et al. 2017, "On calibration of modern neural
networks") removes most of that over-confidence. It changes no ranking, so top-1 and top-10
stay exactly as they were; only the probabilities, hence perplexity and sampling, change::

    >>> rng = np.random.default_rng(0)
    >>> cosines = rng.uniform(-1, 1, size=(4000, 50))               # N=4000 windows, V=50 words
    >>> logits = 8.0 * cosines                                      # the true scale is 8
    >>> p = np.exp(logits - logits.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    >>> targets = np.array([rng.choice(50, p=row) for row in p])
    >>> round(fit_scale(cosines, targets), 1)
    8.1
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

# The scales searched: a softmax over cosines needs at least ~1 to prefer any word, and
# beyond ~1000 it is an argmax.
SCALE_RANGE = (0.5, 1000.0)


def mean_negative_log_likelihood(scale: float, cosines: np.ndarray, targets: np.ndarray) -> float:
    """Mean -log p(target) in nats under ``softmax(scale * cosines)``: cosines (N, V), targets (N,) ids."""
    return HeldOutCosines(cosines, targets).negative_log_likelihood(scale)


def fit_scale(cosines: np.ndarray, targets: np.ndarray) -> float:
    """The scale that minimises the mean negative log-likelihood (:meth:`HeldOutCosines.fitted_scale`)."""
    return HeldOutCosines(cosines, targets).fitted_scale()


class HeldOutCosines:
    """cos(prediction, word vector) (N, V) for N held-out windows, and their true next word ids
    ``targets`` (N,), ready to score any scale: the cosines are shifted so each row's largest
    is 0 and kept in float32, so one evaluation of the loss is a single exp-and-sum pass (the
    search in :meth:`fitted_scale` makes a few dozen)."""

    def __init__(self, cosines: np.ndarray, targets: np.ndarray) -> None:
        if len(targets) == 0:
            raise ValueError("no held-out targets to calibrate the scale on")
        cosines = np.asarray(cosines, dtype=np.float32)
        self.shifted = cosines - cosines.max(axis=1, keepdims=True)
        self.target_shifted = float(np.mean(self.shifted[np.arange(len(targets)), targets], dtype=np.float64))

    def negative_log_likelihood(self, scale: float) -> float:
        """Mean -log p(target) in nats under ``softmax(scale * cosines)``."""
        # log sum_j exp(scale * c_j) - scale * c_target, both shifted by the row's largest cosine
        partition = np.exp(np.float32(scale) * self.shifted).sum(axis=1, dtype=np.float64)
        return float(np.mean(np.log(partition)) - scale * self.target_shifted)

    def fitted_scale(self) -> float:
        """The scale in :data:`SCALE_RANGE` that minimises :meth:`negative_log_likelihood`. The
        loss is convex in the scale, so a bounded one-dimensional search (scipy's Brent) finds
        its minimum; it is searched in log scale, to 0.1% of the scale."""
        low, high = np.log(SCALE_RANGE)
        result = minimize_scalar(lambda log_scale: self.negative_log_likelihood(np.exp(log_scale)),
                                 bounds=(low, high), method="bounded", options={"xatol": 1e-3})
        return float(np.exp(result.x))
