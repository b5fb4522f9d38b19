"""Joining segmented words back into running text.

Chinese is written without spaces, so words are joined directly, except that two Latin
or digit words keep one space between them::

    >>> join_words(["宝玉", "道", "：", "Hello", "world", "。"])
    '宝玉道：Hello world。'

and a word outside a vocabulary gets suggestions that share its characters::

    >>> close_matches(["宝玉", "黛玉", "道", "宝钗"], "宝哥哥")
    ['宝玉', '宝钗']
"""

from __future__ import annotations

from typing import Iterable, Sequence


def join_words(words: Iterable[str]) -> str:
    """Join ``words`` as Chinese is written: no space, except between two Latin/digit words."""
    out = ""
    for word in words:
        if out and out[-1].isascii() and out[-1].isalnum() and word[:1].isascii() and word[:1].isalnum():
            out += " "
        out += word
    return out


def close_matches(vocabulary: Sequence[str], word: str, limit: int = 5) -> list[str]:
    """Words of ``vocabulary`` (most frequent first) that share a character with ``word``."""
    characters = set(word)
    return [known for known in vocabulary if characters & set(known)][:limit]
