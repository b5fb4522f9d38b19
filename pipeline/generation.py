"""Generate text from a run folder's model, seeded with words the user types.

The seed text is segmented with the run's own jieba settings; words outside the
vocabulary are reported and skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.runner import run_folder_config


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
    from gensim.models import KeyedVectors

    from corpus.segment import Segmenter
    from models.generation import NumpyNextWordPredictor, generate_ids, join_words
    from pipeline.evaluation import load_model
    from pipeline.train_command import load_windows

    vectors = KeyedVectors.load(str(run_dir / "word2vec.kv"))
    ids, split, window_length = load_windows(run_dir)
    unknown: list[str] = []
    if seed_text.strip():
        segment = run_folder_config(run_dir, None, [], None).segment
        words = Segmenter(segment.hmm, segment.user_dictionary, segment.keep_punctuation).segment_line(seed_text)
        unknown = [w for w in words if w not in vectors.key_to_index]
        seed_ids = [vectors.key_to_index[w] for w in words if w in vectors.key_to_index]
        if not seed_ids:
            raise SeedError(f"none of the seed words {words} is in the vocabulary of {run_dir}; try words from the novel")
    else:
        seed_ids = [int(i) for i in ids[split.boundary : split.boundary + window_length]]
    predictor = NumpyNextWordPredictor.from_model(load_model(run_dir))
    started = time.perf_counter()
    new_ids = generate_ids(predictor, seed_ids, length, window_length, temperature, top_k, rng_seed)
    seconds = time.perf_counter() - started
    words = vectors.index_to_key
    return GeneratedText(join_words([words[i] for i in seed_ids]), join_words([words[i] for i in new_ids]),
                         unknown, round(length / seconds, 1) if seconds > 0 else float("inf"))
