"""The generate stage: text word by word from a run's model, seeded with words the user types.

Writes ``RUN/sample.txt`` (``lstmlab run``); ``lstmlab generate`` prints instead. Only numpy
and jieba are needed: the model is read from ``RUN/predictor.npz``, not ``model.keras``.
The seed text is segmented over the run's own vocabulary (jieba with the run's words and
their counts as its dictionary, and the run's user dictionary), so it splits into words the
model knows wherever it can; words still outside the vocabulary are reported and skipped. A
word follows itself, and a punctuation mark another, only as ``RUN/tokens.txt`` writes them
(:meth:`TextPairs.from_tokens_file`; ``--any-pairs`` lifts it). From Python (a notebook)::

    from lstmlab.pipeline.stages.generate import load_generator
    generator = load_generator("runs/hongloumeng")
    print(generator.generate("宝玉道", length=100, temperature=1.0, top_p=0.9))
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lstmlab.corpus.segment import Segmenter
from lstmlab.corpus.text import close_matches, join_words
from lstmlab.models.generation import TextPairs, generate
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.settings import DecodingSettings
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.config import PipelineConfig, run_folder_config
from lstmlab.pipeline.files import write_text_atomic
from lstmlab.pipeline.run_folder import RunContext


class SeedError(ValueError):
    """No word of the seed text is in the model's vocabulary."""


@dataclass
class Sample:
    """``seed``: the seed words used (joined); ``text``: the new words (joined); ``unknown_words``:
    seed words not in the vocabulary (skipped); ``ids``: the new word ids; ``mean_log_probability``:
    the model's mean log-probability of the new words."""

    seed: str
    text: str
    unknown_words: list[str]
    ids: list[int]
    mean_log_probability: float

    def __str__(self) -> str:
        return self.seed + self.text


class Generator:
    """A run's model, vocabulary, segmenter and window length, ready to generate from seed text."""

    def __init__(self, predictor: NumpyNextWordPredictor, words: list[str], segmenter: Segmenter,
                 window_length: int, default_seed: list[int], settings: DecodingSettings,
                 pairs: TextPairs | None = None, default_seed_words: list[str] | None = None) -> None:
        self.predictor, self.words, self.segmenter = predictor, words, segmenter
        self.index = {word: i for i, word in enumerate(words)}
        self.window_length, self.default_seed, self.settings = window_length, default_seed, settings
        self.pairs = pairs
        # how the default seed is shown: the text's own words (a rare word as itself, not <unk>)
        self.default_seed_words = default_seed_words or [words[i] for i in default_seed]

    def seed_ids(self, seed_text: str) -> tuple[list[int], list[str]]:
        """The ids of the seed's known words and the unknown words; "" = the test part's first
        window. Raises :class:`SeedError` (with suggestions) when no word is known."""
        if not seed_text.strip():
            return list(self.default_seed), []
        words = self.segmenter.segment_line(seed_text.strip())
        unknown = [word for word in words if word not in self.index]
        ids = [self.index[word] for word in words if word in self.index]
        if not ids:
            hints = close_matches(self.words, seed_text.strip(), limit=8)
            hint = f"; known words sharing a character: {' '.join(hints)}" if hints else ""
            raise SeedError(f"none of the seed words {' '.join(words) or repr(seed_text)} is in the vocabulary{hint}")
        return ids, unknown

    def generate(self, seed_text: str = "", length: int = 60, progress: Callable[[int], None] | None = None,
                 **decoding: Any) -> Sample:
        """``length`` words after ``seed_text``; keyword arguments override the decoding settings
        (method, temperature, top_k, top_p, repetition_penalty, no_repeat_ngram, beam_width,
        context, ...); ``progress`` is called with 1 after each word."""
        if length < 1:
            raise ValueError(f"length must be at least 1 word, got {length}")
        settings = dataclasses.replace(self.settings, **decoding)
        ids, unknown = self.seed_ids(seed_text)
        generation = generate(self.predictor, ids, length, self.window_length, settings, self.pairs, progress)
        mean = float(np.mean(generation.log_probabilities)) if generation.ids else 0.0
        seed = self.default_seed_words if not seed_text.strip() else [self.words[i] for i in ids]
        return Sample(join_words(seed), join_words(self.words[i] for i in generation.ids), unknown, generation.ids,
                      mean)


def vocabulary_segmenter(config: PipelineConfig, words: list[str], counts: list[int]) -> Segmenter:
    """jieba over a run's vocabulary ``words`` and their ``counts`` (and its user dictionary), so a
    text the user types splits into words the model knows wherever it can."""
    return Segmenter(hmm=False, user_dictionary=config.segment.user_dictionary,
                     keep_punctuation=config.segment.keep_punctuation, vocabulary=dict(zip(words, counts)))


def load_generator(run_dir: str | Path, settings: DecodingSettings | None = None) -> Generator:
    """A :class:`Generator` for a trained run folder, with the run's ``[generate]`` decoding
    settings unless ``settings`` is given."""
    run_dir = Path(run_dir)
    config = run_folder_config(run_dir)
    predictor, words, counts = NumpyNextWordPredictor.load(run_folder.predictor_path(run_dir))
    windows = run_folder.load_windows(run_dir)
    decoding = settings or DecodingSettings(**{f.name: getattr(config.generate, f.name)
                                               for f in dataclasses.fields(DecodingSettings)})
    segmenter = vocabulary_segmenter(config, words, counts)
    start = windows.seed_start("test")
    seed_words = run_folder.text_words(run_dir, start, start + windows.length, len(windows.ids))
    return Generator(predictor, words, segmenter, windows.length, windows.seed_ids("test"), decoding,
                     TextPairs.from_tokens_file(run_dir / run_folder.TOKENS, words), seed_words)


def run(context: RunContext) -> dict[str, Any]:
    """The stage: ``RUN/predictor.npz`` + the seed -> ``RUN/sample.txt``."""
    settings = context.config.generate
    sample = load_generator(context.run_dir).generate(settings.seed_text, settings.length)
    write_text_atomic(context.path(run_folder.SAMPLE), str(sample) + "\n")
    return {"seed": sample.seed, "unknown_words": sample.unknown_words,
            "mean_log_probability": round(sample.mean_log_probability, 3)}
