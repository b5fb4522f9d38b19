"""The stage table of the text pipeline and the function behind each stage.

Each stage reads files in the run folder (the first one reads the corpus), writes its
outputs there atomically, and returns details for its manifest:

=============  ==========================  =========================================
stage          reads                       writes
=============  ==========================  =========================================
fix-encoding   the corpus file             text.txt (UTF-8, ``\\n`` line endings)
segment        text.txt                    tokens.txt (words separated by one space)
word2vec       tokens.txt                  word2vec.kv (gensim KeyedVectors), vectors.bin (C format)
windows        tokens.txt, word2vec.kv     windows.npz (int32 ids, split boundary, window length)
train          windows.npz, word2vec.kv    model.keras; logs/ (TensorBoard); train_work/ (resume state)
evaluate       model.keras, windows.npz    evaluation.json (model vs unigram and bigram baselines)
generate       model.keras, word2vec.kv    sample.txt (generated text)
=============  ==========================  =========================================
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from pipeline.config import PipelineConfig
from pipeline.files import atomic_output, write_text_atomic

logger = logging.getLogger(__name__)


@dataclass
class RunContext:
    """What every stage gets: the run folder, the corpus path, the config, and progress on/off."""

    run_dir: Path
    corpus: Path
    config: PipelineConfig
    progress: bool = True

    def path(self, name: str) -> Path:
        return self.run_dir / name


def default_workers(requested: int) -> int:
    """``requested`` if positive, else the number of usable cores."""
    return requested if requested > 0 else max(1, len(os.sched_getaffinity(0)))


def fix_encoding_stage(context: RunContext) -> dict[str, Any]:
    from pipeline.actions import fix_encoding_file

    result = fix_encoding_file(context.corpus, context.path("text.txt"), context.config.fix_encoding)
    return {"encoding": result.encoding, "reason": result.reason, "replaced": result.replaced,
            "han_fraction": round(result.han_fraction, 4)}


def segment_stage(context: RunContext) -> dict[str, Any]:
    from pipeline.actions import segment_file

    return segment_file(context.path("text.txt"), context.path("tokens.txt"), context.config.segment,
                        progress=context.progress)


def word2vec_stage(context: RunContext) -> dict[str, Any]:
    from pipeline.actions import word2vec_files

    return word2vec_files(context.path("tokens.txt"), context.run_dir, context.config.word2vec,
                          progress=context.progress)


def windows_stage(context: RunContext) -> dict[str, Any]:
    from gensim.models import KeyedVectors

    from corpus.windows import split_windows, token_ids

    vectors = KeyedVectors.load(str(context.path("word2vec.kv")))
    with open(context.path("tokens.txt"), encoding="utf-8") as handle:
        ids, skipped = token_ids(handle, vectors.key_to_index)
    settings = context.config.windows
    split = split_windows(len(ids), settings.length, settings.validation_fraction)
    with atomic_output(context.path("windows.npz"), suffix=".npz") as temporary:
        np.savez(temporary, ids=ids, boundary=split.boundary, length=settings.length)
    return {"words": int(len(ids)), "skipped_out_of_vocabulary": int(skipped),
            "train_windows": int(len(split.train_starts)), "validation_windows": int(len(split.validation_starts))}


def train_stage(context: RunContext) -> dict[str, Any]:
    from pipeline.train_command import train_run

    return train_run(context)


def evaluate_stage(context: RunContext) -> dict[str, Any]:
    from pipeline.evaluation import evaluate_run

    table = evaluate_run(context.run_dir, context.config.evaluate.max_windows)
    write_text_atomic(context.path("evaluation.json"), json.dumps(table, indent=2, ensure_ascii=False) + "\n")
    return {"rows": table["rows"]}


def generate_stage(context: RunContext) -> dict[str, Any]:
    from pipeline.generation import generate_text

    settings = context.config.generate
    result = generate_text(context.run_dir, settings.seed_text, settings.length, settings.temperature,
                           settings.top_k, settings.rng_seed)
    write_text_atomic(context.path("sample.txt"), result.seed + result.text + "\n")
    return {"seed": result.seed, "unknown_seed_words": result.unknown_words, "words_per_second": result.words_per_second}


@dataclass(frozen=True)
class Stage:
    """One row of the stage table: its name, config section, files and implementation."""

    name: str
    section: str
    inputs: Callable[[RunContext], list[Path]]
    outputs: tuple[str, ...]
    code: tuple[str, ...]
    run: Callable[[RunContext], dict[str, Any]]


def _optional(path: str) -> list[Path]:
    return [Path(path)] if path else []


STAGES: tuple[Stage, ...] = (
    Stage("fix-encoding", "fix_encoding", lambda c: [c.corpus], ("text.txt",),
          ("corpus.encoding", "pipeline.actions"), fix_encoding_stage),
    Stage("segment", "segment", lambda c: [c.path("text.txt"), *_optional(c.config.segment.user_dictionary)],
          ("tokens.txt",), ("corpus.segment", "pipeline.actions"), segment_stage),
    Stage("word2vec", "word2vec", lambda c: [c.path("tokens.txt"), *_optional(c.config.word2vec.vectors)],
          ("word2vec.kv", "vectors.bin"), ("models.word2vec", "pipeline.actions"), word2vec_stage),
    Stage("windows", "windows", lambda c: [c.path("tokens.txt"), c.path("word2vec.kv")], ("windows.npz",),
          ("corpus.windows",), windows_stage),
    Stage("train", "train", lambda c: [c.path("windows.npz"), c.path("word2vec.kv")], ("model.keras",),
          ("models.next_word", "models.training", "models.window_data", "models.callbacks", "pipeline.train_command"),
          train_stage),
    Stage("evaluate", "evaluate", lambda c: [c.path("windows.npz"), c.path("model.keras")], ("evaluation.json",),
          ("corpus.baselines", "models.decoding", "models.generation", "pipeline.evaluation"), evaluate_stage),
    Stage("generate", "generate", lambda c: [c.path("model.keras"), c.path("word2vec.kv"), c.path("windows.npz")],
          ("sample.txt",), ("models.generation", "models.decoding", "pipeline.generation"), generate_stage),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def stage_by_name(name: str) -> Stage:
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise ValueError(f"unknown stage {name!r}; stages: {', '.join(STAGE_NAMES)}")
