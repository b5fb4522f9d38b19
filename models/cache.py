"""A continuous cache over the recent text (Grave, Joulin & Usunier 2016, "Improving Neural
Language Models with a Continuous Cache"): the words of the last ``window`` positions vote for
themselves, each weighted by exp(theta x cosine) between the model's predicted vector now and
the one it predicted at that position, and the vote is mixed linearly with the model.

It lets the model copy a word it has just read, a name above all, which the LSTM's own state
keeps only in part. Positions are indexes into the id stream; ``vectors`` (N, D) holds the
model's predicted vector at every position of ``[begin, begin + N)`` with the state carried
(:meth:`models.predictor.NumpyNextWordPredictor.continuous_vectors`), the vector at position j
being the one that predicts ``ids[j]``::

    >>> ids = np.array([0, 1, 2, 1, 2, 1])
    >>> vectors = np.eye(3)[[0, 0, 1, 0, 1, 0]].astype(float)       # the same vector before each 1
    >>> cache = RecentCache(ids, vectors, begin=0, window=4, vocabulary_size=3)
    >>> p = cache.distributions(np.array([5]), theta=20.0)           # before ids[5]: 1 came after that vector
    >>> int(p.argmax()), round(float(p[0, 1]), 3)
    (1, 1.0)
"""

from __future__ import annotations

import numpy as np

from lstmlab.models.decoding import unit_rows


class RecentCache:
    """The keys (unit predicted vectors) and values (the words that came) of a stretch of text."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray, begin: int, window: int, vocabulary_size: int) -> None:
        self.ids, self.begin, self.window, self.vocabulary_size = ids, begin, window, vocabulary_size
        self.keys = unit_rows(np.asarray(vectors, dtype=np.float32))

    def _scores(self, positions: np.ndarray, theta: float) -> tuple[np.ndarray, np.ndarray]:
        """exp(theta x cosine) (P, window) to the ``window`` positions before each, and those
        positions' words (P, window); positions before ``begin`` get weight 0."""
        offsets = np.arange(-self.window, 0)
        earlier = positions[:, None] + offsets  # (P, window)
        valid = earlier >= self.begin
        rows = np.clip(earlier - self.begin, 0, None)
        queries = self.keys[positions - self.begin]
        cosines = np.einsum("pd,pwd->pw", queries, self.keys[rows])
        weights = np.where(valid, np.exp(theta * (cosines - 1.0)), 0.0)  # shifted by the largest cosine, 1
        return weights, self.ids[np.clip(earlier, 0, None)]

    def distributions(self, positions: np.ndarray, theta: float) -> np.ndarray:
        """The cache's distributions (P, V) over the next word at ``positions``; uniform where no
        earlier position is in the cache."""
        weights, words = self._scores(positions, theta)
        out = np.zeros((len(positions), self.vocabulary_size))
        np.add.at(out, (np.repeat(np.arange(len(positions)), self.window), words.reshape(-1)), weights.reshape(-1))
        totals = out.sum(axis=1, keepdims=True)
        return np.where(totals > 0, out / np.where(totals > 0, totals, 1.0), 1.0 / self.vocabulary_size)

    def target_probabilities(self, positions: np.ndarray, theta: float) -> np.ndarray:
        """The cache's probability (P,) of the word that came at each of ``positions``."""
        weights, words = self._scores(positions, theta)
        hits = (weights * (words == self.ids[positions][:, None])).sum(axis=1)
        totals = weights.sum(axis=1)
        return np.where(totals > 0, hits / np.where(totals > 0, totals, 1.0), 1.0 / self.vocabulary_size)


def fit_cache_mixture(cache: RecentCache, positions: np.ndarray, model_probabilities: np.ndarray,
                      thetas=(5.0, 10.0, 20.0, 40.0), weights=np.linspace(0.0, 0.4, 41)) -> tuple[float, float, float]:
    """The theta and cache weight that minimise the perplexity of (1 - weight) x model + weight x
    cache on held-out ``positions`` (the model's probabilities of their words: (P,)); returns
    ``(theta, weight, perplexity)``."""
    best = (thetas[0], 0.0, float(np.exp(-np.mean(np.log(model_probabilities)))))
    for theta in thetas:
        cached = np.concatenate([cache.target_probabilities(positions[start : start + 500], theta)  # 500 x window x D
                                 for start in range(0, len(positions), 500)])
        for weight in weights:
            perplexity = float(np.exp(-np.mean(np.log((1 - weight) * model_probabilities + weight * cached))))
            if perplexity < best[2]:
                best = (theta, float(weight), perplexity)
    return best
