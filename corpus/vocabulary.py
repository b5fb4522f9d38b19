"""The unknown word: one stand-in token for the words too rare to get a vector.

word2vec keeps only the words seen ``min_count`` times. Left out, the rarer words leave holes:
the id stream closes up around them, so "， 贾蔷 ，" reads "， ，" to the models. Written as
:data:`UNKNOWN` before word2vec trains (``word2vec.rare_as_unknown``), they share one vector and
keep their places in the stream. The models read it as context and may predict it; the
held-out scores leave out the windows whose next word is unknown and give every distribution
over the real words only, and generation never writes it::

    >>> lines = ["宝玉 笑 道", "黛玉 笑 道", "宝玉 走 了"]
    >>> rare = rare_words(lines, min_count=2)
    >>> sorted(rare)
    ['了', '走', '黛玉']
    >>> list(with_unknown(lines, rare))
    ['宝玉 笑 道', '<unk> 笑 道', '宝玉 <unk> <unk>']
    >>> unknown_ids(["宝玉", UNKNOWN, "笑"]), unknown_ids(["宝玉", "笑"])
    ([1], [])
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Iterator, Sequence

UNKNOWN = "<unk>"


def rare_words(lines: Iterable[str], min_count: int) -> set[str]:
    """The words of space-separated ``lines`` seen fewer than ``min_count`` times."""
    counts = Counter(word for line in lines for word in line.split())
    return {word for word, count in counts.items() if count < min_count}


def with_unknown(lines: Iterable[str], rare: set[str]) -> Iterator[str]:
    """Each of ``lines`` with its ``rare`` words written as :data:`UNKNOWN` (words joined by one space)."""
    for line in lines:
        yield " ".join(UNKNOWN if word in rare else word for word in line.split())


def unknown_ids(words: Sequence[str]) -> list[int]:
    """The id of :data:`UNKNOWN` in the vocabulary ``words``, as a list: empty when it has none."""
    return [index for index, word in enumerate(words) if word == UNKNOWN]
