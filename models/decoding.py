"""Nearest-word decoding by cosine similarity, greedy or sampled.

Every search is one matrix product of unit vectors, chunked to bound memory::

    >>> decoder = NearestWords(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))   # (V, D)
    >>> decoder.top_k(np.array([[0.9, 0.1], [0.0, 2.0]]), k=2)                  # (B, D) -> (B, k)
    array([[0, 2],
           [1, 2]], dtype=int32)
"""

from __future__ import annotations

import numpy as np


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows of ``matrix`` scaled to length 1 (zero rows stay zero), float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class NearestWords:
    """Cosine nearest-neighbour search over word vectors (V, D); the ``excluded`` ids (the
    unknown word) are never found::

        >>> NearestWords(np.array([[1.0, 0.0], [0.0, 1.0]]), excluded=[0]).top_k(np.array([[1.0, 0.1]]), k=1)
        array([[1]], dtype=int32)
    """

    def __init__(self, word_vectors: np.ndarray, excluded=()) -> None:
        self.unit_vectors = unit_rows(word_vectors)
        self.excluded = np.asarray(excluded, dtype=np.int64)

    def cosines(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine of each vector (B, D) to every word: (B, V), the excluded words included."""
        return unit_rows(vectors) @ self.unit_vectors.T

    def _searched(self, vectors: np.ndarray) -> np.ndarray:
        """:meth:`cosines` with the excluded words at -inf."""
        scores = self.cosines(vectors)
        scores[:, self.excluded] = -np.inf
        return scores

    def top_k(self, vectors: np.ndarray, k: int, chunk: int = 512) -> np.ndarray:
        """Ids (B, k) of the ``k`` nearest words to each of ``vectors`` (B, D), nearest first."""
        vectors = np.atleast_2d(vectors)
        k = min(k, len(self.unit_vectors) - len(self.excluded))
        out = np.empty((len(vectors), k), dtype=np.int32)
        for start in range(0, len(vectors), chunk):
            scores = self._searched(vectors[start : start + chunk])
            part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
            out[start : start + chunk] = np.take_along_axis(part, order, axis=1)
        return out
