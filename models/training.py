"""Train the next-word model from an id stream, with resumable epochs and a best checkpoint.

``train_next_word`` takes plain values and writes only into ``work_dir``, every file under a
temporary name renamed into place (:mod:`models.checkpoints`):

* ``work_dir/backup/`` — Keras ``BackupAndRestore`` state (weights, optimizer, epoch) after
  every finished epoch; a killed run started again continues from there. Removed when
  training finishes.
* ``work_dir/best.keras`` — the model with the best validation figure so far (perplexity, or
  top-10 for the regression losses), and ``work_dir/best.json`` with that score, its epoch and
  the calibrated scale (so a resumed run keeps comparing against it).
* ``work_dir/snapshots/epoch-<n>.npz`` — each epoch's weights, with ``average_epochs``, for
  the averages of the last epochs tried when training ends (:mod:`models.weight_averaging`).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Sequence

import keras
import numpy as np

from lstmlab.corpus.windows import WindowSplit
from lstmlab.models.callbacks import HeldOutMetrics
from lstmlab.models.carried_lstm import copy_weights_without_state
from lstmlab.models.checkpoints import (AtomicBackupAndRestore, BestCheckpoint, EpochHistory, comparison,
                                        read_json)
from lstmlab.models.distributed import Shard, check_batch_size
from lstmlab.models.next_word import (build_next_word_model, compile_next_word_model, reset_lstm_states,
                                      set_cosine_scale)
from lstmlab.models.sampled_head import CandidateSampler, SampledBatches
from lstmlab.models.settings import NextWordSettings, TrainingSchedule
from lstmlab.models.weight_averaging import EpochSnapshots, keep_best_average
from lstmlab.models.window_data import SequenceBatches, StreamBatches, WindowBatches

logger = logging.getLogger(__name__)


def monitored_metric(settings: NextWordSettings) -> tuple[str, str]:
    """The held-out figure that picks the saved epoch, and whether lower or higher is better:
    perplexity for the softmax model, top-10 for the regression models (no distribution)."""
    return ("heldout_perplexity", "min") if settings.loss == "softmax" else ("heldout_top10", "max")


class ResetStatesEachEpoch(keras.callbacks.Callback):
    """Zero the stateful LSTMs' state at each epoch's start, where the streams start again."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        reset_lstm_states(self.model)


def training_batches(ids: np.ndarray, split: WindowSplit, length: int, settings: NextWordSettings,
                     schedule: TrainingSchedule, target_vectors: np.ndarray | None, shard: Shard = Shard(),
                     first_epoch: int = 0, word_counts: np.ndarray | None = None):
    """The training and validation batches for the settings' objective: the text as parallel
    streams for a model that carries its state (no validation batches: its held-out figures
    are continuous), back-to-back sequences with a target at every position, or the blog's
    overlapping windows with one target each; this process's ``shard`` of each. ``first_epoch``:
    the epoch training starts at (a resumed training's), whose order the batches take. With the
    sampled head, ``word_counts`` (V,) are the training part's word counts (the proposal's). With the
    sampled head the training batches carry their candidates (:class:`models.sampled_head.SampledBatches`)
    and there are no validation batches (the held-out figures, over every word, judge the epochs)."""
    train, validation = _plain_training_batches(ids, split, length, settings, schedule, target_vectors, shard,
                                                first_epoch)
    if settings.loss == "softmax" and settings.head == "sampled":
        if word_counts is None:
            word_counts = np.bincount(ids[: split.validation_boundary])
        return SampledBatches(train, CandidateSampler(word_counts, settings.sampled_words), seed=schedule.rng_seed), None
    return train, validation


def _plain_training_batches(ids: np.ndarray, split: WindowSplit, length: int, settings: NextWordSettings,
                            schedule: TrainingSchedule, target_vectors: np.ndarray | None, shard: Shard,
                            first_epoch: int):
    """:func:`training_batches` without the sampled head's candidates."""
    validation_batch = max(schedule.batch_size, 256)
    validation_batch -= validation_batch % shard.devices
    if settings.carry_state:  # each process its rows of every batch: the same streams all epoch
        train = StreamBatches(ids, 0, split.validation_boundary, length, schedule.batch_size, target_vectors,
                              shuffle=True, max_sequences=schedule.max_train_windows, seed=schedule.rng_seed,
                              shard=shard, first_epoch=first_epoch)
        return train, None
    if settings.every_position:
        train = SequenceBatches(ids, 0, split.validation_boundary, length, schedule.batch_size, target_vectors,
                                shuffle=True, max_sequences=schedule.max_train_windows, seed=schedule.rng_seed,
                                shard=shard, first_epoch=first_epoch)
        validation = SequenceBatches(ids, split.validation_boundary, split.test_boundary, length, validation_batch,
                                     target_vectors, shuffle=False, shard=shard)
        return train, validation
    train = WindowBatches(ids, split.train_starts, length, schedule.batch_size, target_vectors, shuffle=True,
                          windows_per_epoch=schedule.max_train_windows, seed=schedule.rng_seed, shard=shard,
                          first_epoch=first_epoch)
    validation = WindowBatches(ids, split.validation_starts, length, validation_batch, target_vectors, shuffle=False,
                               shard=shard)
    return train, validation


def steps_per_execution(settings: NextWordSettings, schedule: TrainingSchedule) -> int:
    """Batches per compiled call: the schedule's, but 1 for recurrent dropout on TensorFlow, whose
    gradient inside Keras' multi-step loop fails (AlreadyExistsError on a TemporaryVariable)."""
    if settings.recurrent_dropout > 0 and keras.backend.backend() == "tensorflow":
        return 1
    return schedule.batches_per_execution()


