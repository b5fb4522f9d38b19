"""Joining segmented words back into running text.

Chinese is written without spaces, so words are joined directly, except that two Latin
or digit words keep one space between them::

    >>> join_words(["宝玉", "道", "：", "Hello", "world", "。"])
    '宝玉道：Hello world。'

the pairs of neighbouring words that generation checks against the text (a word after
itself, a punctuation mark after a punctuation mark), as the text writes them::

    >>> sorted(checked_pairs(["他 说 ： 说 说 罢 。 ”", "， 好 — —"]))  # "” ，" are lines apart
    [('—', '—'), ('。', '”'), ('说', '说')]

and a word outside a vocabulary gets suggestions that share its characters::

    >>> close_matches(["宝玉", "黛玉", "道", "宝钗"], "宝哥哥")
    ['宝玉', '宝钗']
"""

from __future__ import annotations

from typing import Iterable, Sequence

from lstmlab.corpus.segment import is_punctuation


def join_words(words: Iterable[str]) -> str:
    """Join ``words`` as Chinese is written: no space, except between two Latin/digit words."""
    out = ""
    for word in words:
        if out and out[-1].isascii() and out[-1].isalnum() and word[:1].isascii() and word[:1].isalnum():
            out += " "
        out += word
    return out


def checked_pairs(lines: Iterable[str]) -> set[tuple[str, str]]:
    """The neighbouring pairs ``(word, next word)`` in ``lines`` (words separated by spaces; a
    line break parts two words) that are one word twice or two punctuation marks."""
    pairs: set[tuple[str, str]] = set()
    marks: dict[str, bool] = {}  # is_punctuation once per distinct word: a novel has ~600k words
    for line in lines:
        words = line.split()
        for word in words:
            if word not in marks:
                marks[word] = is_punctuation(word)
        pairs.update((word, following) for word, following in zip(words, words[1:])
                     if word == following or (marks[word] and marks[following]))
    return pairs


def close_matches(vocabulary: Sequence[str], word: str, limit: int = 5) -> list[str]:
    """Words of ``vocabulary`` (most frequent first) that share a character with ``word``."""
    characters = set(word)
    return [known for known in vocabulary if characters & set(known)][:limit]
