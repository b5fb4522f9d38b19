"""Held-out evaluation of a run: the model's next-word accuracy beside frequency baselines.

Every row is scored on the same validation windows: top-1 and top-10 next-word accuracy,
and for the model the mean cosine between the predicted vector and the true next word's
decoding vector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from corpus.baselines import bigram_table, top_k_accuracy, unigram_ranking


def load_model(run_dir: Path):
    """Load ``RUN/model.keras`` (the custom layers register themselves on import)."""
    import keras

    import models.next_word  # noqa: F401  (registers CosineLogits)

    path = run_dir / "model.keras"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; train first: lstmlab train {run_dir}")
    return keras.saving.load_model(str(path))


def evaluate_run(run_dir: Path, max_windows: int = 0) -> dict[str, Any]:
    """Score the run's model and both baselines; returns ``{"windows": n, "rows": [...]}``."""
    from corpus.windows import window_batch
    from models.generation import NumpyNextWordPredictor
    from models.decoding import unit_rows
    from pipeline.train_command import load_windows

    ids, split, length = load_windows(run_dir)
    starts = split.validation_starts[:max_windows] if max_windows > 0 else split.validation_starts
    inputs, targets = window_batch(ids, starts, length)
    predictor = NumpyNextWordPredictor.from_model(load_model(run_dir))
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
