"""Word-by-word generation from a trained next-word model, run in numpy.

With ``settings.context`` "carried" (the default) the LSTM reads the seed once and then takes
one step per generated word, its state carrying everything since the seed's first word; with
"window" each next word is predicted afresh from the last ``window_length`` words alone (what
a model trained on windows saw, at ``window_length`` steps per word). The model's distribution over the vocabulary is the softmax of
``scale x cos(prediction, output word vectors) / temperature`` (the learned scale of a
softmax model; :data:`models.predictor.NEAREST_WORD_SCALE` for the regression models), and
:class:`models.settings.DecodingSettings` says how a word is picked from it::

    >>> from models.settings import DecodingSettings
    >>> rng = np.random.default_rng(0)
    >>> predictor = NumpyNextWordPredictor(rng.normal(size=(30, 4)), [NumpyLSTM(rng.normal(size=(4, 32)),
    ...     rng.normal(size=(8, 32)), np.zeros(32))], rng.normal(size=(8, 4)), np.zeros(4), rng.normal(size=(30, 4)), 5.0)
    >>> sample = generate(predictor, [1, 2, 3], 12, window_length=5, settings=DecodingSettings(no_repeat_ngram=2))
    >>> len(sample.ids), len(sample.log_probabilities)
    (12, 12)
    >>> words = [1, 2, 3] + sample.ids                  # no 2-gram twice, counting the seed
    >>> len(set(zip(words, words[1:]))) == len(words) - 1
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lstmlab.corpus.segment import is_punctuation
from lstmlab.corpus.text import checked_pairs
from lstmlab.models.numpy_lstm import NumpyLSTM  # noqa: F401  (used in the doctest)
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.settings import DecodingSettings

BLOG_DECODING = DecodingSettings(method="nearest")


@dataclass
class Generation:
    """The new word ids, and the log-probability (temperature 1, no penalties) that the model
    gave each of them when it was picked."""

    ids: list[int]
    log_probabilities: list[float]


def banned_by_ngram(history: list[int], size: int) -> set[int]:
    """Words that would complete an n-gram of ``size`` that ``history`` already contains."""
    if size < 1 or len(history) < size - 1:
        return set()
    if size == 1:
        return set(history)
    prefix = history[len(history) - size + 1 :]
    return {history[i + size - 1] for i in range(len(history) - size + 1) if history[i : i + size - 1] == prefix}


class NgramIndex:
    """The n-grams of ``size`` in a growing history, indexed by their first n-1 words, so the
    words that would repeat one are found in constant time rather than by a scan of the whole
    history (:func:`banned_by_ngram` does the scan; a long generation would be quadratic)::

        >>> index = NgramIndex(3, [1, 2, 3, 1, 2])
        >>> sorted(index.banned([1, 2, 3, 1, 2])), sorted(banned_by_ngram([1, 2, 3, 1, 2], 3))
        ([3], [3])
    """

    def __init__(self, size: int, history: list[int]) -> None:
        self.size = size
        self.followers: dict[tuple[int, ...], set[int]] = {}
        for end in range(size, len(history) + 1):
            self._add(history[end - size : end])

    def _add(self, gram: list[int]) -> None:
        if self.size >= 1 and len(gram) == self.size:
            self.followers.setdefault(tuple(gram[:-1]), set()).add(gram[-1])

    def append(self, history: list[int]) -> None:
        """Index the n-gram that ``history``'s last word completed."""
        self._add(history[-self.size :])

    def banned(self, history: list[int]) -> set[int]:
        """The words that would complete an n-gram ``history`` already holds."""
        if self.size < 1 or len(history) < self.size - 1:
            return set()
        prefix = tuple(history[len(history) - self.size + 1 :]) if self.size > 1 else ()
        return set(self.followers.get(prefix, ()))


