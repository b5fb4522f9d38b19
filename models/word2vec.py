r"""Train word2vec with gensim and read or write vectors in the original C tool's binary format.

A short tutorial on a made-up segmented text (one sentence a line, words separated by spaces)::

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "tokens.txt").write_text("宝玉 笑 道 ： 好 妹妹 。\n黛玉 笑 道 ： 好 哥哥 。\n" * 50, encoding="utf-8")
    >>> vectors = train_word2vec(folder / "tokens.txt", Word2VecSettings(vector_size=16, epochs=2), progress=False)
    >>> len(vectors), vectors.vector_size              # 9 distinct words, 16 dimensions
    (9, 16)
    >>> len(vectors.most_similar("宝玉", topn=3))         # [(word, cosine), ...]
    3
    >>> save_c_binary(vectors, folder / "vectors.bin")   # the format of word2vec.c's -binary 1
    >>> load_c_binary(folder / "vectors.bin").index_to_key == vectors.index_to_key
    True

The defaults are the blog's: CBOW, 200 dimensions, window 8, negative sampling 25, no
hierarchical softmax, sample 1e-4, 15 epochs, min_count 5.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors, Word2Vec
from gensim.models.callbacks import CallbackAny2Vec
from lstmlab.models.progress import Progress
from lstmlab.models.settings import Word2VecSettings

logger = logging.getLogger(__name__)


class VectorsFileError(ValueError):
    """A word-vector file is missing, truncated or not in the C binary format."""


class _EpochProgress(CallbackAny2Vec):
    """Advances a :class:`models.progress.Progress` once per finished word2vec epoch."""

    def __init__(self, reporter: Progress) -> None:
        self.reporter = reporter

    def on_epoch_end(self, model: Word2Vec) -> None:
        self.reporter.advance(1)


def train_word2vec(tokens_path: str | os.PathLike, settings: Word2VecSettings, progress: bool = True) -> KeyedVectors:
    """Train on a segmented file (one sentence a line, words separated by spaces).

    Uses gensim's ``corpus_file`` mode, which reads the file in each worker thread and is the
    fastest way gensim offers. Returns the trained ``KeyedVectors`` (words sorted by count,
    most frequent first).
    """
    if settings.workers < 1:
        raise ValueError(f"workers must be at least 1, got {settings.workers}")
    with Progress("word2vec", settings.epochs, "epochs", enabled=progress) as reporter:
        try:
            model = _fitted_word2vec(tokens_path, settings, reporter)
        except RuntimeError as error:  # gensim: "you must first build vocabulary before training the model"
            if "vocabulary" not in str(error):
                raise
            raise ValueError(f"{tokens_path}: no word occurs min_count={settings.min_count} times") from None
    if len(model.wv) == 0:
        raise ValueError(f"{tokens_path}: no word occurs min_count={settings.min_count} times")
    return model.wv


def _fitted_word2vec(tokens_path: str | os.PathLike, settings: Word2VecSettings, reporter: Progress) -> Word2Vec:
    return Word2Vec(corpus_file=str(tokens_path), vector_size=settings.vector_size, window=settings.window,
                    negative=settings.negative, hs=int(settings.hierarchical_softmax), sg=0 if settings.cbow else 1,
                    sample=settings.sample, epochs=settings.epochs, min_count=settings.min_count, seed=settings.rng_seed,
                    workers=settings.workers, callbacks=[_EpochProgress(reporter)])


def save_c_binary(vectors: KeyedVectors, path: str | os.PathLike) -> None:
    """Write ``vectors`` in word2vec.c's binary format (header "count dims", then word + float32s)."""
    vectors.save_word2vec_format(str(path), binary=True)


def is_text_format(path: str | os.PathLike) -> bool:
    """True when a word2vec file after its header line is text ("word f1 f2 ... fD" lines), False
    for the C tool's binary format (word, a space, then D raw float32s)."""
    with open(path, "rb") as handle:
        header = handle.readline(100).split()
        line = handle.readline(100_000)
    dimensions = int(header[1]) if len(header) == 2 and header[1].isdigit() else 0
    try:
        fields = line.decode("utf-8").split()
        [float(value) for value in fields[1:]]
    except (UnicodeDecodeError, ValueError):
        return False
    return len(fields) == dimensions + 1


def load_vectors_file(path: str | os.PathLike) -> KeyedVectors:
    """Read a word2vec file in either standard format, C binary or text (detected)."""
    path = Path(path)
    if path.is_file() and is_text_format(path):
        try:
            vectors = KeyedVectors.load_word2vec_format(str(path), binary=False)
        except (ValueError, EOFError, UnicodeDecodeError) as error:
            raise VectorsFileError(f"{path}: not a readable word2vec text file: {error}") from None
        if not np.all(np.isfinite(vectors.vectors)):
            raise VectorsFileError(f"{path}: contains NaN or infinite values")
        return vectors
    return load_c_binary(path)


def load_c_binary(path: str | os.PathLike) -> KeyedVectors:
    """Read a C-format binary vectors file.

    Words cut in the middle of a UTF-8 character (word2vec.c truncates long words by bytes)
    lose the broken bytes instead of failing. A missing, truncated or corrupt file raises
    :class:`VectorsFileError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise VectorsFileError(f"vectors file {path} does not exist")
    with open(path, "rb") as handle:
        header = handle.readline(100)
    parts = header.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise VectorsFileError(f"{path}: first line should be '<word count> <dimensions>', got {header[:40]!r}")
    count, dimensions = map(int, parts)
    minimum_size = len(header) + count * (dimensions * 4 + 2)
    if path.stat().st_size < minimum_size:
        raise VectorsFileError(
            f"{path}: truncated: {count} vectors of {dimensions} floats need at least "
            f"{minimum_size} bytes, the file has {path.stat().st_size}"
        )
    try:
        vectors = KeyedVectors.load_word2vec_format(str(path), binary=True, unicode_errors="ignore")
    except (ValueError, EOFError, UnicodeDecodeError) as error:
        raise VectorsFileError(f"{path}: not a readable word2vec binary file: {error}") from None
    if not np.all(np.isfinite(vectors.vectors)):
        raise VectorsFileError(f"{path}: contains NaN or infinite values")
    return vectors
