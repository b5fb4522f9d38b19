"""The train stage: read the run folder, train the next-word model, write ``model.keras``.

Writes ``RUN/model.keras`` (the epoch chosen on the validation part), ``RUN/predictor.npz``
(the same weights and the vocabulary, for numpy-only evaluation and generation), TensorBoard logs under
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

from corpus.text import join_words
from models.generation import generate_ids
from models.predictor import NumpyNextWordPredictor
from models.settings import DecodingSettings
from models.training import train_next_word
from pipeline import run_folder
from pipeline.config import hashed_settings
from pipeline.files import atomic_output, sha256_of_file
from pipeline.run_folder import RunContext
from pipeline.tensorboard import tensorboard_callbacks, write_projector


def _settings_digest(context: RunContext) -> str:
    """A short hash of the training settings and the windows file: names the logs and resume state."""
    payload = json.dumps({"train": hashed_settings(context.config.train),
                          "windows": sha256_of_file(context.path(run_folder.WINDOWS))}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:10]


def _fresh_work_dir(work_dir: Path, digest: str) -> None:
    """Keep ``work_dir``'s resume state only if it was made with the same settings."""
    marker = work_dir / "settings.txt"
    if marker.is_file() and marker.read_text(encoding="utf-8") != digest:
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(digest, encoding="utf-8")


def run(context: RunContext) -> dict[str, Any]:
    """The stage: ``RUN/windows.npz`` + ``RUN/word2vec.kv`` -> ``RUN/model.keras``; returns details."""
    settings = context.config.train
    windows = run_folder.load_windows(context.run_dir)
    vectors = run_folder.load_vectors(context.run_dir)
    digest = _settings_digest(context)
    work_dir = context.path(run_folder.TRAIN_WORK)
    _fresh_work_dir(work_dir, digest)
    log_dir = context.path(run_folder.LOGS) / f"{settings.loss}-{digest}"
    length, seed_ids = windows.length, windows.seed_ids()

    def make_sample(model) -> str:
        """40 words after the validation part's first window, by the default decoding with a
        fixed random seed, so that epochs can be compared."""
        new = generate_ids(NumpyNextWordPredictor.from_model(model), seed_ids, 40, length, DecodingSettings())
        return join_words(vectors.index_to_key[i] for i in seed_ids) + " → " + \
            join_words(vectors.index_to_key[i] for i in new)

    started = time.perf_counter()
    model, history = train_next_word(
        windows.ids, windows.split, length, vectors.vectors, settings=settings, schedule=settings, work_dir=work_dir,
        extra_callbacks=tensorboard_callbacks(log_dir, make_sample, settings.histograms),
        verbose=1 if context.progress and sys.stdout.isatty() else 2)
    seconds = time.perf_counter() - started
    predictor = NumpyNextWordPredictor.from_model(model)
    with atomic_output(context.path(run_folder.MODEL), suffix=".keras") as temporary:
        model.save(temporary)
    with atomic_output(context.path(run_folder.PREDICTOR), suffix=".npz") as temporary:
        predictor.save(temporary, vectors.index_to_key, [vectors.get_vecattr(w, "count") for w in vectors.index_to_key])
    write_projector(log_dir / "train", vectors.index_to_key,
                    {"word2vec": vectors.vectors, "decoding_vectors": predictor.output_vectors})
    shutil.rmtree(work_dir)
    epochs = len(history.get("loss", []))
    predictions = windows.split.validation_boundary * epochs  # one per training word and epoch
    return {"history": history, "epochs_run": epochs, "seconds_training": round(seconds, 1),
            "predictions_per_second": round(predictions / seconds, 1) if seconds else None,
            "scale": predictor.scale, "log_dir": str(log_dir.relative_to(context.run_dir))}
