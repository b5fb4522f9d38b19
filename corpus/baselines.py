"""Frequency baselines for next-word prediction, fitted on training ids.

* unigram: always guess the most frequent words.
* bigram: guess the most frequent followers of the previous word, topped up with the
  most frequent words when a word has fewer than k followers.

Both return ranked guesses of shape (B, k) so they are scored exactly like the model.
"""

from __future__ import annotations

import numpy as np


def unigram_ranking(train_ids: np.ndarray, vocabulary_size: int, k: int) -> np.ndarray:
    """The ``k`` most frequent ids in ``train_ids`` (N,), most frequent first; shape (k,)."""
    counts = np.bincount(train_ids, minlength=vocabulary_size)
    return np.argsort(-counts, kind="stable")[:k].astype(np.int32)


def bigram_table(train_ids: np.ndarray, vocabulary_size: int, k: int) -> np.ndarray:
    """For each previous id, its ``k`` most frequent followers; shape (V, k), int32.

    Rows with fewer than ``k`` distinct followers are completed with the unigram ranking
    (skipping words already in the row).
    """
    unigram = unigram_ranking(train_ids, vocabulary_size, k * 2)
    pairs = train_ids[:-1].astype(np.int64) * vocabulary_size + train_ids[1:]
    codes, counts = np.unique(pairs, return_counts=True)
    previous, follower = codes // vocabulary_size, codes % vocabulary_size
    order = np.lexsort((-counts, previous))
    table = np.full((vocabulary_size, k), -1, dtype=np.int32)
    filled = np.zeros(vocabulary_size, dtype=np.int64)
    for prev, nxt in zip(previous[order], follower[order]):
        if filled[prev] < k:
            table[prev, filled[prev]] = nxt
            filled[prev] += 1
    for row in np.nonzero(filled < k)[0]:
        extra = [u for u in unigram if u not in table[row, : filled[row]]]
        table[row, filled[row] :] = extra[: k - filled[row]]
    return table


def top_k_accuracy(ranked: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Share of rows of ``ranked`` (B, >=k) whose first ``k`` entries contain ``targets`` (B,)."""
    if len(targets) == 0:
        return float("nan")
    return float(np.mean(np.any(ranked[:, :k] == targets[:, None], axis=1)))


def add_one_probabilities(counts: np.ndarray) -> np.ndarray:
    """The add-one smoothed unigram probabilities (V,) float64 from word counts (V,): (c + 1) / (N + V)."""
    counts = np.asarray(counts, dtype=np.float64)
    return (counts + 1.0) / (counts.sum() + len(counts))


class AddOneUnigram:
    """The unigram distribution with add-one smoothing: p(w) = (c(w) + 1) / (N + V), any context."""

    def __init__(self, train_ids: np.ndarray, vocabulary_size: int) -> None:
        self.probabilities = add_one_probabilities(np.bincount(train_ids, minlength=vocabulary_size))

    def distributions(self, contexts: np.ndarray) -> np.ndarray:
        """The same distribution (B, V) for each of the contexts (B, T)."""
        return np.tile(self.probabilities, (len(contexts), 1))


class InterpolatedBigram:
    """p(w | previous) = weight x c(previous w) / c(previous) + (1 - weight) x add-one unigram(w),
    the unigram alone after a word never seen in training. Its ranking is the most frequent
    followers of the previous word, then the most frequent words."""

    def __init__(self, train_ids: np.ndarray, vocabulary_size: int, weight: float = 0.9) -> None:
        from scipy import sparse  # only the distributions need it

        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"bigram weight must be in [0, 1], got {weight}")
        pairs = sparse.csr_matrix((np.ones(len(train_ids) - 1), (train_ids[:-1], train_ids[1:])),
                                  shape=(vocabulary_size, vocabulary_size))
        totals = np.asarray(pairs.sum(axis=1)).ravel()
        self.followers = sparse.diags(np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)) @ pairs
        self.seen = totals > 0
        self.weight = weight
        self.unigram = AddOneUnigram(train_ids, vocabulary_size)

    def distributions(self, contexts: np.ndarray) -> np.ndarray:
        """Next-word probabilities (B, V) given the last id of each context (B, T)."""
        previous = np.asarray(contexts)[:, -1]
        probabilities = self.unigram.distributions(contexts)
        seen = self.seen[previous]
        probabilities[seen] = (1.0 - self.weight) * probabilities[seen] + \
            self.weight * self.followers[previous[seen]].toarray()
        return probabilities
