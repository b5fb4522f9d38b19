"""The train stage: read the run folder, train the next-word model, write ``model.keras``.

Writes ``RUN/model.keras`` (the epoch chosen on the validation part), ``RUN/predictor.npz``
(the same weights and the vocabulary, for numpy-only evaluation and generation), TensorBoard logs under
``RUN/logs/<loss>-<settings hash>/`` and resume state under ``RUN/train_work/`` (removed
when training finishes). A killed training started again with the same settings continues
from the last finished epoch.

With ``[distribute] enabled`` (or the Keras distribution environment variables) training is
data parallel over every device of every process (:mod:`models.distributed`, JAX backend):
process 0 runs this stage and writes everything above; processes 1.. run
:func:`run_worker`, which writes only its resume state, ``RUN/train_work-process-<k>/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from lstmlab.corpus.text import join_words
from lstmlab.corpus.vocabulary import unknown_ids
from lstmlab.models.callbacks import TrainingProgress
from lstmlab.models.distributed import Shard, finish_data_parallel, start_data_parallel
from lstmlab.models.generation import TextPairs, generate_ids
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.settings import DecodingSettings
from lstmlab.models.training import train_next_word
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.config import PipelineConfig, hashed_settings
from lstmlab.pipeline.files import atomic_output, sha256_of_file
from lstmlab.pipeline.run_folder import RunContext
from lstmlab.pipeline.tensorboard import tensorboard_callbacks, write_projector


def _settings_digest(config: PipelineConfig, run_dir: Path) -> str:
    """A short hash of the training settings and the windows file: names the logs and resume state."""
    payload = json.dumps({"train": hashed_settings(config.train),
                          "windows": sha256_of_file(run_dir / run_folder.WINDOWS)}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:10]


def start_distribution(config: PipelineConfig) -> Shard:
    """Join the data-parallel processes if the config or the environment asks for it; else one
    process, no distribution."""
    distribute = config.distribute.from_environment(dict(os.environ))
    if not distribute.enabled:
        return Shard()
    return start_data_parallel(distribute.coordinator, distribute.num_processes, distribute.process_id,
                               config.train.rng_seed)


def is_worker(config: PipelineConfig) -> bool:
    """True in processes 1.. of a data-parallel training (they run :func:`run_worker`)."""
    distribute = config.distribute.from_environment(dict(os.environ))
    return distribute.enabled and distribute.process_id > 0


def run_worker(run_dir: Path, config: PipelineConfig) -> None:
    """Process k > 0 of a data-parallel training: feed its share of every batch of the training
    that process 0 runs as the stage. Reads ``RUN/windows.npz`` and ``RUN/word2vec.kv``;
    writes only ``RUN/train_work-process-<k>/`` (resume state, removed when training ends)."""
    shard = start_distribution(config)
    windows = run_folder.load_windows(run_dir)
    vectors = run_folder.load_vectors(run_dir)
    work_dir = run_dir / f"{run_folder.TRAIN_WORK}-process-{shard.index}"
    _fresh_work_dir(work_dir, _settings_digest(config, run_dir))
    train_next_word(windows.ids, windows.split, windows.length, vectors.vectors, settings=config.train,
                    schedule=config.train, work_dir=work_dir, verbose=0, shard=shard,
                    unscored=unknown_ids(vectors.index_to_key))
    finish_data_parallel()
    shutil.rmtree(work_dir)


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
    shard = start_distribution(context.config)
    windows = run_folder.load_windows(context.run_dir)
    vectors = run_folder.load_vectors(context.run_dir)
    digest = _settings_digest(context.config, context.run_dir)
    work_dir = context.path(run_folder.TRAIN_WORK)
    _fresh_work_dir(work_dir, digest)
    log_dir = context.path(run_folder.LOGS) / f"{settings.loss}-{digest}"
    length, seed_ids = windows.length, windows.seed_ids()
    start = windows.seed_start()  # the seed shown as the text writes it (a rare word as itself, not <unk>)
    seed_words = run_folder.text_words(context.run_dir, start, start + length, len(windows.ids)) or \
        [vectors.index_to_key[i] for i in seed_ids]
    pairs = TextPairs.from_tokens_file(context.path(run_folder.TOKENS), vectors.index_to_key)
    unknown = unknown_ids(vectors.index_to_key)

    def make_sample(model) -> str:
        """40 words after the validation part's first window, by the default decoding with a
        fixed random seed, so that epochs can be compared."""
        new = generate_ids(NumpyNextWordPredictor.from_model(model).never_predict(unknown), seed_ids, 40, length,
                           DecodingSettings(), pairs)
        return join_words(seed_words) + " → " + join_words(vectors.index_to_key[i] for i in new)

    started = time.perf_counter()
    on_terminal = sys.stdout.isatty()
    progress = [TrainingProgress()] if context.progress and not on_terminal else []
    model, history = train_next_word(
        windows.ids, windows.split, length, vectors.vectors, settings=settings, schedule=settings, work_dir=work_dir,
        extra_callbacks=tensorboard_callbacks(log_dir, make_sample, settings.histograms) + progress,
        verbose=1 if context.progress and on_terminal else 2, shard=shard, unscored=unknown)
    seconds = time.perf_counter() - started
    if shard.devices > 1:
        finish_data_parallel()
    predictor = NumpyNextWordPredictor.from_model(model).never_predict(unknown)
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
            "scale": predictor.scale, "log_dir": str(log_dir.relative_to(context.run_dir)),
            "processes": shard.count, "devices": shard.devices}
