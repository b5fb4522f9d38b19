"""Train the next-word model from an id stream, with resumable epochs and a best checkpoint.

``train_next_word`` takes plain values and writes only into ``work_dir``:

* ``work_dir/backup/`` — Keras ``BackupAndRestore`` state (weights, optimizer, epoch) after
  every finished epoch; a killed run started again continues from there. Removed when
  training finishes.
* ``work_dir/best.keras`` — the model with the best held-out nearest-word top-10 so far, and
  ``work_dir/best.json`` with that score (so a resumed run keeps comparing against it).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import keras
import numpy as np

from corpus.windows import WindowSplit
from models.callbacks import NearestWordAccuracy
from models.next_word import build_next_word_model, compile_next_word_model
from models.settings import NextWordSettings, TrainingSchedule
from models.window_data import WindowBatches

logger = logging.getLogger(__name__)
MONITOR = "val_nearest_top10"


class _RememberBest(keras.callbacks.Callback):
    """Writes the best monitored value so far to a JSON file after each epoch."""

    def __init__(self, path: Path, best: float) -> None:
        super().__init__()
        self.path, self.best = path, best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = (logs or {}).get(MONITOR)
        if value is not None and value > self.best:
            self.best = float(value)
            self.path.write_text(json.dumps({MONITOR: self.best, "epoch": epoch + 1}), encoding="utf-8")


def _read_best(path: Path) -> float:
    if path.is_file():
        return float(json.loads(path.read_text(encoding="utf-8"))[MONITOR])
    return -np.inf


def train_next_word(ids: np.ndarray, split: WindowSplit, length: int, word_vectors: np.ndarray,
                    settings: NextWordSettings, schedule: TrainingSchedule, work_dir: str | Path,
                    extra_callbacks: list | None = None, verbose: int = 1) -> tuple[keras.Model, dict]:
    """Train on windows of ``ids`` (N,) int32 over the word2vec matrix ``word_vectors`` (V, D).

    Returns ``(model, history)``: the model with the best held-out top-10 weights, and the
    per-epoch logs of this call (a resumed run has only the epochs it ran).
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(schedule.seed)
    model = build_next_word_model(word_vectors, settings)
    target_vectors = None if settings.loss == "softmax" else word_vectors
    train_batches = WindowBatches(ids, split.train_starts, length, schedule.batch_size, target_vectors,
                                  shuffle=True, windows_per_epoch=schedule.max_train_windows, seed=schedule.seed)
    compile_next_word_model(model, settings, total_steps=len(train_batches) * schedule.epochs)
    validation_batches = WindowBatches(ids, split.validation_starts, length, max(schedule.batch_size, 256),
                                       target_vectors, shuffle=False)
    rng = np.random.default_rng(schedule.seed)
    metric_count = min(schedule.metric_windows, len(split.validation_starts))
    metric_starts = np.sort(rng.choice(split.validation_starts, metric_count, replace=False))
    best_path, best_json = work_dir / "best.keras", work_dir / "best.json"
    best_so_far = _read_best(best_json)
    callbacks = [
        NearestWordAccuracy(ids, metric_starts, length),
        keras.callbacks.BackupAndRestore(str(work_dir / "backup")),
        keras.callbacks.ModelCheckpoint(str(best_path), monitor=MONITOR, mode="max", save_best_only=True,
                                        initial_value_threshold=None if np.isinf(best_so_far) else best_so_far),
        _RememberBest(best_json, best_so_far),
    ]
    if schedule.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=MONITOR, mode="max", patience=schedule.patience))
    callbacks.extend(extra_callbacks or [])
    history = model.fit(train_batches, validation_data=validation_batches, epochs=schedule.epochs,
                        callbacks=callbacks, verbose=verbose)
    if best_path.is_file():
        model.load_weights(str(best_path))
    return model, {key: [float(v) for v in values] for key, values in history.history.items()}
