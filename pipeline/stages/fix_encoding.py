"""The fix-encoding stage: raw bytes in any common Chinese encoding -> ``text.txt``, clean UTF-8.

Writes ``RUN/text.txt`` (``lstmlab run``) or the ``-o`` file (``lstmlab fix-encoding``): the
text with no BOM and ``\\n`` line endings, through a temporary name, so a failure writes nothing.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, TYPE_CHECKING

from lstmlab.corpus.encoding import DecodedText, EncodingError, decode_text, normalise
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.files import atomic_output
from lstmlab.pipeline.inputs import check_input_file
from lstmlab.pipeline.run_folder import RunContext

if TYPE_CHECKING:  # the settings' type only: their values are in the cache key, not the config code
    from lstmlab.pipeline.config import FixEncodingConfig

logger = logging.getLogger(__name__)


def fix_encoding_file(source: str | os.PathLike, target: str | os.PathLike, settings: FixEncodingConfig) -> DecodedText:
    """Decode ``source`` (detected or forced encoding), normalise, write ``target`` as UTF-8."""
    source = check_input_file(source, "corpus")
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


def run(context: RunContext) -> dict[str, Any]:
    """The stage: the corpus -> ``RUN/text.txt``; returns the manifest's details."""
    result = fix_encoding_file(context.corpus, context.path(run_folder.TEXT), context.config.fix_encoding)
    return {"encoding": result.encoding, "reason": result.reason, "replaced": result.replaced,
            "han_fraction": round(result.han_fraction, 4)}
