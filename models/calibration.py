"""Calibrating the softmax model's cosine scale on held-out text (temperature scaling).

The softmax model's distribution is ``softmax(scale * cos(prediction, word vectors) + word
biases)``. The scale is trained on the training text, where the model grows more confident than
it is on new text: after a few epochs held-out perplexity rises while held-out top-1 holds.
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


def mean_negative_log_likelihood(scale: float, cosines: np.ndarray, targets: np.ndarray,
                                 bias: np.ndarray | None = None) -> float:
    """Mean -log p(target) in nats under ``softmax(scale * cosines + bias)``: cosines (N, V),
    targets (N,) ids, bias (V,) or None (zeros)."""
    return HeldOutCosines(cosines, targets, bias).negative_log_likelihood(scale)


def fit_scale(cosines: np.ndarray, targets: np.ndarray, bias: np.ndarray | None = None) -> float:
    """The scale that minimises the mean negative log-likelihood (:meth:`HeldOutCosines.fitted_scale`)."""
    return HeldOutCosines(cosines, targets, bias).fitted_scale()


class HeldOutCosines:
    """cos(prediction, word vector) (N, V) for N held-out windows, their true next word ids
    ``targets`` (N,) and the model's per-word logit ``bias`` (V,) (None: zeros), ready to score
    any scale: the cosines are shifted so each row's largest is 0 and kept in float32, so one
    evaluation of the loss is one or two passes over them (the search in :meth:`fitted_scale`
    makes a few dozen). The bias is held fixed; only the scale of the cosines is fitted."""

    def __init__(self, cosines: np.ndarray, targets: np.ndarray, bias: np.ndarray | None = None) -> None:
        if len(targets) == 0:
            raise ValueError("no held-out targets to calibrate the scale on")
        cosines = np.asarray(cosines, dtype=np.float32)
        self.shifted = cosines - cosines.max(axis=1, keepdims=True)
        rows = np.arange(len(targets))
        self.target_shifted = float(np.mean(self.shifted[rows, targets], dtype=np.float64))
        self.bias = None if bias is None or not np.any(bias) else np.asarray(bias, dtype=np.float32)
        self.target_bias = 0.0 if self.bias is None else float(np.mean(self.bias[targets], dtype=np.float64))

    def negative_log_likelihood(self, scale: float) -> float:
        """Mean -log p(target) in nats under ``softmax(scale * cosines + bias)``."""
        logits = np.float32(scale) * self.shifted  # each row's largest cosine shifted to 0
        if self.bias is None:  # then each row's largest logit is 0
            partition = np.log(np.exp(logits).sum(axis=1, dtype=np.float64))
        else:
            logits += self.bias
            largest = logits.max(axis=1, keepdims=True)
            partition = np.log(np.exp(logits - largest).sum(axis=1, dtype=np.float64)) + largest[:, 0]
        return float(np.mean(partition) - scale * self.target_shifted - self.target_bias)

    def fitted_scale(self) -> float:
        """The scale in :data:`SCALE_RANGE` that minimises :meth:`negative_log_likelihood`. The
        loss is convex in the scale, so a bounded one-dimensional search (scipy's Brent) finds
        its minimum; it is searched in log scale, to 0.1% of the scale."""
        low, high = np.log(SCALE_RANGE)
        result = minimize_scalar(lambda log_scale: self.negative_log_likelihood(np.exp(log_scale)),
                                 bounds=(low, high), method="bounded", options={"xatol": 1e-3})
        return float(np.exp(result.x))
