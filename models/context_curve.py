"""How much context a predictor uses: its test figures when it may read only the last n words.

The LSTM reads the last n words from a zero state (for n words beyond its training windows it
reads more than it was trained on); ``"all"`` carries the state over the whole text from the
start of the held-out part (the continuous protocol). A Kneser-Ney model of order k reads the
last k - 1 words, so its curve stops where its orders stop: at n >= k_max - 1 it is the
highest order fitted. Where each curve flattens is how far back each model looks::

    >>> CONTEXT_LENGTHS
    (1, 2, 3, 5, 10, 20, 50, 100, 200, 'all')
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from lstmlab.corpus.scoring import ScoreAccumulator, target_figures
from lstmlab.corpus.windows import window_batch
from lstmlab.models.predictor import NumpyNextWordPredictor

CONTEXT_LENGTHS: tuple[int | str, ...] = (1, 2, 3, 5, 10, 20, 50, 100, 200, "all")


def _figures(chunks) -> dict[str, float]:
    """Perplexity, top-1 and top-10 from chunks of (the targets' log p (B,), their ranks (B,))."""
    accumulator = ScoreAccumulator()
    for log_probabilities, ranks in chunks:
        accumulator.add_targets(log_probabilities, ranks)
    score = accumulator.score()
    return {"perplexity": score.perplexity, "top1": score.top1, "top10": score.top10}


def model_curve(predictor: NumpyNextWordPredictor, ids: np.ndarray, positions: np.ndarray, continuous_from: int,
                lengths: tuple[int | str, ...] = CONTEXT_LENGTHS, chunk: int = 1000) -> list[dict[str, Any]]:
    """The model's figures on the words at ``positions`` (P,) of ``ids`` (N,) for each context
    length (n words before each, from a zero state; "all": carried from ``continuous_from``).
    Every position must have the longest n words before it."""
    targets = ids[positions]
    rows = []
    for length in lengths:
        if length == "all":
            vectors = predictor.continuous_vectors(ids, continuous_from, positions)
            chunks = (predictor.targets_and_ranks(vectors[start : start + chunk], targets[start : start + chunk])
                      for start in range(0, len(positions), chunk))
        else:
            chunks = (predictor.targets_and_ranks(predictor.predict_vectors(
                window_batch(ids, positions[start : start + chunk] - length, length)[0]), targets[start : start + chunk])
                for start in range(0, len(positions), chunk))
        rows.append({"context": length, **_figures(chunks)})
    return rows


def ngram_curve(ngrams: Mapping[int, Any], ids: np.ndarray, positions: np.ndarray,
                lengths: tuple[int | str, ...] = CONTEXT_LENGTHS, chunk: int = 1000) -> list[dict[str, Any]]:
    """The figures of the n-gram models ``ngrams`` (order -> model with ``distributions(contexts)``)
    for each context length: the order that reads n words (n + 1), or the highest there is."""
    targets, highest = ids[positions], max(ngrams)
    contexts = window_batch(ids, positions - highest + 1, highest - 1)[0]  # all any order reads
    by_order: dict[int, dict[str, float]] = {}
    rows = []
    for length in lengths:
        order = highest if length == "all" else min(length + 1, highest)
        if order not in by_order:
            by_order[order] = _figures(_ngram_chunks(ngrams[order], contexts, targets, chunk))
        rows.append({"context": length, "order": order, **by_order[order]})
    return rows


def _ngram_chunks(model, contexts: np.ndarray, targets: np.ndarray, chunk: int):
    """(log p (B,), ranks (B,)) of an n-gram ``model`` on ``contexts`` (N, T) and ``targets`` (N,), chunk by chunk."""
    for start in range(0, len(targets), chunk):
        yield target_figures(model.distributions(contexts[start : start + chunk]), targets[start : start + chunk])
