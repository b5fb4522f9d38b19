"""The memory of the training text searched through an inverted-file index (faiss), not key by key.

:class:`models.memory.TrainingMemory` compares each query with every training position, so
scoring a text that is k times longer costs k^2 times as much. Here the unit keys are
clustered by k-means into ``lists`` cells (trained on an evenly spread sample of the keys) and
stored once, as float16, in faiss' ``IndexIVFScalarQuantizer``; a query compares its vector with
the cell centres and then only with the keys of its ``probes`` nearest cells. With about 256
keys a cell (at most :data:`MAX_LISTS` cells) and a fixed number of probes, a query costs about
the same whatever the text's length, so the evaluation grows with the text, not its square.

Why faiss and an inverted file: it is a maintained library with CPU wheels for Linux, macOS
and Windows; its IVF index builds in one k-means over a sample plus one pass of assignments
(an HNSW graph, the other common choice, costs N log N distance computations to build, which
is the slow part on 2 cores, and holds a graph beside the keys); its scalar quantizer keeps
each key in 2 bytes a dimension.

The probes are not guessed: :meth:`ApproximateMemory.tune_probes` doubles them until the index
finds at least ``target_recall`` of the exact top-``k`` neighbours of some queries (those that a
search of every cell finds), and records the recall it reached.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from lstmlab.models.decoding import unit_rows
from lstmlab.models.memory import MemoryVotes, Neighbours, memory_keys

logger = logging.getLogger(__name__)

MAX_LISTS = 4096
KEYS_PER_LIST = 256
TRAINING_KEYS_PER_LIST = 48  # k-means sample: faiss asks for at least 39 points a centre
KMEANS_ITERATIONS = 10
# A missing neighbour (a cell holding fewer than k keys) votes with this cosine: no weight.
MISSING_COSINE = -100.0


def list_count(keys: int) -> int:
    """The number of k-means cells for ``keys`` keys: about :data:`KEYS_PER_LIST` keys a cell,
    from 1 to :data:`MAX_LISTS`::

        >>> list_count(100), list_count(536_000), list_count(10_000_000)
        (1, 2093, 4096)
    """
    return int(min(MAX_LISTS, max(1, keys // KEYS_PER_LIST)))


class ApproximateMemory(MemoryVotes):
    """A memory of ``len(values)`` keys in a trained faiss ``index`` (keys added in the order of
    ``values`` (N,), the words after them); ``neighbours`` found per query; ``probes`` cells
    searched."""

    def __init__(self, index, values: np.ndarray, vocabulary_size: int, neighbours: int = 64, probes: int = 16) -> None:
        self.index, self.values = index, np.asarray(values, dtype=np.int32)
        self.vocabulary_size, self.neighbours = vocabulary_size, min(neighbours, len(values))
        self.probes = probes
        self.recall: float | None = None

    @classmethod
    def from_text(cls, predictor, ids: np.ndarray, length: int, excluded: Sequence[int] = (), neighbours: int = 64,
                  progress=None) -> "ApproximateMemory":
        """The memory of the training ids (N,) under ``predictor``, as
        :meth:`models.memory.TrainingMemory.from_text` stores it; ``progress(done, total)`` is
        called after each block of keys."""
        import faiss

        dimensions = predictor.dense_kernel.shape[1]
        lists = list_count(len(ids))
        index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dimensions), dimensions, lists,
                                              faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = KMEANS_ITERATIONS
        index.train(_training_sample(predictor, ids, length, excluded, lists * TRAINING_KEYS_PER_LIST))
        values = []
        for positions, keys, block_values in memory_keys(predictor, ids, length, excluded):
            index.add(keys)
            values.append(block_values)
            if progress is not None:
                progress(int(positions[-1]) + 1 if len(positions) else 0, len(ids))
        values = np.concatenate(values)
        if len(values) == 0:
            raise ValueError("no training positions to remember")
        return cls(index, values, len(predictor.output_vectors), neighbours)

    def nearest(self, vectors: np.ndarray, chunk: int = 4096) -> Neighbours:
        """The :class:`Neighbours` of each predicted vector (B, D) among the keys of the
        ``probes`` nearest cells, most similar first."""
        self.index.nprobe = self.probes
        queries = np.ascontiguousarray(unit_rows(vectors), dtype=np.float32)
        cosines = np.empty((len(queries), self.neighbours), dtype=np.float32)
        found = np.empty((len(queries), self.neighbours), dtype=np.int64)
        for start in range(0, len(queries), chunk):
            cosines[start : start + chunk], found[start : start + chunk] = self.index.search(
                queries[start : start + chunk], self.neighbours)
        missing = found < 0
        cosines[missing] = MISSING_COSINE
        return Neighbours(cosines, self.values[np.where(missing, 0, found)], found)

    def tune_probes(self, queries: np.ndarray, target_recall: float = 0.97, start: int = 8, most: int = 512) -> float:
        """Double :attr:`probes` from ``start`` (up to ``most``) until the index finds at least
        ``target_recall`` of the top-k neighbours that searching every cell finds for ``queries``
        (Q, D) (an exact search over the stored float16 keys). Returns the recall reached (also
        :attr:`recall`)."""
        queries = np.ascontiguousarray(unit_rows(queries), dtype=np.float32)
        self.index.nprobe = self.index.nlist
        _, exact = self.index.search(queries, self.neighbours)
        self.probes = min(start, self.index.nlist)
        while True:
            self.index.nprobe = self.probes
            _, found = self.index.search(queries, self.neighbours)
            self.recall = recall_of(found, exact)
            logger.info("memory search: %d of %d cells, recall %.3f of the exact top %d", self.probes,
                        self.index.nlist, self.recall, self.neighbours)
            if self.recall >= target_recall or self.probes >= min(most, self.index.nlist):
                return self.recall
            self.probes = min(2 * self.probes, most, self.index.nlist)


def recall_of(found: np.ndarray, exact: np.ndarray) -> float:
    """The share of the ``exact`` neighbours (Q, k) that are among the ``found`` ones (Q, k)::

        >>> recall_of(np.array([[1, 2, 3, -1]]), np.array([[3, 2, 5, 9]]))
        0.5
    """
    return float(np.mean([len(np.intersect1d(f, e)) / len(e) for f, e in zip(found, exact)]))


def _training_sample(predictor, ids: np.ndarray, length: int, excluded: Sequence[int], wanted: int) -> np.ndarray:
    """About ``wanted`` unit keys (n, D) float32 from evenly spread stretches of the text, for
    the k-means of the index's cells (the whole text when it has fewer positions)."""
    stretch = 64 * length
    if len(ids) <= wanted:
        return np.concatenate([keys for _, keys, _ in memory_keys(predictor, ids, length, excluded)])
    starts = np.linspace(0, len(ids) - stretch, max(1, -(-wanted // stretch))).astype(np.int64) // length * length
    blocks = [keys for start in np.unique(starts)
              for _, keys, _ in memory_keys(predictor, ids[start : start + stretch], length, excluded)]
    return np.concatenate(blocks)
