"""The word2vec stage: ``tokens.txt`` -> ``word2vec.kv`` (gensim) and ``vectors.bin`` (C binary).

Writes both files into the run folder (or the ``-o`` folder of ``lstmlab word2vec``), each
through a temporary name. With ``word2vec.vectors`` set, reads that C-format file instead of
training (binary or text format, detected).
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

from models.word2vec import load_vectors_file, save_c_binary, train_word2vec
from pipeline import run_folder
from pipeline.config import Word2VecConfig, default_workers
from pipeline.files import atomic_output
from pipeline.run_folder import RunContext


def word2vec_files(tokens: str | os.PathLike, out_dir: str | os.PathLike, settings: Word2VecConfig,
                   progress: bool = True) -> dict[str, Any]:
    """Train word2vec on ``tokens`` (or read ``settings.vectors``); write word2vec.kv and vectors.bin."""
    out_dir = Path(out_dir)
    started = time.perf_counter()
    if settings.vectors:
        vectors = load_vectors_file(settings.vectors)
        source = f"read from {settings.vectors}"
    else:
        options = dataclasses.replace(settings, workers=default_workers(settings.workers))
        vectors = train_word2vec(tokens, options, progress=progress)
        source = "trained with gensim"
    seconds = time.perf_counter() - started
    with atomic_output(out_dir / run_folder.WORD2VEC, suffix=".kv") as temporary:
        with open(temporary, "wb") as handle:
            vectors.save(handle)
    with atomic_output(out_dir / run_folder.C_VECTORS, suffix=".bin") as temporary:
        save_c_binary(vectors, temporary)
    return {"vocabulary": len(vectors), "dimensions": int(vectors.vector_size), "source": source,
            "seconds_training": round(seconds, 3)}


def run(context: RunContext) -> dict[str, Any]:
    """The stage: ``RUN/tokens.txt`` -> ``RUN/word2vec.kv`` + ``RUN/vectors.bin``."""
    return word2vec_files(context.path(run_folder.TOKENS), context.run_dir, context.config.word2vec,
                          progress=context.progress)