@dataclass(frozen=True)
class TextPairs:
    """Which word may come right after which, for the pairs that the text decides: a word after
    itself, and a punctuation mark after a punctuation mark. ``punctuation``: the ids of the
    punctuation marks; ``followers``: for a word id, the ids that the text writes right after it
    among those pairs. An id stream that leaves out the words outside the vocabulary
    (``word2vec.rare_as_unknown = false``) holds pairs such as "， ，" or "： ，" that the text
    never writes, and a model can make up doubled words such as "有 有" on its own.

        >>> pairs = TextPairs.from_word_pairs({("，", "“"), ("说", "说")}, ["，", "“", "说", "道"])
        >>> sorted(pairs.banned_after(0)), sorted(pairs.banned_after(2)), sorted(pairs.banned_after(3))
        ([0], [], [3])
    """

    punctuation: frozenset[int]
    followers: dict[int, frozenset[int]]

    @classmethod
    def from_word_pairs(cls, pairs: set[tuple[str, str]], words: list[str]) -> "TextPairs":
        """From the text's pairs of words (:func:`corpus.text.checked_pairs`) over the vocabulary ``words``."""
        index = {word: i for i, word in enumerate(words)}
        followers: dict[int, set[int]] = {}
        for word, following in pairs:
            if word in index and following in index:
                followers.setdefault(index[word], set()).add(index[following])
        return cls(frozenset(i for i, word in enumerate(words) if is_punctuation(word)),
                   {i: frozenset(ids) for i, ids in followers.items()})

    @classmethod
    def from_tokens_file(cls, path: str | Path, words: list[str]) -> "TextPairs | None":
        """The pairs a segmented text file (``tokens.txt``: words separated by spaces) writes, for
        a word after itself and a punctuation mark after another (:func:`checked_pairs`), over
        the vocabulary ``words``. None when there is no such file (then any pair is allowed)."""
        path = Path(path)
        if not path.exists():
            return None
        with open(path, encoding="utf-8") as lines:
            return cls.from_word_pairs(checked_pairs(lines), words)

    def banned_after(self, previous: int) -> set[int]:
        """The ids that may not come right after ``previous``: itself, and after a punctuation
        mark every punctuation mark, unless the text writes that pair."""
        checked = {previous} | self.punctuation if previous in self.punctuation else {previous}
        return checked - self.followers.get(previous, frozenset())


def adjusted(log_probabilities: np.ndarray, history: list[int], settings: DecodingSettings,
             pairs: TextPairs | None = None, ngrams: NgramIndex | None = None) -> np.ndarray:
    """``log_probabilities`` (V,) with the repetition penalty (each word of the last
    ``repetition_window`` words loses log(penalty)), the no-repeat n-gram ban (-inf), and, when
    ``settings.text_pairs_only`` and ``pairs`` is given, the ban of :meth:`TextPairs.banned_after`
    on the last word of ``history``. ``ngrams``: the history's :class:`NgramIndex`, if kept."""
    out = log_probabilities.copy()
    if settings.repetition_penalty > 1.0 and settings.repetition_window > 0:
        recent = np.unique(history[-settings.repetition_window :])
        out[recent] -= math.log(settings.repetition_penalty)
    banned = ngrams.banned(history) if ngrams is not None else banned_by_ngram(history, settings.no_repeat_ngram)
    if settings.text_pairs_only and pairs is not None and history:
        banned |= pairs.banned_after(history[-1])
    if banned:  # a ban never leaves no word at all (a tiny temperature leaves one finite word)
        kept = out.copy()
        kept[list(banned)] = -np.inf
        if np.isfinite(kept).any():
            out = kept
    return out