def train_next_word(ids: np.ndarray, split: WindowSplit, length: int, word_vectors: np.ndarray,
                    settings: NextWordSettings, schedule: TrainingSchedule, work_dir: str | Path,
                    extra_callbacks: list | None = None, verbose: int = 1,
                    shard: Shard = Shard(), unscored: Sequence[int] = ()) -> tuple[keras.Model, dict]:
    """Train on the training part of ``ids`` (N,) int32 over the word2vec matrix ``word_vectors`` (V, D).

    The weights kept are the best on the validation part (:func:`monitored_metric`) among the
    epochs and, with ``schedule.average_epochs``, the averages of the last epochs
    (:func:`models.weight_averaging.keep_best_average`); the test part is not read. With
    ``settings.calibrate_scale`` (softmax) the perplexity that picks them is at the scale fitted
    on the validation windows, and the kept model gets that scale. Returns ``(model, history)``:
    the model with the kept weights, and the per-epoch logs of every epoch (those before a resume
    included) plus ``history["kept"]``, what was kept: ``first_epoch`` and ``last_epoch`` (the
    same for one epoch) and its validation figures. Under data-parallel
    training (:func:`models.distributed.start_data_parallel` first) ``shard`` says which rows
    of each global batch this process feeds; each process needs its own ``work_dir``.
    ``unscored``: word ids (the unknown word) that the model learns to predict but that the
    validation figures leave out (:class:`models.callbacks.HeldOutMetrics`).
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    check_batch_size(schedule.batch_size, shard)
    if shard.devices > 1 and settings.head == "sampled" and settings.loss == "softmax":
        logger.warning("data-parallel training uses the full head: the sampled head needs every process to see "
                       "the whole batch's target words")
        settings = dataclasses.replace(settings, head="full")
    keras.utils.set_random_seed(schedule.rng_seed)
    word_counts = np.bincount(ids[: split.validation_boundary], minlength=len(word_vectors))
    model = build_next_word_model(word_vectors, settings, length, word_counts=word_counts,
                                  batch_size=schedule.batch_size, for_training=True)
    target_vectors = None if settings.loss == "softmax" else word_vectors
    epochs_done = len(read_json(work_dir / "history.json").get("loss", []))
    train_batches, validation_batches = training_batches(ids, split, length, settings, schedule, target_vectors,
                                                         shard, first_epoch=epochs_done, word_counts=word_counts)
    compile_next_word_model(model, settings, total_steps=len(train_batches) * schedule.epochs,
                            steps_per_execution=steps_per_execution(settings, schedule))
    rng = np.random.default_rng(schedule.rng_seed)
    metric_count = min(schedule.metric_windows, len(split.validation_starts))
    metric_starts = np.sort(rng.choice(split.validation_starts, metric_count, replace=False))
    monitor, mode = monitored_metric(settings)
    best_path, best_json = work_dir / "best.keras", work_dir / "best.json"
    best_so_far = read_json(best_json).get(monitor)
    calibrate = settings.loss == "softmax" and settings.calibrate_scale
    held_out = HeldOutMetrics(ids, metric_starts, length, calibrate=calibrate, excluded=unscored,
                              continuous_from=split.validation_boundary if settings.carry_state else None)
    snapshots = work_dir / "snapshots"
    callbacks = ([ResetStatesEachEpoch()] if settings.carry_state else []) + [held_out] + ([EpochSnapshots(snapshots)] if schedule.average_epochs else []) + [
        AtomicBackupAndRestore(str(work_dir / "backup")),
        BestCheckpoint(best_path, best_json, monitor, mode, best_so_far),
        EpochHistory(work_dir / "history.json"),
    ]
    if schedule.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=schedule.patience))
    callbacks.extend(extra_callbacks or [])
    model.fit(train_batches, validation_data=validation_batches, epochs=schedule.epochs, callbacks=callbacks,
              verbose=verbose, shuffle=False)
    history = read_json(work_dir / "history.json")
    history["kept"] = _keep_best_weights(model, work_dir, history, held_out, monitor, mode,
                                         average=schedule.average_epochs)
    if calibrate and "heldout_scale" in history["kept"]:
        set_cosine_scale(model, history["kept"]["heldout_scale"])
    if settings.carry_state or settings.head == "sampled":
        # the same weights in a model for any batch, starting from zero, over every word
        plain = build_next_word_model(word_vectors, settings, length, word_counts=word_counts)
        copy_weights_without_state(model, plain)
        model = plain
    return model, history


def _keep_best_weights(model: keras.Model, work_dir: Path, history: dict, held_out: HeldOutMetrics, monitor: str,
                       mode: str, average: bool) -> dict:
    """Leave in ``model`` the best of the best epoch (``work_dir/best.keras``) and, with
    ``average``, the averages of the last epochs' snapshots; ``history`` holds every epoch's
    logs. Returns what was kept (see :func:`train_next_word`)."""
    best, epochs = read_json(work_dir / "best.json"), len(history.get("loss", []))
    if average:
        winner = keep_best_average(model, work_dir / "snapshots", epochs, held_out.measure, monitor,
                                   comparison(mode), best)
        if winner is not None:
            logger.info("kept the average of epochs %d-%d", winner["first_epoch"], winner["last_epoch"])
            return winner
    if (work_dir / "best.keras").is_file():
        model.load_weights(str(work_dir / "best.keras"))
    epoch = best.get("epoch", epochs)
    kept = {key: values[epoch - 1] for key, values in history.items()
            if key.startswith("heldout_") and len(values) >= epoch}
    return {**kept, "first_epoch": epoch, "last_epoch": epoch}
