"""Measures of generated text, to compare decoding methods by numbers rather than by eye.

For one sample of word ids (its words for punctuation)::

    >>> sample = [1, 2, 3, 4, 1, 2, 3, 4, 5]
    >>> repeated_ngram_share(sample, 4)       # "1 2 3 4" occurs twice: 1 of its 6 4-grams repeats one
    0.16666666666666666
    >>> distinct_share(sample, 1), distinct_share(sample, 2)
    (0.5555555555555556, 0.625)
    >>> punctuation_share(["宝玉", "道", "：", "好", "。"]), top_token_share(sample)
    (0.4, 0.2222222222222222)

and for long-range coherence, whether quotations that open also close (:func:`quotation_balance`)::

    >>> quotation_balance(["道", "：", "“", "好", "。", "”", "又", "“", "去", "“", "罢", "”", "。", "”"])
    QuotationBalance(opened=3, closed=2, closings=3, unopened=1)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

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


# Opening and closing quotation marks, as pairs: curly quotes and corner brackets (both kinds).
QUOTATION_MARKS = {"“": "”", "「": "」", "『": "』"}
CLOSING_MARKS = frozenset(QUOTATION_MARKS.values())


@dataclass(frozen=True)
class QuotationBalance:
    """Counts over a text: ``opened`` quotation marks, of which ``closed`` are closed before the
    next one opens; ``closings``, closing marks, of which ``unopened`` close no open quotation."""

    opened: int
    closed: int
    closings: int
    unopened: int

    def __add__(self, other: "QuotationBalance") -> "QuotationBalance":
        return QuotationBalance(self.opened + other.opened, self.closed + other.closed,
                                self.closings + other.closings, self.unopened + other.unopened)

    @property
    def closed_share(self) -> float | None:
        """Share of the opened quotations closed before the next opens (None: none opened)."""
        return self.closed / self.opened if self.opened else None

    @property
    def unopened_share(self) -> float | None:
        """Share of the closing marks that close nothing (None: no closing mark)."""
        return self.unopened / self.closings if self.closings else None


def quotation_balance(words: Iterable[str]) -> QuotationBalance:
    """Count opened and closed quotations in ``words`` (a mark may sit inside a longer token):
    an opening mark is closed when a closing mark comes before the next opening mark; a closing
    mark with no quotation open is unopened."""
    opened = closed = closings = unopened = 0
    inside = False
    for character in (character for word in words for character in word):
        if character in QUOTATION_MARKS:
            opened += 1
            inside = True
        elif character in CLOSING_MARKS:
            closings += 1
            if inside:
                closed += 1
                inside = False
            else:
                unopened += 1
    return QuotationBalance(opened, closed, closings, unopened)
