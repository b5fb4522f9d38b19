"""A memory of the training text for the next-word model: its nearest training contexts.

The model turns a context into a predicted vector and decodes it against word vectors by
cosine. The memory decodes the same vector against the training text instead (the kNN-LM of
Khandelwal et al. 2020, "Generalization through memorization"): every training position is
stored as a *key*, the model's predicted vector there, made unit length, and a *value*, the
word that came next. For a new context the ``neighbours`` keys most similar by cosine vote for
their next words, each with weight exp(temperature x cosine), normalised. Mixed with the
model's own distribution, it recalls what the text said after near-identical contexts, as
an n-gram model does by exact counts and an LSTM only in part::

    >>> rng = np.random.default_rng(0)
    >>> keys = rng.normal(size=(6, 3))                      # 6 training positions, D = 3
    >>> memory = TrainingMemory(keys, np.array([0, 1, 1, 2, 2, 2]), vocabulary_size=4, neighbours=2)
    >>> found = memory.nearest(keys[[3]] * 5.0)             # the 4th key's own direction
    >>> found.words.tolist(), round(float(found.cosines[0, 0]), 6)
    ([[2, 2]], 1.0)
    >>> memory.distributions_of(found, temperature=10.0).tolist()   # both neighbours say 2
    [[0.0, 0.0, 1.0, 0.0]]
    >>> memory.target_probabilities(found, np.array([2]), temperature=10.0).tolist()
    [1.0]

Keys are computed over the training ids cut into windows of the model's length, twice, the
second cut half a window later, and each position keeps the key with the longer context (at
least half a window, after the first window); the last few positions, in neither cut, are not
stored. :func:`memory_keys` yields them block by block, so a memory can be filled without ever
holding every key in float32.

:class:`TrainingMemory` searches every key (exact; its time grows with the square of the text);
:class:`models.approximate_memory.ApproximateMemory` searches an inverted-file index (faiss).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from lstmlab.corpus.interpolation import fit_interpolation_weight, mixture_negative_log_likelihood
from lstmlab.models.decoding import unit_rows

# The temperatures tried for the neighbours' weights exp(temperature x cosine): from a broad
# vote to almost only the nearest neighbour.
MEMORY_TEMPERATURES = (10.0, 30.0, 100.0)


@dataclass
class Neighbours:
    """The ``k`` most similar keys of each of B queries, most similar first: ``cosines`` (B, k)
    float32, the ``words`` (B, k) that followed them and the keys' ``indices`` (B, k) (their
    order of storing, -1 for none found)."""

    cosines: np.ndarray
    words: np.ndarray
    indices: np.ndarray | None = None


class MemoryVotes:
    """What every memory shares: turning :class:`Neighbours` into distributions over the
    ``vocabulary_size`` words; a subclass finds them (``nearest(vectors (B, D)) -> Neighbours``)."""

    vocabulary_size: int

    def distributions_of(self, found: Neighbours, temperature: float) -> np.ndarray:
        """p(next word) (B, V) float64: the neighbours' next words, each weighted by
        exp(``temperature`` x cosine), normalised."""
        weights = _vote_weights(found, temperature)
        out = np.zeros((len(weights), self.vocabulary_size))
        np.add.at(out, (np.arange(len(weights))[:, None], found.words), weights)
        return out

    def target_probabilities(self, found: Neighbours, targets: np.ndarray, temperature: float) -> np.ndarray:
        """The probabilities (B,) that :meth:`distributions_of` gives the true next words ``targets`` (B,)."""
        return (_vote_weights(found, temperature) * (found.words == np.asarray(targets)[:, None])).sum(axis=1)


class TrainingMemory(MemoryVotes):
    """Unit ``keys`` (N, D) and their next words ``values`` (N,) over a vocabulary of
    ``vocabulary_size`` words; :meth:`nearest` finds the ``neighbours`` most similar keys by
    comparing with every key."""

    def __init__(self, keys: np.ndarray, values: np.ndarray, vocabulary_size: int, neighbours: int = 64) -> None:
        if len(keys) != len(values) or len(keys) == 0:
            raise ValueError(f"need as many keys as values, at least one: got {len(keys)} and {len(values)}")
        # stored as (D, N): products with it run 1.4x faster than with a transposed (N, D) array
        self.keys_by_dimension = np.ascontiguousarray(unit_rows(keys).T)
        self.values = np.asarray(values, dtype=np.int64)
        self.vocabulary_size = vocabulary_size
        self.neighbours = min(neighbours, len(keys))

    @classmethod
    def from_text(cls, predictor, ids: np.ndarray, length: int, excluded: Sequence[int] = (),
                  neighbours: int = 64) -> "TrainingMemory":
        """The memory of the training ids (N,) under ``predictor``
        (:class:`models.predictor.NumpyNextWordPredictor`) with windows of ``length`` words;
        positions followed by an ``excluded`` word (the unknown word) are not stored."""
        blocks = list(memory_keys(predictor, ids, length, excluded))
        keys = np.concatenate([keys for _, keys, _ in blocks])
        values = np.concatenate([values for _, _, values in blocks])
        return cls(keys, values, len(predictor.output_vectors), neighbours)

    @property
    def keys(self) -> np.ndarray:
        """The unit keys (N, D) (a view)."""
        return self.keys_by_dimension.T

    def nearest(self, vectors: np.ndarray, chunk: int = 256) -> Neighbours:
        """The :class:`Neighbours` of each predicted vector (B, D), ``chunk`` queries at a time
        (memory: chunk x N float32 cosines)."""
        queries, k = unit_rows(vectors), self.neighbours
        cosines = np.empty((len(queries), k), dtype=np.float32)
        found = np.empty((len(queries), k), dtype=np.int64)
        for start in range(0, len(queries), chunk):
            similar = queries[start : start + chunk] @ self.keys_by_dimension
            top = top_k_columns(similar, k)
            top_cosines = np.take_along_axis(similar, top, axis=1)
            order = np.argsort(-top_cosines, axis=1, kind="stable")
            cosines[start : start + chunk] = np.take_along_axis(top_cosines, order, axis=1)
            found[start : start + chunk] = np.take_along_axis(top, order, axis=1)
        return Neighbours(cosines, self.values[found], found)


def _vote_weights(found: Neighbours, temperature: float) -> np.ndarray:
    """Each neighbour's share of the vote (B, k) float64: exp(``temperature`` x cosine), normalised per row."""
    weights = np.exp(temperature * (found.cosines - found.cosines.max(axis=1, keepdims=True)).astype(np.float64))
    return weights / weights.sum(axis=1, keepdims=True)


