"""Joining segmented words back into running text.

Chinese is written without spaces, so words are joined directly, except that two Latin
or digit words keep one space between them::

    >>> join_words(["宝玉", "道", "：", "Hello", "world", "。"])
    '宝玉道：Hello world。'
"""

from __future__ import annotations

from typing import Iterable


def join_words(words: Iterable[str]) -> str:
    """Join ``words`` as Chinese is written: no space, except between two Latin/digit words."""
    out = ""
    for word in words:
        if out and out[-1].isascii() and out[-1].isalnum() and word[:1].isascii() and word[:1].isalnum():
            out += " "
        out += word
    return out
