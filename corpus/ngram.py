r"""Interpolated modified Kneser-Ney n-gram language model over word ids (Chen & Goodman 1998).

The strongest classical next-word model, and the bar the LSTM must clear. Fitted on a
stream of training ids, it gives a full probability distribution over the vocabulary for
any context::

    >>> train = np.array([0, 1, 2, 0, 1, 3, 0, 1, 2], dtype=np.int32)
    >>> model = KneserNey(train, vocabulary_size=4, order=3)
    >>> p = model.distributions(np.array([[0, 1]]))     # contexts (B, >=order-1) -> (B, V)
    >>> round(float(p.sum()), 9), int(p.argmax())       # after "0 1", "2" followed twice, "3" once
    (1.0, 2)

At order k, for the last k-1 words ``h`` of the context::

    p_k(w | h) = max(c(h w) - D_k(c(h w)), 0) / c(h) + gamma(h) p_{k-1}(w | h')

where ``h'`` drops the oldest word of ``h``; ``c`` are raw counts at the highest order and
continuation counts (the number of distinct words seen before ``h w``) below it; the three
discounts per order are D1, D2, D3+ from that order's count-of-counts n1..n4
(Y = n1 / (n1 + 2 n2), D1 = 1 - 2Y n2/n1, D2 = 2 - 3Y n3/n2, D3+ = 3 - 4Y n4/n3); gamma(h)
is the mass the discounts removed, so each distribution sums to 1; an unseen ``h`` backs off
with gamma = 1. Order 1 interpolates with the uniform distribution 1/V.

A context of any order is found by extending it one word into the past at a time, through
one sorted table of (shorter context, older word) keys per order; the distribution is then
one dense unigram vector scaled by the product of the backoff weights, plus a few sparse
rows (a ``scipy.sparse`` CSR matrix per order), so top-k is an argpartition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


def modified_discounts(counts: np.ndarray) -> np.ndarray:
    """Chen & Goodman's D1, D2, D3+ (3,) from the positive ``counts`` of one order.

    With too few distinct counts to estimate them (an n_r of zero) the discount falls back to
    0.5 per count class, and each discount is kept within [0, its count].
    """
    n = [int(np.sum(counts == r)) for r in (1, 2, 3, 4)]
    if min(n) == 0:
        return np.array([0.5, 1.0, 1.5])
    y = n[0] / (n[0] + 2 * n[1])
    discounts = np.array([1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / n[2]])
    return np.clip(discounts, 0.0, [1.0, 2.0, 3.0])


def _discounted(counts: np.ndarray, discounts: np.ndarray) -> np.ndarray:
    """max(c - D(c), 0) for positive counts (D1 for c = 1, D2 for 2, D3+ for 3 and more)."""
    counts = np.asarray(counts)
    return np.maximum(counts - discounts[np.minimum(counts, 3).astype(np.int64) - 1], 0.0)


@dataclass
class _Order:
    """One order k >= 2: the rows of its probability terms, indexed by context code.

    ``terms`` (contexts, V) CSR: max(c - D, 0) / c(h); ``backoff`` (contexts,): gamma(h),
    1 for a context never followed by a word in training.
    """

    terms: sparse.csr_matrix
    backoff: np.ndarray


class KneserNey:
    """An interpolated modified Kneser-Ney model of ``order`` >= 1 over ids < ``vocabulary_size``."""

    def __init__(self, train_ids: np.ndarray, vocabulary_size: int, order: int) -> None:
        if order < 1:
            raise ValueError(f"n-gram order must be at least 1, got {order}")
        ids = np.asarray(train_ids, dtype=np.int64)
        if len(ids) < 2:
            raise ValueError("an n-gram model needs at least 2 training ids")
        self.order, self.vocabulary_size = order, vocabulary_size
        self.context_keys, codes = self._context_tables(ids)
        self.unigram = self._unigram(ids, codes)
        self.orders = [self._order(ids, codes, k) for k in range(2, order + 1)]

    def _context_tables(self, ids: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Codes of the contexts of length 1 .. order-1 ending at each position.

        ``codes[j - 1][t]`` is the code of ids[t-j+1 .. t] (-1 where the stream is too short);
        ``keys[j - 1]`` is the sorted key table for length j: key = code of the length j-1
        suffix * V + the oldest word (length 1 codes are the ids themselves, no table).
        """
        keys: list[np.ndarray] = [np.empty(0, dtype=np.int64)]
        codes: list[np.ndarray] = [ids]
        for length in range(2, self.order):
            shorter = codes[-1]
            key = np.full(len(ids), -1, dtype=np.int64)
            valid = np.arange(len(ids)) >= length - 1
            positions = np.nonzero(valid)[0]
            key[positions] = shorter[positions] * self.vocabulary_size + ids[positions - length + 1]
            table = np.unique(key[valid])
            code = np.full(len(ids), -1, dtype=np.int64)
            code[valid] = np.searchsorted(table, key[valid])
            keys.append(table)
            codes.append(code)
        return keys, codes

    def _continuation_counts(self, ids: np.ndarray, codes: list[np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Order-k events (context code, word) with their counts: raw at the highest order,
        else the number of distinct words seen before them. Returns (keys, counts) where
        key = context code * V + word (the context code is 0 for k = 1)."""
        V = self.vocabulary_size
        targets = np.arange(k - 1, len(ids)) if k > 1 else np.arange(len(ids))

        def event_keys(length: int, positions: np.ndarray) -> np.ndarray:
            context = codes[length - 1][positions - 1] if length > 0 else np.zeros(len(positions), dtype=np.int64)
            return context * V + ids[positions]

        if k == self.order:
            return np.unique(event_keys(k - 1, targets), return_counts=True)
        longer = np.arange(k, len(ids))  # positions with a word before the k-gram
        _, first = np.unique(event_keys(k, longer), return_index=True)
        return np.unique(event_keys(k - 1, longer[first]), return_counts=True)

    def _unigram(self, ids: np.ndarray, codes: list[np.ndarray]) -> np.ndarray:
        keys, counts = self._continuation_counts(ids, codes, 1)
        full = np.zeros(self.vocabulary_size)
        full[keys] = _discounted(counts, modified_discounts(counts))
        total = counts.sum()
        return full / total + (1.0 - full.sum() / total) / self.vocabulary_size

    def _order(self, ids: np.ndarray, codes: list[np.ndarray], k: int) -> _Order:
        keys, counts = self._continuation_counts(ids, codes, k)
        V = self.vocabulary_size
        contexts, words = keys // V, keys % V
        context_count = len(self.context_keys[k - 2]) if k > 2 else V
        totals = np.bincount(contexts, weights=counts, minlength=context_count)
        kept = _discounted(counts, modified_discounts(counts))
        kept_totals = np.bincount(contexts, weights=kept, minlength=context_count)
        seen = totals > 0
        backoff = np.ones(context_count)
        backoff[seen] = 1.0 - kept_totals[seen] / totals[seen]
        terms = sparse.csr_matrix((kept / totals[contexts], (contexts, words)), shape=(context_count, V))
        return _Order(terms, backoff)

    def context_codes(self, contexts: np.ndarray) -> list[np.ndarray]:
        """For contexts (B, >= order-1) of ids, the code of their last j words for j = 1 ..
        order-1 (a list of (B,) int64 arrays; -1 where that context never occurred)."""
        contexts = np.asarray(contexts, dtype=np.int64)
        if self.order > 1 and (contexts.ndim != 2 or contexts.shape[1] < self.order - 1):
            raise ValueError(f"contexts must have shape (batch, >= {self.order - 1}), got {contexts.shape}")
        codes = [contexts[:, -1]] if self.order > 1 else []
        for length in range(2, self.order):
            shorter, table = codes[-1], self.context_keys[length - 1]
            key = shorter * self.vocabulary_size + contexts[:, -length]
            position = np.minimum(np.searchsorted(table, key), len(table) - 1)
            found = (shorter >= 0) & (table[position] == key)
            codes.append(np.where(found, position, -1))
        return codes

    def target_probabilities(self, contexts: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """The probabilities (B,) float64 of the words ``targets`` (B,) after contexts (B, >= order-1):
        the entries of :meth:`distributions` at the targets, without the (B, V) arrays, so the
        cost does not grow with the vocabulary."""
        contexts, targets = np.atleast_2d(contexts), np.asarray(targets, dtype=np.int64)
        probabilities = self.unigram[targets]
        for order, codes in zip(self.orders, self.context_codes(contexts)):
            found = codes >= 0
            rows = codes[found]
            probabilities[found] = (probabilities[found] * order.backoff[rows]
                                    + np.asarray(order.terms[rows, targets[found]]).ravel())
        return probabilities

    def distributions(self, contexts: np.ndarray) -> np.ndarray:
        """Next-word probabilities (B, V), float64, for contexts (B, >= order-1) of ids."""
        contexts = np.atleast_2d(contexts)
        probabilities = np.tile(self.unigram, (len(contexts), 1))
        for order, codes in zip(self.orders, self.context_codes(contexts)):
            found = codes >= 0
            probabilities *= np.where(found, order.backoff[np.maximum(codes, 0)], 1.0)[:, None]  # in place
            terms = order.terms[codes[found]]  # each row's words once: a scatter adds them
            probabilities[np.repeat(np.flatnonzero(found), np.diff(terms.indptr)), terms.indices] += terms.data
        return probabilities
