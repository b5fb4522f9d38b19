"""Scoring next-word predictors on held-out targets: perplexity, top-1 and top-10.

A predictor that defines a distribution over the vocabulary is scored from its log
probabilities (B, V); one that only ranks words (the regression models, decoded by nearest
cosine) from its rankings (B, >=10), with no perplexity::

    >>> log_p = np.log(np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]]))
    >>> score = score_log_probabilities(log_p, np.array([0, 2]))
    >>> round(score.perplexity, 4), score.top1, score.top10     # exp(-(ln 0.5 + ln 0.3) / 2)
    (2.582, 0.5, 1.0)

Large sets are scored chunk by chunk with :class:`ScoreAccumulator`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def target_ranks(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The 0-based rank (B,) of each row's ``targets`` (B,) among its ``scores`` (B, V), highest
    first, ties in id order (a stable sort of the row's negated scores would put it there), so
    it is in the top k when its rank is under k. Two comparisons over the scores, where a top-k
    needs a partial sort of every row::

        >>> target_ranks(np.array([[0.1, 0.5, 0.5, 0.2]]), np.array([2])).tolist()  # 0.5 at id 1 ties, lower id
        [1]
    """
    targets = np.asarray(targets)
    target_scores = scores[np.arange(len(targets)), targets][:, None]
    ties_before = (scores == target_scores) & (np.arange(scores.shape[1]) < targets[:, None])
    return np.count_nonzero(scores > target_scores, axis=1) + np.count_nonzero(ties_before, axis=1)


def target_figures(probabilities: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From distributions (B, V): the log probabilities (B,) of ``targets`` (B,) (-inf for a word
    given 0) and their ranks (B,) (:func:`target_ranks`), with no (B, V) logarithm."""
    with np.errstate(divide="ignore"):
        return np.log(probabilities[np.arange(len(targets)), targets]), target_ranks(probabilities, targets)


def rows_per_chunk(vocabulary_size: int, values: int = 4_000_000) -> int:
    """How many windows to score at once so that one (rows, V) array holds about ``values``
    numbers (32 MB of float64), from 16 to 1000: several models' distributions of a chunk are
    held together, and V grows with the text::

        >>> rows_per_chunk(7_546), rows_per_chunk(60_000), rows_per_chunk(500)
        (530, 66, 1000)
    """
    return int(min(1000, max(16, values // vocabulary_size)))


@dataclass
class Score:
    """``perplexity`` (None for a ranking-only predictor), ``top1`` and ``top10`` shares, ``targets``."""

    perplexity: float | None
    top1: float
    top10: float
    targets: int

    def describe(self) -> str:
        ppl = "" if self.perplexity is None else f"perplexity {self.perplexity:.1f}, "
        return f"{ppl}top-1 {self.top1:.1%}, top-10 {self.top10:.1%} ({self.targets} targets)"


class ScoreAccumulator:
    """Adds up log-likelihood and top-k hits over chunks; :meth:`score` gives the totals."""

    def __init__(self) -> None:
        self.log_likelihood, self.top1, self.top10, self.targets = 0.0, 0, 0, 0
        self.has_probabilities = True

    def add_log_probabilities(self, log_probabilities: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Add a chunk: log p (B, V) of each word, the true next words (B,). Returns the true
        words' ranks (B,) (:func:`target_ranks`; 0: the model's likeliest word)."""
        return self.add_targets(log_probabilities[np.arange(len(targets)), targets],
                                target_ranks(log_probabilities, targets))

    def add_targets(self, log_probabilities: np.ndarray, ranks: np.ndarray) -> np.ndarray:
        """Add a chunk from the true words' log p (B,) and ranks (B,) alone (0: the likeliest
        word); returns the ranks."""
        self.log_likelihood += float(np.sum(log_probabilities))
        self._count(ranks == 0, ranks < 10)
        return ranks

    def add_ranking(self, ranked: np.ndarray, targets: np.ndarray) -> None:
        """Add a chunk scored by ranking only: ids (B, >=10), best first; the true words (B,)."""
        self.has_probabilities = False
        self._count(ranked[:, 0] == targets, np.any(ranked[:, :10] == targets[:, None], axis=1))

    def _count(self, top1_hits: np.ndarray, top10_hits: np.ndarray) -> None:
        self.top1 += int(np.count_nonzero(top1_hits))
        self.top10 += int(np.count_nonzero(top10_hits))
        self.targets += len(top1_hits)

    def score(self) -> Score:
        if self.targets == 0:
            raise ValueError("no held-out targets to score")
        mean_nll = -self.log_likelihood / self.targets
        perplexity = (math.exp(mean_nll) if mean_nll < 700 else math.inf) if self.has_probabilities else None
        return Score(perplexity, self.top1 / self.targets, self.top10 / self.targets, self.targets)


def score_log_probabilities(log_probabilities: np.ndarray, targets: np.ndarray) -> Score:
    """Score one array of log probabilities (B, V) against the true next words (B,)."""
    accumulator = ScoreAccumulator()
    accumulator.add_log_probabilities(log_probabilities, targets)
    return accumulator.score()


class WithoutWords:
    """A model with ``distributions(contexts (B, T)) -> (B, V)`` that never predicts the
    ``excluded`` ids (the unknown word): they get probability 0 and the rest is renormalised,
    so models that do and do not predict the unknown word are scored alike::

        >>> class Fixed:
        ...     def distributions(self, contexts):
        ...         return np.tile([0.5, 0.25, 0.25], (len(contexts), 1))
        >>> WithoutWords(Fixed(), [0]).distributions(np.zeros((1, 4), dtype=int)).tolist()
        [[0.0, 0.5, 0.5]]
    """

    def __init__(self, model, excluded) -> None:
        self.model, self.excluded = model, np.asarray(excluded, dtype=np.int64)

    def distributions(self, contexts: np.ndarray) -> np.ndarray:
        """Next-word probabilities (B, V) for contexts (B, T) of ids, 0 for the excluded words."""
        probabilities = np.array(self.model.distributions(contexts), dtype=np.float64)
        probabilities[:, self.excluded] = 0.0
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def target_probabilities(self, contexts: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """The entries (B,) of :meth:`distributions` at ``targets`` (B,), from the model's own
        ``target_probabilities`` (its probabilities of the targets and of the excluded words)."""
        targets = np.asarray(targets, dtype=np.int64)
        left_out = sum(self.model.target_probabilities(contexts, np.full(len(targets), word)) for word in self.excluded)
        kept = self.model.target_probabilities(contexts, targets) / (1.0 - left_out)
        return np.where(np.isin(targets, self.excluded), 0.0, kept)
