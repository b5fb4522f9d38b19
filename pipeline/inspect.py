"""``lstmlab inspect RUN``: what the cells and gates of a run's LSTM do over a text.

Writes, under ``RUN/inspect/``:

* ``<name>.html`` — the page a person reads (:mod:`lstmlab.pipeline.inspect_page`): the text
  coloured by a chosen cell, the cells that track each feature, the five likeliest next words
  under each word, the gate-saturation pictures, and where the LSTM beats Kneser-Ney;
* ``<name>.json`` — the same figures: the best cells per feature with r, each gate's
  saturation per unit, the comparison by kind of word;
* ``<name>-lstmvis/`` — the states in LSTMVis' input layout (``states.h5`` with ``cell_states``
  and ``hidden_states`` (T, H), ``train.h5`` with ``word_ids``, ``words.dict``, ``lstm.yml``).

The text is the test part's first words by default (as ``tokens.txt`` writes them), or the
user's (segmented over the run's vocabulary; a word it lacks reads as ``<unk>``). The states are
recorded in numpy from a zero state at the text's first word, the state carried word to word.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

from lstmlab.corpus.features import FEATURE_MEANINGS, speakers, text_features, word_kinds
from lstmlab.corpus.ngram import KneserNey
from lstmlab.corpus.scoring import WithoutWords
from lstmlab.corpus.vocabulary import UNKNOWN, unknown_ids
from lstmlab.corpus.windows import predictable_starts
from lstmlab.models.inspection import compare_by_kind, gate_saturation, rank_cells, record_predictor
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.files import atomic_output, write_text_atomic
from lstmlab.pipeline.inspect_page import inspection_page, saturation_picture

logger = logging.getLogger(__name__)

INSPECT_WORDS = 400


def _user_text(run_dir: Path, text: str, words: list[str], counts: list[int]) -> list[list[str]]:
    """The user's text cut into words over the run's vocabulary, line by line."""
    from lstmlab.pipeline.config import run_folder_config
    from lstmlab.pipeline.stages.generate import vocabulary_segmenter

    segmenter = vocabulary_segmenter(run_folder_config(run_dir), words, counts)
    return [line_words for line_words in (segmenter.segment_line(line.strip()) for line in text.splitlines())
            if line_words]


def _guesses(predictor: NumpyNextWordPredictor, hidden: np.ndarray, words: list[str]) -> list[list[tuple[str, float]]]:
    """After each word, the model's five likeliest next words and their probabilities."""
    probabilities = np.exp(predictor.log_probabilities(predictor.to_vectors(hidden)))
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, :5]
    return [[(words[i], round(float(p[i]), 4)) for i in row] for p, row in zip(probabilities, top)]


def compare_with_kneser_ney(predictor: NumpyNextWordPredictor, windows: run_folder.Windows, words: list[str],
                            order: int) -> dict[str, Any]:
    """Over the test part: the targets the LSTM (state carried from the validation part's start)
    gets right at top-1 and Kneser-Ney of ``order`` (fitted on the training part) does not, and
    the reverse, by kind of word (:func:`corpus.features.word_kinds`)."""
    ids, split, length = windows.ids, windows.split, windows.length
    unknown = unknown_ids(words)
    positions = predictable_starts(ids, split.test_starts, length, unknown) + length
    vectors = predictor.continuous_vectors(ids, split.validation_boundary, positions)
    model_hits = np.concatenate([np.argmax(predictor.log_probabilities(vectors[start : start + 1000]), axis=1)
                                 for start in range(0, len(positions), 1000)]) == ids[positions]
    ngram = KneserNey(ids[: split.validation_boundary], len(words), order)
    ngram = WithoutWords(ngram, unknown) if unknown else ngram
    contexts = np.lib.stride_tricks.sliding_window_view(ids, order - 1)[positions - order + 1]
    ngram_hits = np.concatenate([np.argmax(ngram.distributions(contexts[start : start + 1000]), axis=1)
                                 for start in range(0, len(positions), 1000)]) == ids[positions]
    kinds = word_kinds(ids, positions, words, speakers(ids[: split.validation_boundary], words))
    return {"other": f"Kneser-Ney {order}-gram", "targets": int(len(positions)),
            "description": f"The test part's {len(positions):,} targets; the LSTM reads with its state carried from "
                           f"the validation part's start, the {order}-gram its last {order - 1} words.",
            "by_kind": compare_by_kind(model_hits, ngram_hits, kinds)}


