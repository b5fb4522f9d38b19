"""The next-word model: numpy predictor == Keras, decoding, learning, resuming, both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from lstmlab.corpus.windows import split_windows
from lstmlab.models.decoding import NearestWords
from lstmlab.corpus.text import join_words
from lstmlab.models.generation import generate_ids
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.next_word import (CosineLogits, build_next_word_model, compile_next_word_model, load_next_word_model,
                               output_word_vectors, prediction_model)
from lstmlab.models.settings import NextWordSettings, TrainingSchedule
from lstmlab.models.training import train_next_word

VOCABULARY, DIMENSIONS, PERIOD = 40, 16, 23


def cyclic_stream(length: int = 3000) -> np.ndarray:
    """A stream where the next word is fully determined by the previous ones (period 23)."""
    cycle = np.random.default_rng(0).choice(VOCABULARY, PERIOD, replace=False)
    return np.resize(cycle, length).astype(np.int32)


def word_vectors(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(VOCABULARY, DIMENSIONS)).astype(np.float32)


@pytest.mark.parametrize("loss, every_position, layers, unroll, bias", [
    ("softmax", True, 1, False, False), ("softmax", False, 2, False, True),
    ("mse", False, 1, False, False), ("softmax", True, 2, False, False),
    ("softmax", True, 1, True, True), ("softmax", True, 1, False, True),
    ("mse", False, 1, True, False)])  # the last: the blog preset's model
def test_numpy_predictor_equals_keras(loss, every_position, layers, unroll, bias):
    keras.utils.set_random_seed(0)
    settings = NextWordSettings(loss=loss, lstm_units=24, every_position=every_position, lstm_layers=layers,
                                unroll=unroll, word_bias=bias)
    counts = np.random.default_rng(4).integers(0, 50, VOCABULARY)
    model = build_next_word_model(word_vectors(), settings, length=12, word_counts=counts)
    windows = np.random.default_rng(2).integers(0, VOCABULARY, size=(5, 12)).astype(np.int32)
    expected = prediction_model(model).predict(windows, verbose=0)
    predictor = NumpyNextWordPredictor.from_model(model)
    np.testing.assert_allclose(predictor.predict_vectors(windows), expected, atol=1e-5)
    if loss == "softmax":
        logits = model.predict(windows, verbose=0)
        logits = logits[:, -1] if every_position else logits
        cosines = NearestWords(output_word_vectors(model)).cosines(expected)
        # the biases start at the log of the add-one unigram probabilities of the counts
        word_bias = np.log((counts + 1) / (counts + 1).sum()) if bias else np.zeros(VOCABULARY)
        np.testing.assert_allclose(logits, 20.0 * cosines + word_bias, rtol=1e-4, atol=1e-4)
        # the model's distribution: a softmax of those logits, computed here independently
        expected_log_p = logits - np.log(np.exp(logits.astype(np.float64)).sum(axis=1, keepdims=True))
        np.testing.assert_allclose(predictor.log_probabilities(expected), expected_log_p, atol=1e-4)


def _plain_head_loss(vectors, words, log_scale, bias, targets) -> float:
    """Mean cross-entropy of ``exp(log_scale) * cos + bias`` logits, in float64 numpy."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    unit_words = words / np.linalg.norm(words, axis=1, keepdims=True)
    logits = np.exp(log_scale) * unit @ unit_words.T + bias
    logits -= logits.max(axis=1, keepdims=True)
    log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-log_probabilities[np.arange(len(targets)), targets].mean())


def _finite_difference(loss, value: np.ndarray, step: float = 1e-5) -> np.ndarray:
    gradient = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        shifted = [value.copy(), value.copy()]
        shifted[0][index] += step
        shifted[1][index] -= step
        gradient[index] = (loss(shifted[0]) - loss(shifted[1])) / (2 * step)
    return gradient


