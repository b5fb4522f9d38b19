"""Measures of generated text, to compare decoding methods by numbers rather than by eye.

For one sample of word ids (its words for punctuation)::

    >>> sample = [1, 2, 3, 4, 1, 2, 3, 4, 5]
    >>> repeated_ngram_share(sample, 4)       # "1 2 3 4" occurs twice: 1 of its 6 4-grams repeats one
    0.16666666666666666
    >>> distinct_share(sample, 1), distinct_share(sample, 2)
    (0.5555555555555556, 0.625)
    >>> punctuation_share(["宝玉", "道", "：", "好", "。"]), top_token_share(sample)
    (0.4, 0.2222222222222222)
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from lstmlab.corpus.segment import is_punctuation


def _ngrams(ids: Sequence[int], size: int) -> list[tuple[int, ...]]:
    return [tuple(ids[i : i + size]) for i in range(len(ids) - size + 1)]


def repeated_ngram_share(ids: Sequence[int], size: int = 4) -> float:
    """Share of the n-grams of ``ids`` that repeat an earlier n-gram of the same sample."""
    grams = _ngrams(ids, size)
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0


def distinct_share(ids: Sequence[int], size: int) -> float:
    """distinct-n: distinct n-grams / all n-grams of ``ids`` (1.0 = no repeats)."""
    grams = _ngrams(ids, size)
    return len(set(grams)) / len(grams) if grams else 0.0


def punctuation_share(words: Sequence[str]) -> float:
    """Share of ``words`` that are punctuation tokens."""
    return sum(map(is_punctuation, words)) / len(words) if words else 0.0


def top_token_share(ids: Sequence[int]) -> float:
    """Share of the most frequent token in ``ids`` (near 1.0: the sample is mostly one token)."""
    return Counter(ids).most_common(1)[0][1] / len(ids) if len(ids) else 0.0
