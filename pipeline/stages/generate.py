"""The generate stage: text word by word from a run's model, seeded with words the user types.

Writes ``RUN/sample.txt`` (``lstmlab run``); ``lstmlab generate`` prints instead. The seed
text is segmented with the run's own jieba settings; words outside the vocabulary are
reported and skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.text import join_words
from models.generation import generate_ids
from models.next_word import load_next_word_model
from models.predictor import NumpyNextWordPredictor
from pipeline import run_folder
from pipeline.files import write_text_atomic
from pipeline.run_folder import RunContext
from pipeline.stages.segment import segmenter_for


class SeedError(ValueError):
    """No word of the seed text is in the model's vocabulary."""


@dataclass
class GeneratedText:
    """``seed``: the seed words used (joined); ``text``: the new words (joined);
    ``unknown_words``: seed words skipped; ``words_per_second``: generation speed."""

    seed: str
    text: str
    unknown_words: list[str]
    words_per_second: float


def generate_text(run_dir: Path, seed_text: str, length: int, temperature: float = 0.0, top_k: int = 10,
                  rng_seed: int = 0) -> GeneratedText:
    """Generate ``length`` words after ``seed_text`` ("" = the first words of the held-out text)."""
    vectors = run_folder.load_vectors(run_dir)
    windows = run_folder.load_windows(run_dir)
    unknown: list[str] = []
    if seed_text.strip():
        words = segmenter_for(run_folder.run_folder_config(run_dir).segment).segment_line(seed_text)
        unknown = [w for w in words if w not in vectors.key_to_index]
        seed_ids = [vectors.key_to_index[w] for w in words if w in vectors.key_to_index]
        if not seed_ids:
            raise SeedError(f"none of the seed words {words} is in the vocabulary of {run_dir}; try words from the novel")
    else:
        boundary = windows.split.boundary
        seed_ids = [int(i) for i in windows.ids[boundary : boundary + windows.length]]
    predictor = NumpyNextWordPredictor.from_model(load_next_word_model(run_folder.model_path(run_dir)))
    started = time.perf_counter()
    new_ids = generate_ids(predictor, seed_ids, length, windows.length, temperature, top_k, rng_seed)
    seconds = time.perf_counter() - started
    words = vectors.index_to_key
    return GeneratedText(join_words(words[i] for i in seed_ids), join_words(words[i] for i in new_ids),
                         unknown, round(length / seconds, 1) if seconds > 0 else float("inf"))


def run(context: RunContext) -> dict[str, Any]:
    """The stage: ``RUN/model.keras`` + vectors + seed -> ``RUN/sample.txt``."""
    settings = context.config.generate
    result = generate_text(context.run_dir, settings.seed_text, settings.length, settings.temperature,
                           settings.top_k, settings.rng_seed)
    write_text_atomic(context.path(run_folder.SAMPLE), result.seed + result.text + "\n")
    return {"seed": result.seed, "unknown_words": result.unknown_words, "words_per_second": result.words_per_second}