def at_temperature(log_probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """The log-softmax (V,) of ``log_probabilities`` (V,) / ``temperature``: the distribution at
    that temperature from the one at temperature 1, without the logits again::

        >>> at_temperature(np.log(np.array([0.2, 0.8])), 0.5).round(6).tolist()   # 0.04 : 0.64
        [-2.833213, -0.060625]
    """
    if temperature == 1.0:
        return log_probabilities
    with np.errstate(over="ignore"):  # a tiny temperature sends all but the likeliest to -inf
        scaled = (log_probabilities - log_probabilities.max()) / temperature
    return scaled - np.log(np.exp(scaled).sum())


def nucleus(log_probabilities: np.ndarray, top_k: int, top_p: float,
            candidates: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """The words that sampling may pick from ``log_probabilities`` (V,): the ``top_k`` most likely
    (0: all) and, among them, the smallest set of most likely words whose probability reaches
    ``top_p`` (ties in the order of their ids). Returns their ids (K,) in ascending order and
    their probabilities (K,) renormalised to sum to 1. Only the ``candidates`` likeliest words
    are sorted when they hold that much, else 4 times as many, and so on (a whole sort of the
    vocabulary per word otherwise dominates generation)."""
    probabilities = np.exp(log_probabilities - log_probabilities.max())
    probabilities /= probabilities.sum()
    limit = top_k if top_k > 0 else len(probabilities)
    order, size = None, min(limit, candidates)
    while order is None and size < len(probabilities):  # a head 4 times larger until it holds top_p
        head = np.argpartition(-probabilities, size - 1)[:size]
        head = head[np.lexsort((head, -probabilities[head]))]
        if size == limit or probabilities[head].sum() >= top_p:
            order = head
        size = min(limit, size * 4)
    if order is None:
        order = np.argsort(-probabilities, kind="stable")[:limit]
    if len(order) == limit:
        mass = probabilities[order].sum()
    else:  # only the head is sorted: the mass of the top-k words (all of them when top_k is 0)
        mass = 1.0 if limit >= len(probabilities) else -np.partition(-probabilities, limit - 1)[:limit].sum()
    cumulative = np.cumsum(probabilities[order]) / mass
    keep = np.sort(order[: int(np.searchsorted(cumulative, top_p - 1e-12)) + 1])
    kept = probabilities[keep]
    return keep, kept / kept.sum()


def draw(ids: np.ndarray, probabilities: np.ndarray, rng: np.random.Generator) -> int:
    """One of ``ids`` (K,), ascending, drawn with ``probabilities`` (K,): the word that
    ``rng.choice(V, p=...)`` would draw from the same probabilities spread over all V words
    (zero elsewhere), the same random number taken from ``rng``, without the V-long arrays::

        >>> ids, p = np.array([2, 5]), np.array([0.25, 0.75])
        >>> dense = np.zeros(7); dense[ids] = p
        >>> [draw(ids, p, np.random.default_rng(s)) == np.random.default_rng(s).choice(7, p=dense) for s in range(4)]
        [True, True, True, True]
    """
    cumulative = np.cumsum(probabilities)
    cumulative /= cumulative[-1]
    return int(ids[np.searchsorted(cumulative, rng.random(), side="right")])


def _windows(histories: list[list[int]], window_length: int) -> np.ndarray:
    return np.asarray([history[-window_length:] for history in histories], dtype=np.int64)


class Contexts:
    """What the model has read of each sequence being generated, and its next-word vectors.

    Carried: the LSTM state after each history (rows of (B, H) arrays per layer), advanced one
    step per new word. Window: nothing kept; the vectors come from each history's last window.
    """

    def __init__(self, predictor: NumpyNextWordPredictor, histories: list[list[int]], window_length: int,
                 carried: bool) -> None:
        self.predictor, self.window_length, self.carried = predictor, window_length, carried
        self.states = None
        if carried:
            rows = [predictor.advance(np.asarray(history, dtype=np.int64)[None])[1] for history in histories]
            self.states = [(np.concatenate([row[layer][0] for row in rows]),
                            np.concatenate([row[layer][1] for row in rows])) for layer in range(len(rows[0]))]

    def vectors(self, histories: list[list[int]]) -> np.ndarray:
        """The predicted next-word vectors (B, D) after each of ``histories``."""
        if self.carried:
            return self.predictor.to_vectors(self.states[-1][0])
        windows = [_windows([history], self.window_length) for history in histories]
        if len({window.shape for window in windows}) == 1:
            return self.predictor.predict_vectors(np.concatenate(windows))
        return np.concatenate([self.predictor.predict_vectors(window) for window in windows])

    def extend(self, parents: list[int], words: list[int]) -> None:
        """Row i now continues row ``parents[i]`` with the word ``words[i]``."""
        if self.carried:
            rows = np.asarray(parents, dtype=np.int64)
            states = [(h[rows], c[rows]) for h, c in self.states]
            self.states = self.predictor.advance(np.asarray(words, dtype=np.int64)[:, None], states)[1]


def _pick(predictor: NumpyNextWordPredictor, vector: np.ndarray, log_p: np.ndarray, history: list[int],
          settings: DecodingSettings, rng: np.random.Generator, pairs: TextPairs | None,
          ngrams: NgramIndex | None = None) -> int:
    """One next word for one sequence, by ``settings.method`` (not beam); ``log_p`` (V,) is the
    model's distribution at temperature 1, which greedy (like beam search) ranks by."""
    if settings.method == "nearest":
        return int(predictor.decoder.top_k(vector[None], 1)[0, 0])
    if settings.method == "greedy" or settings.temperature == 0:
        return int(np.argmax(adjusted(log_p, history, settings, pairs, ngrams)))
    scores = adjusted(at_temperature(log_p, settings.temperature), history, settings, pairs, ngrams)
    return draw(*nucleus(scores, settings.top_k, settings.top_p), rng)


def generate_many(predictor: NumpyNextWordPredictor, seeds: list[list[int]], length: int, window_length: int,
                  settings: DecodingSettings, pairs: TextPairs | None = None,
                  progress: Callable[[int], None] | None = None) -> list[Generation]:
    """Extend each seed by ``length`` words (not beam search); the model runs on all seeds at
    once when their windows have the same length. ``pairs``: the neighbouring words the text
    allows (:class:`TextPairs`; None: any); ``progress`` is called with 1 after each step.
    Each step costs the same however long the text grows (with the state carried). Returns one
    :class:`Generation` per seed."""
    if not seeds or any(len(seed) == 0 for seed in seeds):
        raise ValueError("generation needs at least one seed word")
    rng = np.random.default_rng(settings.rng_seed)
    histories = [list(seed) for seed in seeds]
    generations = [Generation([], []) for _ in seeds]
    contexts = Contexts(predictor, histories, window_length, settings.context == "carried")
    indexes = [NgramIndex(settings.no_repeat_ngram, history) for history in histories]
    for _ in range(length):
        vectors = contexts.vectors(histories)
        model_log_p = predictor.log_probabilities(vectors)
        picked = []
        for index, history in enumerate(histories):
            word = _pick(predictor, vectors[index], model_log_p[index], history, settings, rng, pairs,
                         indexes[index])
            history.append(word)
            indexes[index].append(history)
            picked.append(word)
            generations[index].ids.append(word)
            generations[index].log_probabilities.append(float(model_log_p[index, word]))
        contexts.extend(list(range(len(histories))), picked)
        if progress:
            progress(1)
    return generations


def beam_search(predictor: NumpyNextWordPredictor, seed_ids: list[int], length: int, window_length: int,
                settings: DecodingSettings, pairs: TextPairs | None = None) -> Generation:
    """The most likely continuation of ``length`` words among ``settings.beam_width`` kept at each
    step (scores: summed log-probabilities with the repetition penalty and the bans of
    :func:`adjusted`; the finished beams are ranked by score / length ** ``length_penalty``)."""
    beams: list[tuple[float, list[int], list[float], int]] = [(0.0, list(seed_ids), [], 0)]
    contexts = Contexts(predictor, [list(seed_ids)], window_length, settings.context == "carried")
    for _ in range(length):
        vectors = contexts.vectors([history for _, history, _, _ in beams])
        model_log_p = predictor.log_probabilities(vectors)
        candidates = []
        for index, (score, history, picked, _) in enumerate(beams):
            scores = adjusted(model_log_p[index], history, settings, pairs)
            for word in np.argsort(-scores, kind="stable")[: settings.beam_width]:
                if np.isfinite(scores[word]):
                    candidates.append((score + float(scores[word]), history + [int(word)],
                                       picked + [float(model_log_p[index, word])], index))
        candidates.sort(key=lambda candidate: -candidate[0])
        beams = candidates[: settings.beam_width]
        contexts.extend([parent for _, _, _, parent in beams], [history[-1] for _, history, _, _ in beams])
    best = max(beams, key=lambda beam: beam[0] / max(1, len(beam[2])) ** settings.length_penalty)
    return Generation(best[1][len(seed_ids) :], best[2])


def generate(predictor: NumpyNextWordPredictor, seed_ids: list[int], length: int, window_length: int,
             settings: DecodingSettings = BLOG_DECODING, pairs: TextPairs | None = None,
             progress: Callable[[int], None] | None = None) -> Generation:
    """Extend ``seed_ids`` by ``length`` words with ``settings`` (default: the blog's nearest
    word); ``pairs`` and ``progress`` as in :func:`generate_many` (beam search reports none)."""
    if settings.method == "beam":
        return beam_search(predictor, seed_ids, length, window_length, settings, pairs)
    return generate_many(predictor, [seed_ids], length, window_length, settings, pairs, progress)[0]


def generate_ids(predictor: NumpyNextWordPredictor, seed_ids: list[int], length: int, window_length: int,
                 settings: DecodingSettings = BLOG_DECODING, pairs: TextPairs | None = None) -> list[int]:
    """The new ids of :func:`generate`."""
    return generate(predictor, seed_ids, length, window_length, settings, pairs).ids
