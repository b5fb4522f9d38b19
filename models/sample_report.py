"""Measure a decoding method on held-out seeds: repetition, diversity, punctuation, likelihood.

``measure_generation`` extends each seed (e.g. 20 held-out windows of 20 words) by ``length``
words and returns, over the samples: the share of repeated 4-grams within a sample,
distinct-1 and distinct-2, the share of punctuation tokens (to set beside the held-out
text's own share), the largest share of one token in a sample, and the mean log-probability
the model gives its own samples (temperature 1, no penalties); and whether quotations that
open close again (:func:`corpus.sample_quality.quotation_balance`), beside the same measure on
spans of the held-out text (:func:`text_quotation_balance`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmlab.corpus.sample_quality import (QuotationBalance, distinct_share, punctuation_share, quotation_balance,
                                           repeated_ngram_share, top_token_share)
from lstmlab.models.generation import TextPairs, beam_search, generate_many
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.settings import DecodingSettings


def measure_generation(predictor: NumpyNextWordPredictor, words: list[str], seeds: np.ndarray, length: int,
                       settings: DecodingSettings, pairs: TextPairs | None = None) -> dict[str, Any]:
    """Generate ``length`` words after each seed (K, T) with ``settings`` (``pairs``: the neighbouring
    words the text allows, None: any) and measure the samples."""
    window = seeds.shape[1]
    if settings.method == "beam":
        generations = [beam_search(predictor, seed.tolist(), length, window, settings, pairs) for seed in seeds]
    else:
        generations = generate_many(predictor, [seed.tolist() for seed in seeds], length, window, settings,
                                    pairs)
    samples = [generation.ids for generation in generations]
    return {
        "method": settings.method,
        "context": settings.context,
        **_quotation_figures(sum((quotation_balance([words[i] for i in sample]) for sample in samples),
                                 QuotationBalance(0, 0, 0, 0))),
        "repeated_4gram_share": float(np.mean([repeated_ngram_share(s, 4) for s in samples])),
        "distinct_1": float(np.mean([distinct_share(s, 1) for s in samples])),
        "distinct_2": float(np.mean([distinct_share(s, 2) for s in samples])),
        "punctuation_share": float(np.mean([punctuation_share([words[i] for i in s]) for s in samples])),
        "largest_token_share": float(max(top_token_share(s) for s in samples)),
        "mean_log_probability": float(np.mean([np.mean(g.log_probabilities) for g in generations])),
        "first_sample": [int(i) for i in samples[0][:60]],
    }


def _quotation_figures(balance: QuotationBalance) -> dict[str, Any]:
    return {"quotations_opened": balance.opened, "quotations_closed_share": balance.closed_share,
            "closing_marks_unopened_share": balance.unopened_share}


def text_quotation_balance(words: list[str], spans: int, length: int) -> dict[str, Any]:
    """The quotation measures of ``spans`` evenly spaced spans of ``length`` words of a held-out
    text ``words`` (what generated samples of that length are to be set beside)."""
    starts = np.linspace(0, max(0, len(words) - length), spans).astype(int)
    balance = sum((quotation_balance(words[start : start + length]) for start in starts), QuotationBalance(0, 0, 0, 0))
    return {"spans": int(len(starts)), "length": length, **_quotation_figures(balance)}
