"""The segment stage: ``text.txt`` -> ``tokens.txt``, jieba words separated by one space.

Writes ``RUN/tokens.txt`` (or the ``-o`` file of ``lstmlab segment``), one output line per
input line, through a temporary name.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, TYPE_CHECKING

from lstmlab.corpus.encoding import EncodingError
from lstmlab.corpus.segment import Segmenter, segment_text
from lstmlab.models.progress import Progress
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.machine import default_workers
from lstmlab.pipeline.files import atomic_output
from lstmlab.pipeline.inputs import check_input_file
from lstmlab.pipeline.run_folder import RunContext

if TYPE_CHECKING:  # the settings' type only: their values are in the cache key, not the config code
    from lstmlab.pipeline.config import SegmentConfig

PROGRESS_BAR_BYTES = 2_000_000


def segmenter_for(settings: SegmentConfig) -> Segmenter:
    """The jieba segmenter that ``[segment]`` settings describe (also used to segment seeds)."""
    return Segmenter(hmm=settings.hmm, user_dictionary=settings.user_dictionary,
                     keep_punctuation=settings.keep_punctuation)


def segment_file(source: str | os.PathLike, target: str | os.PathLike, settings: SegmentConfig,
                 progress: bool = True) -> dict[str, Any]:
    """Segment a UTF-8 text file line by line into ``target``; return counts and speed."""
    source = check_input_file(source, "text")
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise EncodingError(f"{source}: not UTF-8 at byte {error.start}; run lstmlab fix-encoding first") from None
    workers = default_workers(settings.workers)
    segmenter = segmenter_for(settings)
    size = len(text.encode("utf-8"))
    started = time.perf_counter()
    with Progress(f"segment ({workers} workers)", size + 1, "B", enabled=progress and size >= PROGRESS_BAR_BYTES,
                  unit_scale=True, unit_divisor=1000) as reporter:
        segmented = segment_text(text, segmenter, workers=workers, progress=reporter.advance)
    seconds = time.perf_counter() - started
    with atomic_output(target) as temporary:
        temporary.write_text(segmented, encoding="utf-8")
    return {"workers": workers, "words": len(segmented.split()), "seconds_segmenting": round(seconds, 3),
            "megabytes_per_second": round(size / 1e6 / seconds, 3)}


def run(context: RunContext) -> dict[str, Any]:
    """The stage: ``RUN/text.txt`` -> ``RUN/tokens.txt``; returns the manifest's details."""
    return segment_file(context.path(run_folder.TEXT), context.path(run_folder.TOKENS), context.config.segment,
                        progress=context.progress)
