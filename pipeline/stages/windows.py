"""The windows stage: tokens + vocabulary -> ``windows.npz``, the id stream and its split.

Writes ``RUN/windows.npz`` (int32 ids of every word: a word outside the vocabulary is the
unknown word when word2vec made one (``word2vec.rare_as_unknown``), else left out; the two split
boundaries (validation, test) and the window length; windows are cut on demand, never stored).
"""

from __future__ import annotations

from typing import Any

from lstmlab.corpus.vocabulary import UNKNOWN
from lstmlab.corpus.windows import split_windows, token_ids
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.files import atomic_output
from lstmlab.pipeline.run_folder import RunContext


def run(context: RunContext) -> dict[str, Any]:
    """The stage: ``RUN/tokens.txt`` + ``RUN/word2vec.kv`` -> ``RUN/windows.npz``."""
    vectors = run_folder.load_vectors(context.run_dir)
    with open(context.path(run_folder.TOKENS), encoding="utf-8") as handle:
        ids, missing = token_ids(handle, vectors.key_to_index)
    settings = context.config.windows
    split = split_windows(len(ids), settings.length, settings.validation_fraction, settings.test_fraction)
    with atomic_output(context.path(run_folder.WINDOWS), suffix=".npz") as temporary:
        run_folder.write_windows(temporary, ids, split, settings.length)
    return {"words": int(len(ids)), "out_of_vocabulary": int(missing),
            "out_of_vocabulary_as": UNKNOWN if UNKNOWN in vectors.key_to_index else "left out",
            "train_windows": int(len(split.train_starts)), "validation_windows": int(len(split.validation_starts)),
            "test_windows": int(len(split.test_starts))}