def fit_memory_mixture(memory: MemoryVotes, found: Neighbours, targets: np.ndarray, model_probabilities: np.ndarray,
                       temperatures: Sequence[float] = MEMORY_TEMPERATURES) -> tuple[float, float, float]:
    """The temperature among ``temperatures`` and the model's weight in the mixture
    weight x model + (1 - weight) x memory that fit held-out text best: ``found``, the
    neighbours of its windows, ``targets`` (B,) their true next words, ``model_probabilities``
    (B,) the model's probabilities of them. Returns ``(temperature, weight, perplexity)``, the
    mixture's perplexity there."""
    fits = []
    for temperature in temperatures:
        remembered = memory.target_probabilities(found, targets, temperature)
        weight = fit_interpolation_weight(model_probabilities, remembered)
        loss = mixture_negative_log_likelihood(weight, model_probabilities, remembered)
        fits.append((loss, temperature, weight))
    loss, temperature, weight = min(fits)
    return temperature, weight, float(np.exp(loss))


class MemoryModel:
    """The memory's distributions for windows of ids, with a ``distributions(contexts (B, T))
    -> (B, V)`` method like every scored model: the ``predictor`` gives the vectors, the
    ``memory`` their neighbours, ``temperature`` their weights."""

    def __init__(self, predictor, memory: MemoryVotes, temperature: float) -> None:
        self.predictor, self.memory, self.temperature = predictor, memory, temperature

    def distributions(self, contexts: np.ndarray) -> np.ndarray:
        found = self.memory.nearest(self.predictor.predict_vectors(contexts))
        return self.memory.distributions_of(found, self.temperature)