def _best_order(run_dir: Path) -> int:
    """The Kneser-Ney order the evaluation chose on validation (5 when there is none)."""
    try:
        return int(run_folder.read_json(run_dir, run_folder.EVALUATION)["best_ngram"].split()[1].split("-")[0])
    except (run_folder.RunFolderError, KeyError, ValueError, IndexError):
        return 5


def write_lstmvis(folder: Path, cells: np.ndarray, hidden: np.ndarray, ids: np.ndarray, words: list[str]) -> None:
    """The states in LSTMVis' input layout under ``folder``."""
    import h5py

    folder.mkdir(parents=True, exist_ok=True)
    with atomic_output(folder / "states.h5", suffix=".h5") as temporary, h5py.File(temporary, "w") as states:
        states["cell_states"], states["hidden_states"] = cells, hidden
    with atomic_output(folder / "train.h5", suffix=".h5") as temporary, h5py.File(temporary, "w") as text:
        text["word_ids"] = ids.astype(np.int32)
    write_text_atomic(folder / "words.dict", "".join(f"{word} {index}\n" for index, word in enumerate(words)))
    write_text_atomic(folder / "lstm.yml", "name: lstmlab\ndescription: states recorded by lstmlab inspect\n"
                      "files:\n  states: states.h5\n  train: train.h5\n  words: words.dict\n"
                      "word_sequence:\n  file: train\n  path: word_ids\n  dict_file: words\n"
                      "states:\n  file: states\n  types:\n    - {type: state, layer: 1, path: cell_states}\n"
                      "    - {type: output, layer: 1, path: hidden_states}\n")


def inspect_run(run_dir: str | Path, text: str | None = None, count: int = INSPECT_WORDS, name: str = "inspection",
                compare: bool = True) -> dict[str, Any]:
    """Inspect the last LSTM layer of a trained run over ``text`` (default: ``count`` words of
    the test part); write the files of the module docstring. Returns the JSON's content plus
    ``page``, the HTML file's path. ``compare``: also bucket the test part's targets against
    Kneser-Ney (fits the n-gram model: seconds to a minute)."""
    run_dir = Path(run_dir)
    if not re.fullmatch(r"\w[\w.-]*", name):
        raise ValueError(f"--name {name!r} must be letters, digits, '.', '-' or '_' (a file name, no folder)")
    predictor, words, counts = NumpyNextWordPredictor.load(run_folder.predictor_path(run_dir))
    windows = run_folder.load_windows(run_dir)
    index = {word: i for i, word in enumerate(words)}
    if text is None:
        start = windows.split.test_boundary
        lines = run_folder.text_lines(run_dir, start, start + count, len(windows.ids))
        if lines is None:  # no tokens.txt lined up with the ids: the vocabulary's words
            lines = [[words[i] for i in windows.ids[windows.split.test_boundary:][:count]]]
        source = f"the first {sum(map(len, lines))} words of the test part"
    else:
        lines = _user_text(run_dir, text, words, counts)
        if not lines:
            raise ValueError("the text to inspect has no words")
        source = f"the given text ({sum(map(len, lines))} words)"
    shown = [word for line in lines for word in line]
    ids = np.array([index.get(word, index.get(UNKNOWN, 0)) for word in shown], dtype=np.int64)
    layer = record_predictor(predictor, ids)[-1]
    features = text_features(lines)
    ranked = rank_cells(layer, features)
    saturation = gate_saturation(layer)
    comparison = compare_with_kneser_ney(predictor, windows, words, _best_order(run_dir)) if compare else None
    summary = {"text": source, "words": len(shown), "units": int(layer.h.shape[1]), "cells": ranked,
               "feature_meanings": FEATURE_MEANINGS, "saturation": saturation,
               "saturation_mean": {gate: {side: float(np.mean(values)) for side, values in sides.items()}
                                   for gate, sides in saturation.items()},
               "comparison": comparison}
    folder = run_dir / run_folder.INSPECT
    states = {"h": np.round(layer.h.T, 3).tolist(), "c": np.round(layer.c.T, 3).tolist()}
    page = inspection_page(f"Inside the LSTM of {run_dir.name}", f"{source}; the last LSTM layer's {layer.h.shape[1]} "
                           "units, recorded word by word from a zero state.", shown, states,
                           _guesses(predictor, layer.h, words), ranked, FEATURE_MEANINGS,
                           saturation_picture(saturation), comparison)
    write_text_atomic(folder / f"{name}.html", page)
    write_text_atomic(folder / f"{name}.json", json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    write_lstmvis(folder / f"{name}-lstmvis", layer.c, layer.h, ids, words)
    logger.info("wrote %s", folder / f"{name}.html")
    return {**summary, "page": str(folder / f"{name}.html")}
