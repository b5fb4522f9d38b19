"""Training's files in its work folder, each written under a temporary name and renamed into
place, so a process killed at any moment leaves the last complete version of every file.

Keras' own ``BackupAndRestore`` and ``ModelCheckpoint`` write their files in place. A
``kill -9`` while they wrote left a half-written ``latest.weights.h5`` that the next run could not
open ("bad object header version number"), and the resumed ``lstmlab run`` stopped there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import keras
import numpy as np


def write_atomically(path: Path, write: Callable[[Path], None], suffix: str) -> None:
    """Call ``write`` with a temporary path beside ``path`` (ending in ``suffix``, which Keras
    and numpy look at), then rename it to ``path``. If ``write`` fails, nothing is left behind
    and ``path`` is as it was."""
    path = Path(path)
    temporary = path.with_name(f"{path.name.split('.')[0]}.partial{suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_json(path: Path, value) -> None:
    """``value`` as JSON in ``path``, atomically."""
    write_atomically(path, lambda temporary: temporary.write_text(json.dumps(value), encoding="utf-8"), ".json")


def read_json(path: Path) -> dict:
    """What :func:`write_json` wrote to ``path`` (empty when there is no such file)."""
    return json.loads(Path(path).read_text(encoding="utf-8")) if Path(path).is_file() else {}


def comparison(mode: str):
    """``np.less`` for ``mode`` "min", ``np.greater`` for "max": is a figure better than another."""
    return np.less if mode == "min" else np.greater


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' ``BackupAndRestore`` (weights, optimizer state and epoch after every epoch;
    restored when training starts again) with each of its two files renamed into place. They
    are renamed one after the other, weights first: a kill between the two renames would pair
    the new weights with the epoch count before them, and the epoch would be trained again."""

    def _save_model(self) -> None:
        Path(self.backup_dir).mkdir(parents=True, exist_ok=True)
        write_atomically(Path(self._weights_path),
                         lambda temporary: self.model.save_weights(str(temporary), overwrite=True), ".weights.h5")
        write_json(Path(self._training_metadata_path), {"epoch": self._current_epoch, "batch": self._last_batch_seen})


class BestCheckpoint(keras.callbacks.Callback):
    """After each epoch whose ``monitor`` figure beats the best so far (``mode`` "min" or
    "max"; ``best`` from an earlier, interrupted run or None), saves the model to
    ``model_path`` (a ``.keras`` file) and writes ``{monitor: value, "epoch": n (from 1),
    "scale": the fitted scale, when logged}`` to ``json_path``, the model first."""

    def __init__(self, model_path: Path, json_path: Path, monitor: str, mode: str, best: float | None) -> None:
        super().__init__()
        self.model_path, self.json_path, self.monitor = Path(model_path), Path(json_path), monitor
        self.better, self.best = comparison(mode), best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None or not (self.best is None or self.better(value, self.best)):
            return
        self.best = float(value)
        best = {self.monitor: self.best, "epoch": epoch + 1}
        if "heldout_scale" in logs:
            best["scale"] = float(logs["heldout_scale"])
        write_atomically(self.model_path, lambda temporary: self.model.save(str(temporary)), ".keras")
        write_json(self.json_path, best)


class EpochHistory(keras.callbacks.Callback):
    """Appends each finished epoch's logs to a JSON file, so a resumed run reports every epoch."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        history = read_json(self.path)
        for key, value in (logs or {}).items():
            history.setdefault(key, []).append(float(value))
        write_json(self.path, history)
