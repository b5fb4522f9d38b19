"""Speed measurements of the next-word model's training step and of generation.

Each ``*_per_second`` function times ``repeats`` runs after one warm-up run and returns the
rate of every timed run, so callers can report a median and a spread.

FLOPs of one training window (the formula the benchmark prints): an LSTM step costs
2 x 4H x (D + H) multiply-adds counted as FLOPs for the gate pre-activations; the backward
pass costs about twice the forward, so one window of T steps costs
``3 x 2 x T x 4H x (D + H)`` FLOPs (the Dense layer and loss are left out).
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from lstmlab.corpus.windows import split_windows

# The Keras-facing helpers import the model modules inside, so the workers that only time
# numpy or text stages never load Keras (their peak memory is measured).


def lstm_training_flops_per_window(steps: int, units: int, input_dim: int) -> float:
    """3 x 2 x T x 4H x (D + H): forward and backward FLOPs of one window through the LSTM."""
    return 3.0 * 2.0 * steps * 4 * units * (input_dim + units)


def softmax_head_flops_per_window(steps: int, dimensions: int, vocabulary: int) -> float:
    """3 x 2 x T x D x V: forward and backward FLOPs of the default preset's head, the cosine
    logits of every position's vector against all V output vectors (the LSTM's are extra)."""
    return 3.0 * 2.0 * steps * dimensions * vocabulary


def timed_rates(work: Callable[[], object], amount: float, repeats: int) -> list[float]:
    """Run ``work`` once to warm up, then ``repeats`` timed times; return ``amount`` per second
    for each timed run."""
    work()
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        rates.append(amount / (time.perf_counter() - started))
    return rates


def matmul_gflops(size: int = 2048, repeats: int = 5) -> list[float]:
    """float32 (size x size) @ (size x size) rates in GFLOP/s through numpy's BLAS."""
    rng = np.random.default_rng(0)
    a, b = rng.random((size, size), dtype=np.float32), rng.random((size, size), dtype=np.float32)
    return timed_rates(lambda: a @ b, 2.0 * size**3 / 1e9, repeats)


def keras_windows_per_second(ids: np.ndarray, vectors: np.ndarray, settings, batch_size: int, steps: int,
                             repeats: int, length: int = 20, shard=None, steps_per_execution: int = 0) -> list[float]:
    """Training windows (of ``length`` words) per second of the project's model with ``settings``
    (:class:`models.settings.NextWordSettings`), ``model.fit`` on the batches its objective uses:
    with ``every_position`` each window trains ``length`` predictions, else one; batches per
    compiled call as training runs them (``steps_per_execution``, 0: the schedule's default).
    Under data-parallel training, ``shard`` (:class:`models.distributed.Shard`) is this
    process's share of every global batch; the rate is of global windows."""
    train = keras_training_run(ids, vectors, settings, batch_size, steps, steps * (repeats + 1), length, shard,
                               steps_per_execution)
    return timed_rates(train, batch_size * steps, repeats)


def keras_training_run(ids: np.ndarray, vectors: np.ndarray, settings, batch_size: int, steps: int,
                       total_steps: int, length: int = 20, shard=None,
                       steps_per_execution: int = 0) -> Callable[[], object]:
    """A function that trains the project's model (built and compiled here, as
    :func:`keras_windows_per_second` describes) for one ``model.fit`` epoch of ``steps`` batches;
    ``total_steps``, the batches of every call together, sets the learning-rate decay."""
    import keras

    from lstmlab.models.next_word import build_next_word_model, compile_next_word_model
    from lstmlab.models.settings import TrainingSchedule
    from lstmlab.models.training import training_batches

    keras.utils.set_random_seed(0)
    model = build_next_word_model(vectors, settings, length, for_training=True)
    schedule = TrainingSchedule(batch_size=batch_size, max_train_windows=batch_size * steps,
                                steps_per_execution=steps_per_execution)
    compile_next_word_model(model, settings, total_steps=total_steps,
                            steps_per_execution=schedule.batches_per_execution())
    split = split_windows(len(ids), length, 0.05, 0.05)
    batches, _ = training_batches(ids, split, length, settings, schedule,
                                  None if settings.loss == "softmax" else vectors, *([shard] if shard else []),
                                  word_counts=np.bincount(ids, minlength=len(vectors)))
    return lambda: model.fit(batches, epochs=1, verbose=0)


def generation_words_per_second(vectors: np.ndarray, method: str, words: int, repeats: int,
                                length: int = 20, context: str = "carried", part: str = "all") -> list[float]:
    """Words per second of :func:`models.generation.generate_ids` with an untrained model
    (the cost does not depend on the weights' values), the state carried (one LSTM step per
    word) or each word from its window (``length`` steps per word). ``part`` "lstm" times only
    what the two contexts do differently: the next-word vector of each new word (one step from
    the carried state, or the whole last window), without the distribution and the pick."""
    import keras

    from lstmlab.models.generation import generate_ids
    from lstmlab.models.next_word import build_next_word_model
    from lstmlab.models.predictor import NumpyNextWordPredictor
    from lstmlab.models.settings import DecodingSettings, NextWordSettings

    keras.utils.set_random_seed(0)
    predictor = NumpyNextWordPredictor.from_model(build_next_word_model(vectors, NextWordSettings()))
    if part == "lstm":
        return timed_rates(lambda: _next_vectors(predictor, words, length, context), words, repeats)
    settings = DecodingSettings(method=method, context=context)
    return timed_rates(lambda: generate_ids(predictor, [0, 1, 2], words, length, settings), words, repeats)


def _next_vectors(predictor, words: int, length: int, context: str) -> None:
    """The next-word vector after each of ``words`` words of a fixed text, as generation gets
    them (:class:`models.generation.Contexts`, one sequence)."""
    from lstmlab.models.generation import Contexts

    ids = (np.arange(words + length) % len(predictor.output_vectors)).tolist()
    history = ids[:length]
    contexts = Contexts(predictor, [history], length, carried=context == "carried")
    for word in ids[length:]:
        contexts.vectors([history])
        history.append(word)
        contexts.extend([0], [word])
