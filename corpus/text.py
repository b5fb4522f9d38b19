"""Joining segmented words back into running text.

Chinese is written without spaces, so words are joined directly, except that two Latin
or digit words keep one space between them::

    >>> join_words(["宝玉", "道", "：", "Hello", "world", "。"])
    '宝玉道：Hello world。'

the words that a segmented text ever writes twice in a row (generation lets only these follow
themselves, so a sample never says "，，" when the text never does)::

    >>> sorted(doubled_words(["他 说 ： 说 说 罢 ，", "， — — 好"]))  # not "，": lines are apart
    ['—', '说']

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


def doubled_words(lines: Iterable[str]) -> set[str]:
    """Words that directly follow themselves somewhere in ``lines`` (words separated by spaces;
    a line break parts two words)."""
    doubled: set[str] = set()
    for line in lines:
        words = line.split()
        doubled.update(word for word, following in zip(words, words[1:]) if word == following)
    return doubled


def close_matches(vocabulary: Sequence[str], word: str, limit: int = 5) -> list[str]:
    """Words of ``vocabulary`` (most frequent first) that share a character with ``word``."""
    characters = set(word)
    return [known for known in vocabulary if characters & set(known)][:limit]
