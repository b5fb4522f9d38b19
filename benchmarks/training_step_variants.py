"""Where does the Keras training step's time go? Times the next-word MSE step in variants.

Run from the checkout, after a run folder exists (it reads its ids and word vectors)::

    python benchmarks/training_step_variants.py runs/hongloumeng
    KERAS_BACKEND=jax python benchmarks/training_step_variants.py runs/hongloumeng
    python benchmarks/training_step_variants.py runs/hongloumeng --default-only
    python benchmarks/training_step_variants.py runs/hongloumeng --steps-per-execution
    python benchmarks/training_step_variants.py runs/hongloumeng --parts

Prints windows per second (median of 3 timed epochs after a warm-up) for the default preset's
step (softmax at every position) plain and unrolled; then, for the blog's MSE
step: streamed ``PyDataset`` batches vs in-memory arrays, each ``jit_compile`` setting, and
``unroll=True`` over a fixed window length, at batch 128 and batch 10. With
``--steps-per-execution``: the seed and default presets' steps through the training code,
one batch per compiled call against the schedule's default, rolled and unrolled. With
``--parts`` (TensorFlow only): the blog preset's step split into its parts, by turns in one
process (:func:`lstmlab.bench.pairs.alternating_rates`): ``model.fit`` on its PyDataset
batches, a bare compiled training step on tensors already in memory, the forward and backward
pass without the update, and the forward pass alone, each with and without XLA.
"""

from __future__ import annotations

import dataclasses
import os
import sys

import keras
import numpy as np
from gensim.models import KeyedVectors

from lstmlab.corpus.windows import split_windows, window_batch
from lstmlab.models.settings import NextWordSettings
from lstmlab.models.window_data import WindowBatches
from lstmlab.bench.timing import keras_windows_per_second, timed_rates


def median_rate(fit, windows: int) -> float:
    return float(np.median(timed_rates(fit, windows, repeats=3)))


def mse_model(vectors: np.ndarray, unroll: bool, length: int, jit) -> keras.Model:
    ids = keras.Input((length if unroll else None,), dtype="int32")
    embedded = keras.layers.Embedding(*vectors.shape, trainable=False)(ids)
    hidden = keras.layers.LSTM(200, unroll=unroll)(embedded)
    model = keras.Model(ids, keras.layers.Dense(vectors.shape[1])(hidden))
    model.compile(keras.optimizers.SGD(0.1), "mse", jit_compile=jit)
    model.get_layer(index=1).embeddings.assign(vectors)
    return model


def compare_steps_per_execution(ids: np.ndarray, vectors: np.ndarray) -> None:
    from lstmlab.models.settings import TrainingSchedule
    from lstmlab.pipeline.config import load_config

    for name, batch, steps in (("blog", 10, 500), ("blog", 128, 60), ("default", 128, 40)):
        preset = load_config(preset=name).train  # as lstmlab bench takes a preset's settings
        for unroll in (False, True):
            for per_call in (1, 0):
                rates = keras_windows_per_second(ids, vectors, dataclasses.replace(preset, unroll=unroll), batch,
                                                 steps, 3, steps_per_execution=per_call)
                chosen = TrainingSchedule(batch_size=batch, steps_per_execution=per_call).batches_per_execution()
                print(f"{name} preset, batch {batch:3d}, unroll={unroll!s:5s}, {chosen:2d} batches per call: "
                      f"{np.median(rates):7.0f} windows/s", flush=True)


