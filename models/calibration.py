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
    ``targets`` (N,) and the model's per-word logit ``bias`` (V,) (None: zeros; ``overwrite``: shift
    a float32 ``cosines`` in place rather than copy it), ready to score
    any scale: the cosines are shifted so each row's largest is 0 and kept in float32, so one
    evaluation of the loss is a few passes over them (the fit in :meth:`fitted_scale` makes a
    handful). The bias is held fixed; only the scale of the cosines is fitted."""

    def __init__(self, cosines: np.ndarray, targets: np.ndarray, bias: np.ndarray | None = None,
                 overwrite: bool = False) -> None:
        if len(targets) == 0:
            raise ValueError("no held-out targets to calibrate the scale on")
        cosines = np.asarray(cosines, dtype=np.float32)
        if overwrite:  # the caller's float32 array becomes the shifted cosines: one (N, V) array, not two
            cosines -= cosines.max(axis=1, keepdims=True)
            self.shifted = cosines
        else:
            self.shifted = cosines - cosines.max(axis=1, keepdims=True)
        rows = np.arange(len(targets))
        self.target_shifted = float(np.mean(self.shifted[rows, targets], dtype=np.float64))
        self.bias = None if bias is None or not np.any(bias) else np.asarray(bias, dtype=np.float32)
        self.target_bias = 0.0 if self.bias is None else float(np.mean(self.bias[targets], dtype=np.float64))

    def negative_log_likelihood(self, scale: float) -> float:
        """Mean -log p(target) in nats under ``softmax(scale * cosines + bias)``."""
        return self._loss_and_derivatives(scale, derivatives=False)[0]

    def _loss_and_derivatives(self, scale: float, derivatives: bool = True,
                              rows: int = 256) -> tuple[float, float, float]:
        """The mean negative log-likelihood at ``scale`` and its first and second derivatives in
        the scale (0.0, 0.0 unless ``derivatives``), from one pass of exponentials, ``rows`` rows
        at a time (memory: rows x V beside the cosines): the first is mean(E_p[cos] -
        cos(target)), the second mean(Var_p[cos]) >= 0 (the loss is convex)."""
        log_partition, mean_cosine, mean_square = (np.empty(len(self.shifted)) for _ in range(3))
        for start in range(0, len(self.shifted), rows):
            block = slice(start, start + rows)
            shifted = self.shifted[block]
            logits = np.float32(scale) * shifted  # each row's largest cosine shifted to 0
            largest = 0.0
            if self.bias is not None:
                logits += self.bias
                largest = logits.max(axis=1, keepdims=True)
                logits -= largest
            exponentials = np.exp(logits, out=logits)
            partition = exponentials.sum(axis=1, dtype=np.float64)
            log_partition[block] = np.log(partition) + (0.0 if self.bias is None else largest[:, 0])
            if derivatives:
                exponentials *= shifted
                mean_cosine[block] = exponentials.sum(axis=1, dtype=np.float64) / partition
                exponentials *= shifted
                mean_square[block] = exponentials.sum(axis=1, dtype=np.float64) / partition
        loss = float(np.mean(log_partition) - scale * self.target_shifted - self.target_bias)
        if not derivatives:
            return loss, 0.0, 0.0
        return loss, float(np.mean(mean_cosine) - self.target_shifted), float(np.mean(mean_square - mean_cosine ** 2))

    def fitted_scale(self, start: float = 20.0, relative_tolerance: float = 1e-6) -> float:
        """The scale in :data:`SCALE_RANGE` that minimises :meth:`negative_log_likelihood`.

        The loss is convex in the scale, so Newton's method from ``start`` finds its minimum in a
        few steps (each one pass over the cosines); a step that raises the loss is halved. Stops
        when a step is under ``relative_tolerance`` of the scale or reaches an end of the range.
        """
        low, high = SCALE_RANGE
        scale = float(np.clip(start, low, high))
        loss, slope, curvature = self._loss_and_derivatives(scale)
        if not np.isfinite([scale, loss, slope, curvature]).all():  # a NaN step would halve forever
            raise ValueError(f"the scale cannot be fitted: the loss at scale {scale} is {loss} (NaN or infinite "
                             "cosines or start)")
        for _ in range(100):
            if curvature <= 0.0:  # every row's cosines equal: any scale is as good
                return scale
            step = -slope / curvature
            while True:
                candidate = float(np.clip(scale + step, low, high))
                if abs(candidate - scale) <= relative_tolerance * scale:
                    return candidate
                candidate_loss, candidate_slope, candidate_curvature = self._loss_and_derivatives(candidate)
                if candidate_loss <= loss:
                    break
                step /= 2
            scale, loss, slope, curvature = candidate, candidate_loss, candidate_slope, candidate_curvature
        return scale
