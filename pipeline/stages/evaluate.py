"""The evaluate stage: the model's next-word accuracy on held-out text beside frequency baselines.

Writes ``RUN/evaluation.json``. Every row is scored on the same held-out windows: top-1 and
top-10 next-word accuracy, and for the model the mean cosine between the predicted vector
and the true next word's decoding vector.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from corpus.baselines import bigram_table, top_k_accuracy, unigram_ranking
from corpus.windows import window_batch
from models.decoding import unit_rows
from models.next_word import load_next_word_model
from models.predictor import NumpyNextWordPredictor
from pipeline import run_folder
from pipeline.files import write_text_atomic
from pipeline.run_folder import RunContext


def evaluate_run(run_dir: Path, max_windows: int = 0) -> dict[str, Any]:
    """Score the run's model and both baselines; returns ``{"windows": n, "rows": [...]}``."""
    windows = run_folder.load_windows(run_dir)
    ids, split = windows.ids, windows.split
    starts = split.validation_starts[:max_windows] if max_windows > 0 else split.validation_starts
    inputs, targets = window_batch(ids, starts, windows.length)
    predictor = NumpyNextWordPredictor.from_model(load_next_word_model(run_folder.model_path(run_dir)))
    vocabulary_size = len(predictor.decoder.unit_vectors)
    predicted = predictor.predict_many(inputs)
    ranked = predictor.decoder.top_k(predicted, 10)
    cosine = np.sum(unit_rows(predicted) * predictor.decoder.unit_vectors[targets], axis=1)
    train_ids = ids[: split.boundary]
    unigram = np.broadcast_to(unigram_ranking(train_ids, vocabulary_size, 10), (len(targets), 10))
    bigram = bigram_table(train_ids, vocabulary_size, 10)[inputs[:, -1]]

    def row(name: str, guesses: np.ndarray, mean_cosine: float | None) -> dict[str, Any]:
        return {"name": name, "top1": top_k_accuracy(guesses, targets, 1), "top10": top_k_accuracy(guesses, targets, 10),
                "mean_cosine": mean_cosine}

    return {"windows": int(len(targets)), "rows": [
        row("model (nearest word by cosine)", ranked, float(cosine.mean())),
        row("baseline: most frequent words", unigram, None),
        row("baseline: most frequent after previous word", bigram, None),
    ]}


def format_table(evaluation: dict[str, Any]) -> str:
    """The evaluation as a small fixed-width text table."""
    lines = [f"held-out windows: {evaluation['windows']}",
             f"{'predictor':46s} {'top-1':>7s} {'top-10':>7s} {'mean cos':>9s}"]
    for row in evaluation["rows"]:
        cosine = "" if row["mean_cosine"] is None else f"{row['mean_cosine']:.3f}"
        lines.append(f"{row['name']:46s} {row['top1']:7.1%} {row['top10']:7.1%} {cosine:>9s}")
    return "\n".join(lines)


def run(context: RunContext) -> dict[str, Any]:
    """The stage: ``RUN/model.keras`` + ``RUN/windows.npz`` -> ``RUN/evaluation.json``."""
    table = evaluate_run(context.run_dir, context.config.evaluate.max_windows)
    write_text_atomic(context.path(run_folder.EVALUATION), json.dumps(table, indent=2, ensure_ascii=False) + "\n")
    return {"rows": table["rows"]}
