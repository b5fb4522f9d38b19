"""File-to-file actions behind the first three stages, shared by ``lstmlab run`` and the
single-stage commands (``lstmlab fix-encoding IN -o OUT`` and friends).

* :func:`fix_encoding_file` writes one UTF-8 text file.
* :func:`segment_file` writes one segmented text file.
* :func:`word2vec_files` writes ``word2vec.kv`` and ``vectors.bin`` into a folder.

Every output is written to a temporary name and renamed into place, so a failure leaves
no output at all.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from corpus.encoding import DecodedText, EncodingError, decode_text, normalise
from pipeline.config import FixEncodingConfig, SegmentConfig, Word2VecConfig
from pipeline.files import atomic_output

logger = logging.getLogger(__name__)
PROGRESS_BAR_BYTES = 2_000_000


def fix_encoding_file(source: str | os.PathLike, target: str | os.PathLike, settings: FixEncodingConfig) -> DecodedText:
    """Decode ``source`` (detected or forced encoding), normalise, write ``target`` as UTF-8."""
    source = Path(source)
    try:
        data = source.read_bytes()
    except OSError as error:
        raise EncodingError(f"cannot read {source}: {error.strerror}") from None
    result = decode_text(data, encoding=settings.encoding or None, errors=settings.errors, source=str(source))
    text = normalise(result.text, settings.fullwidth_to_halfwidth, settings.unify_quotes, settings.strip_indentation)
    with atomic_output(target) as temporary:
        temporary.write_bytes(text.encode("utf-8"))
    logger.info("%s: %s (%s); %d characters replaced", source, result.encoding, result.reason, result.replaced)
    return result


def segment_file(source: str | os.PathLike, target: str | os.PathLike, settings: SegmentConfig,
                 progress: bool = True) -> dict[str, Any]:
    """Segment a UTF-8 text file line by line into ``target``; return counts and speed."""
    from corpus.segment import Segmenter, segment_text
    from pipeline.stages import default_workers

    source = Path(source)
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise EncodingError(f"{source}: not UTF-8 at byte {error.start}; run lstmlab fix-encoding first") from None
    workers = default_workers(settings.workers)
    segmenter = Segmenter(hmm=settings.hmm, user_dictionary=settings.user_dictionary,
                          keep_punctuation=settings.keep_punctuation)
    size = len(text.encode("utf-8"))
    started = time.perf_counter()
    with tqdm(total=size + 1, desc=f"segment ({workers} workers)", unit="B", unit_scale=True, unit_divisor=1000,
              disable=not progress or size < PROGRESS_BAR_BYTES) as bar:
        segmented = segment_text(text, segmenter, workers=workers, progress=bar.update)
    seconds = time.perf_counter() - started
    with atomic_output(target) as temporary:
        temporary.write_text(segmented, encoding="utf-8")
    return {"workers": workers, "words": len(segmented.split()), "seconds_segmenting": round(seconds, 3),
            "megabytes_per_second": round(size / 1e6 / seconds, 3)}


def word2vec_files(tokens: str | os.PathLike, out_dir: str | os.PathLike, settings: Word2VecConfig,
                   progress: bool = True) -> dict[str, Any]:
    """Train word2vec on ``tokens`` (or read ``settings.vectors``); write word2vec.kv and vectors.bin."""
    from models.word2vec import load_c_binary, save_c_binary, train_word2vec
    from pipeline.stages import default_workers

    out_dir = Path(out_dir)
    started = time.perf_counter()
    if settings.vectors:
        vectors = load_c_binary(settings.vectors)
        source = f"read from {settings.vectors}"
    else:
        options = dataclasses.replace(settings, workers=default_workers(settings.workers))
        vectors = train_word2vec(tokens, options, progress=progress)
        source = "trained with gensim"
    seconds = time.perf_counter() - started
    with atomic_output(out_dir / "word2vec.kv", suffix=".kv") as temporary:
        with open(temporary, "wb") as handle:
            vectors.save(handle)
    with atomic_output(out_dir / "vectors.bin", suffix=".bin") as temporary:
        save_c_binary(vectors, temporary)
    return {"vocabulary": len(vectors), "dimensions": int(vectors.vector_size), "source": source,
            "seconds_training": round(seconds, 3)}