def test_cosine_head_gradients_equal_finite_differences_of_the_plain_formula():
    """The head computes its logits as one product with the scale and bias folded in; one SGD
    step at learning rate 1 moves each weight by minus its gradient, which must equal the
    finite differences of ``scale * cos + bias`` written plainly (float64)."""
    from lstmlab.models.next_word import CosineLogits

    rng = np.random.default_rng(3)
    rows, vocabulary, dimensions = 6, 7, 5
    vectors = rng.normal(size=(rows, dimensions))
    targets = rng.integers(vocabulary, size=rows)
    inputs = keras.Input((dimensions,))
    head = CosineLogits(vocabulary, dimensions, scale=3.0, word_bias=True)
    model = keras.Model(inputs, head(inputs))
    head.word_bias.assign(rng.normal(size=vocabulary).astype("float32"))
    words, bias = np.asarray(head.word_vectors, np.float64), np.asarray(head.word_bias, np.float64)
    log_scale = float(np.asarray(head.log_scale))
    model.compile(keras.optimizers.SGD(1.0), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.train_on_batch(vectors.astype("float32"), targets)
    expected = {
        "word_vectors": _finite_difference(lambda w: _plain_head_loss(vectors, w, log_scale, bias, targets), words),
        "word_bias": _finite_difference(lambda b: _plain_head_loss(vectors, words, log_scale, b, targets), bias),
        "log_scale": _finite_difference(
            lambda s: _plain_head_loss(vectors, words, float(s), bias, targets), np.array(log_scale)),
    }
    before = {"word_vectors": words, "word_bias": bias, "log_scale": log_scale}
    for name, gradient in expected.items():
        moved = before[name] - np.asarray(getattr(head, name), np.float64)
        np.testing.assert_allclose(moved, gradient, rtol=1e-3, atol=1e-5, err_msg=name)
    assert np.abs(expected["word_vectors"]).max() > 1e-3  # the check is not of zeros


def test_top_k_matches_brute_force():
    vectors = word_vectors()
    queries = np.random.default_rng(3).normal(size=(50, DIMENSIONS))
    decoder = NearestWords(vectors)
    brute = np.argsort(-decoder.cosines(queries), axis=1)[:, :5]
    np.testing.assert_array_equal(decoder.top_k(queries, 5, chunk=7), brute)


def test_join_words_writes_chinese_without_spaces():
    assert join_words(["宝玉", "笑", "道", "：", "hello", "world", "。"]) == "宝玉笑道：hello world。"


def _train(tmp_path, loss="softmax", epochs=6, callbacks=None, **options):
    ids = cyclic_stream()
    split = split_windows(len(ids), 8, 0.1, 0.05)
    settings = NextWordSettings(loss=loss, lstm_units=32, **{"learning_rate": 0.01, **options})
    schedule = TrainingSchedule(batch_size=32, epochs=epochs, metric_windows=200, rng_seed=3)
    return ids, split, train_next_word(ids, split, 8, word_vectors(), settings, schedule, tmp_path,
                                       extra_callbacks=callbacks, verbose=0)


def test_softmax_model_learns_a_deterministic_sequence(tmp_path):
    ids, split, (model, history) = _train(tmp_path)
    assert history["heldout_top1"][-1] > 0.95 and history["heldout_perplexity"][-1] < 1.2
    predictor = NumpyNextWordPredictor.from_model(model)
    generated = generate_ids(predictor, list(ids[:8]), PERIOD, window_length=8)
    assert generated == list(ids[8 : 8 + PERIOD])


def test_word_dropout_drops_whole_positions_and_leaves_prediction_alone():
    keras.utils.set_random_seed(0)
    settings = NextWordSettings(lstm_units=24, word_dropout=0.5, weight_dropout=0.3, unroll=True)
    model = build_next_word_model(word_vectors(), settings, length=12)
    dropped = np.asarray(model.get_layer("word_dropout")(np.ones((8, 12, DIMENSIONS), "float32"), training=True))
    per_position = dropped.reshape(-1, DIMENSIONS)
    assert set(np.unique(per_position).tolist()) == {0.0, 2.0}
    assert (per_position == per_position[:, :1]).all()  # a position keeps all of its vector or none
    assert 0.3 < (per_position[:, 0] == 0).mean() < 0.7
    windows = np.random.default_rng(2).integers(0, VOCABULARY, size=(5, 12)).astype(np.int32)
    np.testing.assert_allclose(NumpyNextWordPredictor.from_model(model).predict_vectors(windows),
                               prediction_model(model).predict(windows, verbose=0), atol=1e-5)


def test_regularised_carried_state_model_still_learns_a_deterministic_sequence(tmp_path):
    _, _, (_, history) = _train(tmp_path, epochs=8, carry_state=True, unroll=True, weight_dropout=0.2,
                                word_dropout=0.05)
    assert history["heldout_top1"][-1] > 0.9


def test_weight_dropout_without_the_fused_loop_is_refused():
    with pytest.raises(ValueError, match="train.weight_dropout needs train.unroll = true"):
        NextWordSettings(weight_dropout=0.2)


def test_mse_model_loss_falls(tmp_path):
    _, _, (_, history) = _train(tmp_path, loss="mse", epochs=3)
    assert history["loss"][-1] < 0.8 * history["loss"][0]


class _KillInEpoch(keras.callbacks.Callback):
    """Raises in the middle of the given epoch (0-based), as a killed process would stop."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.kill_epoch, self.current = epoch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):  # called every steps_per_execution batches
        if self.current == self.kill_epoch and batch >= 3:
            raise KeyboardInterrupt("killed")


class _RecordStart(keras.callbacks.Callback):
    """Records the epoch and optimizer step count at which training (re)starts."""

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self, "first_epoch"):
            self.first_epoch, self.iterations = epoch, int(self.model.optimizer.iterations)


def test_killed_training_resumes_from_last_finished_epoch(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, epochs=4, callbacks=[_KillInEpoch(2)])
    assert (tmp_path / "backup").is_dir()
    start = _RecordStart()
    ids, split, (model, history) = _train(tmp_path, epochs=4, callbacks=[start])
    steps_per_epoch = int(np.ceil(((split.validation_boundary - 1) // 8 - 1) / 32))  # 8-word sequences
    assert start.first_epoch == 2 and len(history["loss"]) == 4  # epochs 1 and 2 restored, history kept
    assert start.iterations == 2 * steps_per_epoch  # with the optimizer's state
    assert not (tmp_path / "backup").exists()


def test_a_kill_while_the_backup_is_written_leaves_the_last_complete_one(tmp_path, monkeypatch):
    """The second epoch's backup dies halfway through writing its weights (as under kill -9):
    the run started again resumes from the first epoch's backup. Keras' own BackupAndRestore
    wrote in place, and the next run could not open the half-written file."""
    save_weights, calls = keras.Model.save_weights, []

    def dies_halfway(model, filepath, *args, **kwargs):
        calls.append(filepath)
        if len(calls) == 2:
            Path(filepath).write_bytes(b"\x89HDF\r\n\x1a\n half a file")
            raise KeyboardInterrupt("killed while writing")
        return save_weights(model, filepath, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save_weights", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, epochs=3)
    monkeypatch.setattr(keras.Model, "save_weights", save_weights)
    assert sorted(path.name for path in (tmp_path / "backup").iterdir()) == ["latest.weights.h5",
                                                                              "training_metadata.json"]
    start = _RecordStart()
    _, _, (_, history) = _train(tmp_path, epochs=3, callbacks=[start])
    assert start.first_epoch == 1 and len(history["loss"]) == 3


class _KillAfterEpoch(keras.callbacks.Callback):
    """Raises once the given epoch (0-based) has ended and been backed up."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.kill_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.kill_epoch:
            raise KeyboardInterrupt("killed")


def test_killed_after_the_last_epoch_keeps_every_epoch_and_the_best_weights(tmp_path, caplog):
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path, epochs=3, callbacks=[_KillAfterEpoch(2)])
    best_before = json.loads((tmp_path / "best.json").read_text(encoding="utf-8"))
    ids, split, (model, history) = _train(tmp_path, epochs=3)
    assert len(history["loss"]) == 3 and len(history["heldout_perplexity"]) == 3
    assert min(history["heldout_perplexity"]) == pytest.approx(best_before["heldout_perplexity"])
    best = keras.saving.load_model(str(tmp_path / "best.keras"))
    scale = json.loads((tmp_path / "best.json").read_text(encoding="utf-8"))["scale"]
    for kept, saved in zip(model.weights, best.weights):
        if kept.name == "log_scale":  # the kept model carries the scale calibrated at the best epoch
            assert float(kept.numpy()) == pytest.approx(np.log(scale), rel=1e-6)
        else:
            np.testing.assert_array_equal(kept.numpy(), saved.numpy())
    assert not (tmp_path / "backup").exists()


