"""The word2vec stage: ``tokens.txt`` -> ``word2vec.kv`` (gensim) and ``vectors.bin`` (C binary).

Writes both files into the run folder (or the ``-o`` folder of ``lstmlab word2vec``), each
through a temporary name. With ``word2vec.vectors`` set, reads that C-format file instead of
training (binary or text format, detected). With ``word2vec.rare_as_unknown`` the words seen
fewer than ``min_count`` times are written as ``<unk>`` in a temporary copy of the tokens that
word2vec trains on (:mod:`corpus.vocabulary`), so the vocabulary gets that word.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, TYPE_CHECKING

from lstmlab.corpus.vocabulary import UNKNOWN, rare_words, with_unknown
from lstmlab.models.word2vec import load_vectors_file, save_c_binary, train_word2vec
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.machine import default_workers
from lstmlab.pipeline.files import atomic_output
from lstmlab.pipeline.inputs import check_input_file
from lstmlab.pipeline.run_folder import RunContext

if TYPE_CHECKING:  # the settings' type only: their values are in the cache key, not the config code
    from lstmlab.pipeline.config import Word2VecConfig


logger = logging.getLogger(__name__)


def word2vec_files(tokens: str | os.PathLike, out_dir: str | os.PathLike, settings: Word2VecConfig,
                   progress: bool = True) -> dict[str, Any]:
    """Train word2vec on ``tokens`` (or read ``settings.vectors``); write word2vec.kv and vectors.bin."""
    out_dir = Path(out_dir)
    started = time.perf_counter()
    if not settings.vectors:
        check_input_file(tokens, "tokens")
    if settings.vectors:
        vectors = load_vectors_file(settings.vectors)
        source = f"read from {settings.vectors}"
    else:
        options = dataclasses.replace(settings, workers=default_workers(settings.workers))
        if options.workers > 1:
            logger.warning("word2vec on %d threads is not reproducible (gensim's threads race); "
                           "word2vec.workers = 1 gives the same vectors every run", options.workers)
        with tokens_to_train_on(tokens, out_dir, settings) as train_tokens:
            vectors = train_word2vec(train_tokens, options, progress=progress)
        source = "trained with gensim" + (f", rare words as {UNKNOWN}" if settings.rare_as_unknown else "")
    seconds = time.perf_counter() - started
    with atomic_output(out_dir / run_folder.WORD2VEC, suffix=".kv") as temporary:
        with open(temporary, "wb") as handle:
            vectors.save(handle)
    with atomic_output(out_dir / run_folder.C_VECTORS, suffix=".bin") as temporary:
        save_c_binary(vectors, temporary)
    return {"vocabulary": len(vectors), "dimensions": int(vectors.vector_size), "source": source,
            "reproducible": bool(settings.vectors) or default_workers(settings.workers) == 1,
            "seconds_training": round(seconds, 3)}


@contextlib.contextmanager
def tokens_to_train_on(tokens: str | os.PathLike, out_dir: Path, settings: Word2VecConfig) -> Iterator[Path]:
    """``tokens`` itself, or with ``settings.rare_as_unknown`` a temporary copy in ``out_dir``
    with the words under ``settings.min_count`` written as ``<unk>`` (removed afterwards)."""
    if not settings.rare_as_unknown:
        yield Path(tokens)
        return
    with open(tokens, encoding="utf-8") as handle:
        rare = rare_words(handle, settings.min_count)
    # named as atomic_output's temporaries, so a killed run's copy is cleared like theirs
    out_dir.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=".tokens-unknown.", suffix=".partial.txt", dir=out_dir)
    os.close(descriptor)
    try:
        with open(tokens, encoding="utf-8") as source, open(name, "w", encoding="utf-8") as copy:
            copy.writelines(line + "\n" for line in with_unknown(source, rare))
        yield Path(name)
    finally:
        os.unlink(name)


def run(context: RunContext) -> dict[str, Any]:
    """The stage: ``RUN/tokens.txt`` -> ``RUN/word2vec.kv`` + ``RUN/vectors.bin``."""
    return word2vec_files(context.path(run_folder.TOKENS), context.run_dir, context.config.word2vec,
                          progress=context.progress)
