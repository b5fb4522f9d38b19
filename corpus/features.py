"""Features of a segmented text, word by word, that a cell of a language model may track.

Each is one number per word (the state after reading that word is compared with it)::

    >>> lines = [["宝玉", "笑", "道", "：", "“", "好", "。", "”"], ["他", "去", "了", "。"]]
    >>> features = text_features(lines)
    >>> features["inside_quotation"].tolist()
    [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    >>> features["inside_speech"].tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    >>> features["words_since_sentence_end"].tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 0.0]
    >>> features["position_in_line"].tolist()[6:10], features["next_is_punctuation"].tolist()[:5]
    ([6.0, 7.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from lstmlab.corpus.sample_quality import CLOSING_MARKS, QUOTATION_MARKS
from lstmlab.corpus.segment import is_punctuation

SENTENCE_ENDS = frozenset("。！？!?")
# A word that ends so, followed by "：", opens reported speech (道：, 笑道：, 说：, 问：).
SPEECH_VERB_ENDINGS = ("道", "说", "问", "曰", "云")

FEATURE_MEANINGS = {
    "inside_quotation": "1 inside a quotation (after an opening mark, up to its closing mark)",
    "inside_speech": "1 from a speech verb's colon (道：, 笑道：, 说：) until the quotation closes",
    "words_since_sentence_end": "words read since the last 。！？ (0 on the mark itself)",
    "position_in_line": "the word's place in its line (0 first)",
    "next_is_punctuation": "1 when the next word is a punctuation mark",
}


def _marks(word: str, marks) -> bool:
    return any(character in marks for character in word)


def text_features(lines: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
    """The features of :data:`FEATURE_MEANINGS` for the words of ``lines`` (lists of words), each
    (T,) float64 over the T words read line after line."""
    words = [word for line in lines for word in line]
    quotation, speech, since_end, position, following = [], [], [], [], []
    inside_quotation = inside_speech = False
    count = 0
    for line in lines:
        for place, word in enumerate(line):
            if _marks(word, QUOTATION_MARKS):
                inside_quotation = True
            if word == "：" and place > 0 and line[place - 1].endswith(SPEECH_VERB_ENDINGS):
                inside_speech = True
            if _marks(word, CLOSING_MARKS):
                inside_quotation = inside_speech = False
            count = 0 if _marks(word, SENTENCE_ENDS) else count + 1
            quotation.append(inside_quotation)
            speech.append(inside_speech)
            since_end.append(count)
            position.append(place)
    following = [is_punctuation(word) for word in words[1:]] + [False]
    return {name: np.asarray(values, dtype=np.float64) for name, values in (
        ("inside_quotation", quotation), ("inside_speech", speech), ("words_since_sentence_end", since_end),
        ("position_in_line", position), ("next_is_punctuation", following))}


def speakers(ids: np.ndarray, words: Sequence[str], at_least: int = 3) -> set[int]:
    """The ids of the words that speak in the text: at least ``at_least`` times right before a
    speech verb (a word ending in 道 or 说) that a colon follows, as in "宝玉 笑道 ：", and not
    punctuation. In a novel these are its characters' names and titles, and the pronouns::

        >>> ids = np.array([0, 1, 5, 6, 3, 4, 5, 0, 2, 5, 3, 1, 6])
        >>> sorted(speakers(ids, ["宝玉", "笑道", "说", "他", "知道", "：", "。"], at_least=2))
        [0]
    """
    ids = np.asarray(ids)
    verbs = np.array([word.endswith(("道", "说")) for word in words])
    colon = np.array([word == "：" for word in words])
    spoken = verbs[ids[1:-1]] & colon[ids[2:]]
    counts = np.bincount(ids[:-2][spoken], minlength=len(words))
    return {int(i) for i in np.flatnonzero(counts >= at_least) if not is_punctuation(words[i])}


WORD_KINDS = ("closing quotation mark", "punctuation", "a speaker (name or pronoun)", "seen in the last 20 words",
              "seen in the last 21-100 words", "other")


def word_kinds(ids: np.ndarray, positions: np.ndarray, words: Sequence[str], names: set[int]) -> list[str]:
    """The kind of each target word ``ids[p]`` for ``p`` in ``positions``, the first of
    :data:`WORD_KINDS` that applies: a closing quotation mark, another punctuation mark, one of
    the ``names`` (:func:`speakers`), a word that occurred in the 20 words before, or in the
    100, or none of these."""
    kinds = []
    for position in positions:
        word_id = int(ids[position])
        word = words[word_id]
        if _marks(word, CLOSING_MARKS):
            kinds.append(WORD_KINDS[0])
        elif is_punctuation(word):
            kinds.append(WORD_KINDS[1])
        elif word_id in names:
            kinds.append(WORD_KINDS[2])
        elif word_id in ids[max(0, position - 20) : position]:
            kinds.append(WORD_KINDS[3])
        elif word_id in ids[max(0, position - 100) : position]:
            kinds.append(WORD_KINDS[4])
        else:
            kinds.append(WORD_KINDS[5])
    return kinds