def test_training_and_generation_run_under_jax(tmp_path):
    pytest.importorskip("jax")
    script = textwrap.dedent("""
        import numpy as np, keras
        from tests.test_next_word import _train, PERIOD
        from lstmlab.models.generation import generate_ids
        from lstmlab.models.predictor import NumpyNextWordPredictor
        from pathlib import Path
        import sys
        assert keras.backend.backend() == "jax"
        ids, split, (model, history) = _train(Path(sys.argv[1]), epochs=6)
        predictor = NumpyNextWordPredictor.from_model(model)
        print(history["heldout_top1"][-1], generate_ids(predictor, list(ids[:8]), PERIOD, 8) == list(ids[8:8 + PERIOD]))
    """)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env,
                          cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.returncode == 0, done.stderr[-2000:]
    accuracy, generated_correctly = done.stdout.split()[-2:]
    assert float(accuracy) > 0.95 and generated_correctly == "True"


def test_word_bias_trains_and_the_predictor_file_keeps_it(tmp_path):
    """The per-word biases start at log unigram probabilities, move with training, and the
    predictor saved to .npz and read back gives the same distribution as the Keras model."""
    keras.utils.set_random_seed(0)
    settings = NextWordSettings(lstm_units=16, word_bias=True)
    ids = cyclic_stream(200)
    counts = np.bincount(ids, minlength=VOCABULARY)
    model = build_next_word_model(word_vectors(), settings, word_counts=counts)
    initial = np.asarray(model.get_layer("cosine_logits").word_bias).copy()
    compile_next_word_model(model, settings, total_steps=10)
    windows = ids.reshape(-1, 10)
    model.fit(windows[:, :-1], windows[:, 1:], epochs=1, verbose=0)
    trained = np.asarray(model.get_layer("cosine_logits").word_bias)
    assert np.abs(trained - initial).max() > 1e-3
    NumpyNextWordPredictor.from_model(model).save(tmp_path / "p.npz", [str(i) for i in range(VOCABULARY)],
                                                  counts.tolist())
    predictor, _, _ = NumpyNextWordPredictor.load(tmp_path / "p.npz")
    np.testing.assert_array_equal(predictor.output_bias, trained)
    logits = model.predict(windows[:3, :-1], verbose=0)[:, -1].astype(np.float64)
    expected = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    vectors = predictor.predict_vectors(windows[:3, :-1])
    np.testing.assert_allclose(predictor.log_probabilities(vectors), expected, atol=1e-4)