def top_k_columns(scores: np.ndarray, k: int, block: int = 128) -> np.ndarray:
    """The columns (B, k) of the ``k`` largest ``scores`` (B, N) of each row, in no order.

    Faster than an argpartition of whole rows: cut each row into blocks of ``block`` columns;
    the k largest scores lie in the k blocks with the largest maxima (a block left out has a
    maximum below k other blocks' maxima, so below k scores), so only those k x ``block``
    scores (and the last partial block's) are partitioned::

        >>> scores = np.random.default_rng(0).normal(size=(3, 1000))
        >>> found = np.sort(np.take_along_axis(scores, top_k_columns(scores, 5, block=16), axis=1), axis=1)
        >>> np.array_equal(found, np.sort(scores, axis=1)[:, -5:])
        True
    """
    rows, columns = scores.shape
    if k >= columns:
        return np.tile(np.arange(columns), (rows, 1))
    whole = columns // block * block
    if whole // block <= k:
        return np.argpartition(scores, columns - k, axis=1)[:, -k:]
    maxima = scores[:, :whole].reshape(rows, -1, block).max(axis=2)
    top_blocks = np.argpartition(maxima, maxima.shape[1] - k, axis=1)[:, -k:]
    candidates = (top_blocks[:, :, None] * block + np.arange(block)).reshape(rows, -1)
    if whole < columns:
        candidates = np.concatenate([candidates, np.tile(np.arange(whole, columns), (rows, 1))], axis=1)
    candidate_scores = np.take_along_axis(scores, candidates, axis=1)
    chosen = np.argpartition(candidate_scores, candidate_scores.shape[1] - k, axis=1)[:, -k:]
    return np.take_along_axis(candidates, chosen, axis=1)


def memory_keys(predictor, ids: np.ndarray, length: int, excluded: Sequence[int] = (),
                block_windows: int = 1024):
    """The memory's keys of the training ids (N,), ``block_windows`` windows of ``length`` at a
    time: yields ``(positions (n,), keys (n, D) float32, unit length, values (n,) int64)`` per
    block, the stored positions, their keys and the words after them (positions followed by an
    ``excluded`` word are left out). The keys are those the whole text cut at once would give:
    each block is read with one window before it and one after it."""
    block = block_windows * length
    for begin in range(0, len(ids), block):
        low, high = max(0, begin - length), min(len(ids), begin + block + length)
        piece = ids[low:high]
        keys, context = _position_vectors(predictor, piece, length, 0)
        later, later_context = _position_vectors(predictor, piece, length, length // 2)
        longer = later_context > context
        keys[longer], context[longer] = later[longer], later_context[longer]
        local = np.arange(begin - low, min(begin + block, len(ids) - 1) - low)
        local = local[(context[local] > 0) & ~np.isin(piece[local + 1], excluded)]
        yield local + low, unit_rows(keys[local]).astype(np.float32), piece[local + 1].astype(np.int64)


def _position_vectors(predictor, ids: np.ndarray, length: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """The predicted vector after each position of ``ids`` (N,) read in windows of ``length``
    starting at ``offset``, (N, D) float32, and how many words of context each had (N,), 0 for
    the positions no window covers."""
    count = (len(ids) - offset) // length
    windows = ids[offset : offset + count * length].reshape(count, length)
    vectors = np.zeros((len(ids), predictor.dense_kernel.shape[1]), dtype=np.float32)
    if count:
        chunks = [predictor.predict_vectors(windows[start : start + 1024], every_position=True)
                  for start in range(0, count, 1024)]
        vectors[offset : offset + count * length] = np.concatenate(chunks).reshape(-1, vectors.shape[1])
    context = np.zeros(len(ids), dtype=np.int64)
    context[offset : offset + count * length] = np.tile(np.arange(1, length + 1), count)
    return vectors, context
