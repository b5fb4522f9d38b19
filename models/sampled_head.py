"""A sampled softmax for training: each step scores a fixed number of candidate words, not all V.

The full head scores every word of the vocabulary at every position, so a training step costs
O(V) per predicted word and V grows with the text. With ``train.head = "sampled"`` each batch
is scored against ``size`` shared candidates (Jean et al. 2015, Bengio & Senecal 2008):

* every word that is a target somewhere in the batch (so each position's own word is there), and
* for the rest of the ``size``, S draws with replacement from the proposal q ∝ (count + 1) ** 0.75;
  the drawn words that are not batch targets join the candidates (S = ``size`` minus the
  targets, so they always fit).

The softmax's denominator over all V words is estimated by Horvitz-Thompson: the batch's
targets are in the set for certain and count once; each other candidate j counts 1 / π_j,
with π_j = 1 - (1 - q_j) ** S its chance of being drawn. So the logit of such a word is lowered
by log π_j (its ``correction``), and the loss is the usual cross-entropy over the candidates.
Evaluation and generation keep the full distribution: the model saved is the full-head model
with the same weights. Unfilled places are word 0 with a correction so large it never counts::

    >>> sampler = CandidateSampler(np.array([50, 30, 10, 5, 3, 1, 1, 0]), size=6)
    >>> candidates, correction, target_index, weights = sampler.draw(np.array([[2, 0], [2, 5]]),
    ...                                                              np.random.default_rng(0))
    >>> len(candidates), candidates[:3].tolist(), correction[:3].tolist()   # the targets first, counted once
    (6, [0, 2, 5], [0.0, 0.0, 0.0])
    >>> candidates[target_index].tolist(), weights.tolist()                # each row's own word
    ([[2, 0], [2, 5]], [[1.0, 1.0], [1.0, 1.0]])

The candidate count is fixed so that a compiled step sees one shape. A batch with more distinct
targets than ``size`` keeps the most frequent ``size`` of them (the lowest ids: the vocabulary is
sorted by count) and gives the others' positions weight 0; :attr:`CandidateSampler.dropped` counts
them. With ``size`` at least the vocabulary, every step is the exact softmax.
"""

from __future__ import annotations

import logging

import keras
import numpy as np

logger = logging.getLogger(__name__)

# The correction of unfilled candidates: their logits fall this far, so exp() of them is 0.
PADDING_CORRECTION = 1.0e4


class CandidateSampler:
    """Draws each batch's ``size`` candidate words from the training ``counts`` (V,) of every word."""

    def __init__(self, counts: np.ndarray, size: int) -> None:
        if size < 1:
            raise ValueError(f"need at least one candidate word per step, got {size}")
        weights = (np.asarray(counts, dtype=np.float64) + 1.0) ** 0.75
        self.proposal = weights / weights.sum()
        self.cumulative = np.cumsum(self.proposal)
        self.cumulative[-1] = 1.0
        self.size = min(size, len(self.proposal))
        self.dropped = 0

    @property
    def vocabulary_size(self) -> int:
        return len(self.proposal)

    def draw(self, targets: np.ndarray, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The candidates for a batch of target ids ``targets`` (any shape): ``(candidates (C,)
        int32, correction (C,) float32, target_index, weights)``, the last two shaped as
        ``targets``: ``candidates[target_index] == targets`` where ``weights`` (float32) is 1, and
        the logit of candidate c is to be lowered by ``correction[c]``."""
        targets = np.asarray(targets)
        if self.size == self.vocabulary_size:  # every word: the exact softmax
            return (np.arange(self.size, dtype=np.int32), np.zeros(self.size, np.float32),
                    targets.astype(np.int32), np.ones(targets.shape, np.float32))
        present = np.unique(targets)
        kept = present[: self.size]
        draws = self.size - len(kept)
        extra = np.zeros(0, dtype=present.dtype)
        if draws:
            drawn = np.searchsorted(self.cumulative, rng.random(draws), side="right")
            extra = np.setdiff1d(np.unique(drawn), present, assume_unique=True)
        inclusion = -np.expm1(draws * np.log1p(-self.proposal[extra]))
        padding = self.size - len(kept) - len(extra)
        candidates = np.concatenate([kept, extra, np.zeros(padding, dtype=present.dtype)]).astype(np.int32)
        correction = np.concatenate([np.zeros(len(kept)), np.log(inclusion),
                                     np.full(padding, PADDING_CORRECTION)]).astype(np.float32)
        target_index = np.searchsorted(kept, targets)
        fits = (target_index < len(kept)) & (kept[np.minimum(target_index, len(kept) - 1)] == targets)
        if not fits.all():
            self._warn_dropped(int((~fits).sum()))
        return candidates, correction, np.where(fits, target_index, 0).astype(np.int32), fits.astype(np.float32)

    def _warn_dropped(self, count: int) -> None:
        if not self.dropped:
            logger.warning("a training batch had more distinct target words than the %d candidates "
                           "(train.sampled_words): the rarest are left out of its loss", self.size)
        self.dropped += count


class SampledBatches(keras.utils.PyDataset):
    """The batches of ``batches`` (each ``(ids (B, T), targets)``) with their candidates:
    ``({"word_ids": ids, "candidates": (B, C), "candidate_correction": (B, C)}, target_index, weights)``.
    Every row holds the same candidates (the head reads row 0); the draws of batch i of epoch e
    depend on ``seed``, e and i alone, so a resumed training draws the same."""

    def __init__(self, batches: keras.utils.PyDataset, sampler: CandidateSampler, seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.batches, self.sampler, self.seed = batches, sampler, seed

    def __len__(self) -> int:
        return len(self.batches)

    def on_epoch_end(self) -> None:
        self.batches.on_epoch_end()

    def __getitem__(self, index: int):
        ids, targets = self.batches[index]
        rng = np.random.default_rng([self.seed, getattr(self.batches, "epoch", 0), index])
        candidates, correction, target_index, weights = self.sampler.draw(targets, rng)
        rows = len(ids)
        return ({"word_ids": ids, "candidates": np.tile(candidates, (rows, 1)),
                 "candidate_correction": np.tile(correction, (rows, 1))}, target_index, weights)