def test_without_word_bias_the_head_has_no_bias_weight_and_saves_as_before(tmp_path):
    """``word_bias = false`` builds the head of models saved before biases existed: scale and
    vectors only, so such .keras files still load; the predictor's biases are zeros."""
    model = build_next_word_model(word_vectors(), NextWordSettings(lstm_units=8, word_bias=False),
                                  word_counts=np.arange(VOCABULARY))
    head = model.get_layer("cosine_logits")
    assert head.word_bias is None and [w.name for w in head.weights] == ["word_vectors", "log_scale"]
    model.save(tmp_path / "plain.keras")
    windows = cyclic_stream(30).reshape(3, 10)
    np.testing.assert_allclose(load_next_word_model(tmp_path / "plain.keras").predict(windows, verbose=0),
                               model.predict(windows, verbose=0), atol=1e-6)
    np.testing.assert_array_equal(NumpyNextWordPredictor.from_model(model).output_bias, np.zeros(VOCABULARY))


def test_the_cosine_head_has_a_finite_gradient_at_a_zero_vector():
    """An LSTM whose input and state are zero outputs h = 0, so the Dense before the cosine head
    outputs its bias, zero at the start: one compiled training step must leave every weight
    finite (with ``ops.norm(x) + eps`` every weight became NaN under XLA)."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    vector = keras.layers.Dense(DIMENSIONS, kernel_initializer="zeros", name="to_vector")(inputs)
    model = keras.Model(inputs, CosineLogits(VOCABULARY, DIMENSIONS, name="head")(vector))
    model.get_layer("head").word_vectors.assign(word_vectors())
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=True)
    model.train_on_batch(np.ones((8, 4), "float32"), np.arange(8))
    assert all(np.isfinite(np.array(weight)).all() for weight in model.get_weights())


def test_a_model_with_nan_logits_is_not_scored():
    """NaN logits compare false with everything, so each target's rank would come out 0 and a
    broken model would score top-1 100%."""
    keras.utils.set_random_seed(0)
    predictor = NumpyNextWordPredictor.from_model(build_next_word_model(word_vectors(), NextWordSettings(lstm_units=8)))
    windows = np.random.default_rng(2).integers(0, VOCABULARY, size=(5, 12)).astype(np.int32)
    assert np.isfinite(predictor.score_windows(windows[:, :-1], windows[:, -1]).perplexity)
    predictor.scale = float("nan")
    with pytest.raises(ValueError, match="logits are not finite"):
        predictor.score_windows(windows[:, :-1], windows[:, -1])


def test_training_that_diverges_stops_with_a_clear_error(tmp_path):
    from lstmlab.models.callbacks import TrainingDiverged

    with pytest.raises(TrainingDiverged, match="training diverged"):
        _train(tmp_path, epochs=1, optimizer="sgd", learning_rate=1e38, learning_rate_decay="none")
