"""The train stage: read the run folder, train the next-word model, write ``model.keras``.

Writes ``RUN/model.keras`` (the best epoch), TensorBoard logs under
``RUN/logs/<loss>-<settings hash>/`` and resume state under ``RUN/train_work/`` (removed
when training finishes). A killed training started again with the same settings continues
from the last finished epoch.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.next_word import NextWordSettings
from pipeline.config import TrainConfig, hashed_settings
from pipeline.files import atomic_output, sha256_of_file
from pipeline.stages import RunContext


def load_windows(run_dir: Path):
    """Read ``windows.npz``: returns ``(ids (N,) int32, WindowSplit, window length)``."""
    from corpus.windows import split_at_boundary

    with np.load(run_dir / "windows.npz") as data:
        ids, boundary, length = data["ids"], int(data["boundary"]), int(data["length"])
    return ids, split_at_boundary(len(ids), length, boundary), length


def _settings_digest(context: RunContext) -> str:
    payload = json.dumps({"train": hashed_settings(context.config.train),
                          "windows": sha256_of_file(context.path("windows.npz"))}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:10]


def next_word_settings(settings: TrainConfig) -> NextWordSettings:
    """The model and optimiser part of the ``[train]`` section."""
    return NextWordSettings(
        loss=settings.loss, lstm_units=settings.lstm_units, dropout=settings.dropout,
        train_output_vectors=settings.train_output_vectors, train_input_vectors=settings.train_input_vectors,
        learn_scale=settings.learn_scale, scale=settings.scale, optimizer=settings.optimizer,
        learning_rate=settings.learning_rate, learning_rate_decay=settings.learning_rate_decay)


def train_run(context: RunContext) -> dict[str, Any]:
    """Train with ``context.config.train`` and return details for the manifest."""
    from gensim.models import KeyedVectors

    from models.generation import NumpyNextWordPredictor, generate_ids, join_words
    from models.next_word import decoding_vectors
    from models.training import TrainingSchedule, train_next_word
    from pipeline.tensorboard import tensorboard_callbacks, write_projector

    settings = context.config.train
    ids, split, length = load_windows(context.run_dir)
    vectors = KeyedVectors.load(str(context.path("word2vec.kv")))
    digest = _settings_digest(context)
    work_dir = context.path("train_work")
    if (work_dir / "settings.txt").is_file() and (work_dir / "settings.txt").read_text(encoding="utf-8") != digest:
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "settings.txt").write_text(digest, encoding="utf-8")
    log_dir = context.path("logs") / f"{settings.loss}-{digest}"
    seed_ids = [int(i) for i in ids[split.boundary : split.boundary + length]]

    def make_sample(model) -> str:
        predictor = NumpyNextWordPredictor.from_model(model)
        new = generate_ids(predictor, seed_ids, 40, length, temperature=0.0)
        return join_words([vectors.index_to_key[i] for i in seed_ids]) + " → " + join_words([vectors.index_to_key[i] for i in new])

    model_settings = next_word_settings(settings)
    schedule = TrainingSchedule(
        batch_size=settings.batch_size, epochs=settings.epochs, windows_per_epoch=settings.max_train_windows,
        metric_windows=settings.metric_windows, early_stopping=settings.early_stopping,
        patience=settings.patience, seed=settings.seed)
    started = time.perf_counter()
    model, history = train_next_word(
        ids, split, length, vectors.vectors, model_settings, schedule, work_dir,
        extra_callbacks=tensorboard_callbacks(log_dir, make_sample, settings.histograms),
        verbose=1 if context.progress and sys.stdout.isatty() else 2)
    seconds = time.perf_counter() - started
    with atomic_output(context.path("model.keras"), suffix=".keras") as temporary:
        model.save(temporary)
    write_projector(log_dir / "train", vectors.index_to_key,
                    {"word2vec": vectors.vectors, "decoding_vectors": decoding_vectors(model)})
    shutil.rmtree(work_dir)
    windows_seen = (settings.max_train_windows or len(split.train_starts)) * len(history.get("loss", []))
    return {"history": history, "epochs_run": len(history.get("loss", [])), "seconds_training": round(seconds, 1),
            "windows_per_second": round(windows_seen / seconds, 1) if seconds else None,
            "log_dir": str(log_dir.relative_to(context.run_dir))}