def seed_step_parts(ids: np.ndarray, vectors: np.ndarray, batch: int, steps: int, rounds: int = 5) -> None:
    """Print the windows per second of the blog preset's step and of its parts (see the module's
    docstring), median and fastest of ``rounds`` runs of ``steps`` batches of ``batch`` windows."""
    import tensorflow as tf

    from lstmlab.models.next_word import build_next_word_model
    from lstmlab.bench.pairs import alternating_rates
    from lstmlab.bench.timing import keras_training_run
    from lstmlab.pipeline.config import load_config

    settings = load_config(preset="blog").train
    runs = {"model.fit": keras_training_run(ids, vectors, settings, batch, steps, steps * (rounds + 1))}
    starts = np.random.default_rng(0).permutation(split_windows(len(ids), 20, 0.0, 0.0).train_starts)
    inputs, targets = window_batch(ids, starts[: batch * steps], 20)
    batches = [(tf.constant(inputs[i : i + batch]), tf.constant(vectors[targets[i : i + batch]]))
               for i in range(0, batch * steps, batch)]
    model = build_next_word_model(vectors, settings, 20)
    optimizer = keras.optimizers.SGD(settings.learning_rate)
    optimizer.build(model.trainable_variables)

    def gradients(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        return tape.gradient(loss, model.trainable_variables)

    parts = {"step": lambda x, y: optimizer.apply(gradients(x, y), model.trainable_variables),
             "forward+backward": gradients, "forward": lambda x, y: model(x)}
    for name, part in parts.items():
        for xla in (True, False):
            compiled = tf.function(part, jit_compile=xla)
            runs[f"{name}{'' if xla else ', no XLA'}"] = lambda compiled=compiled: [compiled(*b) for b in batches]
    rates = alternating_rates(runs, batch * steps, rounds)
    for name, values in rates.items():
        print(f"blog preset, batch {batch:3d}, {name:26s} median {np.median(values):7.0f}, fastest {max(values):7.0f} "
              f"windows/s ({1000 * batch / max(values):.2f} ms per batch at the fastest)", flush=True)


def main(run_dir: str, default_only: bool = False, steps_per_execution: bool = False, parts: bool = False) -> None:
    with np.load(os.path.join(run_dir, "windows.npz")) as data:
        ids = data["ids"]
    vectors = KeyedVectors.load(os.path.join(run_dir, "word2vec.kv")).vectors
    starts = split_windows(len(ids), 20, 0.0, 0.0).train_starts
    print(f"command: KERAS_BACKEND={keras.backend.backend()} python {' '.join(sys.argv)}")
    if steps_per_execution:
        return compare_steps_per_execution(ids, vectors)
    if parts:
        if keras.backend.backend() != "tensorflow":
            raise SystemExit("--parts times TensorFlow's compiled functions; run it with KERAS_BACKEND=tensorflow")
        for batch, steps in ((10, 240), (128, 40)):
            seed_step_parts(ids, vectors, batch, steps)
        return
    for variant in ({}, {"unroll": True}):
        rates = keras_windows_per_second(ids, vectors, NextWordSettings(**variant), 128, 40, 3)
        print(f"default preset, batch 128, {variant or 'as is'}: {np.median(rates):7.0f} windows/s", flush=True)
    if default_only:
        return
    for batch, steps in ((128, 60), (10, 240)):
        inputs, targets = window_batch(ids, starts[: batch * steps], 20)
        arrays = (inputs, vectors[targets])
        stream = WindowBatches(ids, starts, 20, batch, vectors, windows_per_epoch=batch * steps)
        jit_options = ("auto",) if keras.backend.backend() == "jax" else ("auto", False, True)
        for jit in jit_options:
            for unroll in (False, True):
                keras.utils.set_random_seed(0)
                model = mse_model(vectors, unroll, 20, jit)
                by_arrays = median_rate(lambda: model.fit(*arrays, batch_size=batch, verbose=0, shuffle=False),
                                        batch * steps)
                by_stream = median_rate(lambda: model.fit(stream, verbose=0), batch * steps)
                print(f"batch {batch:3d}  jit_compile={jit!s:5s}  unroll={unroll!s:5s}  "
                      f"arrays {by_arrays:7.0f}  PyDataset {by_stream:7.0f} windows/s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/hongloumeng", "--default-only" in sys.argv,
         "--steps-per-execution" in sys.argv, "--parts" in sys.argv)
