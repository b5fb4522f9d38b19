"""The fused LSTM equals Keras' LSTM layer: outputs and every gradient, on either backend."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lstmlab.models.fused_lstm import FusedLSTM
from lstmlab.models.next_word import build_next_word_model, compile_next_word_model, jit_compile_setting
from lstmlab.models.settings import NextWordSettings

STEPS, FEATURES, UNITS, BATCH = 7, 5, 6, 4


def _model(layer_class, return_sequences: bool, dropout: float = 0.0, **layer_options) -> keras.Model:
    """Dense (so the inputs' gradient matters) -> the LSTM -> a Dense to 3 outputs."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((STEPS, FEATURES))
    hidden = keras.layers.Dense(FEATURES, name="before")(inputs)
    hidden = layer_class(UNITS, return_sequences=return_sequences, dropout=dropout, name="lstm",
                         **layer_options)(hidden)
    return keras.Model(inputs, keras.layers.Dense(3, name="after")(hidden))


def _one_sgd_step(model: keras.Model, inputs: np.ndarray, targets: np.ndarray) -> list[np.ndarray]:
    """Minus the gradient of every weight: its change after one SGD step at learning rate 1."""
    before = [np.array(weight) for weight in model.get_weights()]
    model.compile(keras.optimizers.SGD(1.0), "mse")
    model.train_on_batch(inputs, targets)
    return [old - np.array(new) for old, new in zip(before, model.get_weights())]


@pytest.mark.parametrize("return_sequences", [True, False])
def test_outputs_and_gradients_equal_the_plain_layer(return_sequences):
    rng = np.random.default_rng(1)
    inputs = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    plain, fused = _model(keras.layers.LSTM, return_sequences), _model(FusedLSTM, return_sequences)
    fused.set_weights(plain.get_weights())
    np.testing.assert_allclose(fused.predict(inputs, verbose=0), plain.predict(inputs, verbose=0), atol=1e-6)
    targets = rng.normal(size=plain.output.shape[1:]).astype("float32")[None].repeat(BATCH, axis=0)
    plain_steps, fused_steps = _one_sgd_step(plain, inputs, targets), _one_sgd_step(fused, inputs, targets)
    names = [weight.path for weight in plain.weights]
    for name, expected, got in zip(names, plain_steps, fused_steps):
        assert np.abs(expected).max() > 1e-4, name  # every weight has a gradient to compare
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6, err_msg=name)


def test_dropout_uses_the_cells_mask_so_training_outputs_match_too():
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    outputs = []
    for layer_class in (keras.layers.LSTM, FusedLSTM):
        keras.utils.set_random_seed(3)
        layer = layer_class(UNITS, dropout=0.5, return_sequences=True)
        layer.build((None, STEPS, FEATURES))
        layer.set_weights([np.full_like(np.array(w), 0.1) for w in layer.get_weights()])
        outputs.append(np.asarray(layer(inputs, training=True)))
    np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-6)
    assert not np.allclose(outputs[0], np.asarray(layer(inputs, training=False)))  # dropout did drop


def test_weight_dropout_is_one_mask_on_the_recurrent_kernel_for_the_whole_batch():
    """One SGD step with the recurrent kernel U dropped to U' = U * M / (1 - r): the dropped
    entries get no gradient at all (M is the same at every step and for every sequence), and
    every other weight moves as a plain LSTM's whose recurrent kernel is U' (times M / (1 - r)
    for U)."""
    rate = 0.5
    rng = np.random.default_rng(5)
    inputs = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    targets = rng.normal(size=(BATCH, STEPS, 3)).astype("float32")
    dropped = _model(FusedLSTM, True, weight_dropout=rate)
    weights = [np.array(weight) for weight in dropped.get_weights()]
    names = [weight.path for weight in dropped.weights]
    recurrent = next(index for index, name in enumerate(names) if name.endswith("recurrent_kernel"))
    inference = dropped.predict(inputs, verbose=0)  # nothing dropped outside training
    np.testing.assert_allclose(inference, _predict_with(weights, inputs), atol=1e-6)
    steps = _one_sgd_step(dropped, inputs, targets)
    kept = steps[recurrent] != 0
    assert 0.3 < 1 - kept.mean() < 0.7  # about half the entries dropped
    assert all((step != 0).all() for index, step in enumerate(steps) if index != recurrent)
    plain = _model(keras.layers.LSTM, True)
    plain.set_weights([weight * kept / (1 - rate) if index == recurrent else weight
                       for index, weight in enumerate(weights)])
    expected = _one_sgd_step(plain, inputs, targets)
    expected[recurrent] = expected[recurrent] * kept / (1 - rate)
    for name, want, got in zip(names, expected, steps):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6, err_msg=name)


def _predict_with(weights: list[np.ndarray], inputs: np.ndarray) -> np.ndarray:
    plain = _model(keras.layers.LSTM, True)
    plain.set_weights(weights)
    return plain.predict(inputs, verbose=0)


def test_weight_dropout_is_saved_and_needs_the_fused_loop(tmp_path):
    model = _model(FusedLSTM, False, weight_dropout=0.25)
    model.save(tmp_path / "dropped.keras")
    assert keras.saving.load_model(tmp_path / "dropped.keras").get_layer("lstm").weight_dropout == 0.25
    layer = FusedLSTM(UNITS, weight_dropout=0.25)
    with pytest.raises(ValueError, match="weight_dropout needs the fused loop"):
        layer(np.zeros((BATCH, STEPS, FEATURES), dtype="float32"), mask=np.ones((BATCH, STEPS), dtype=bool),
              training=True)
    with pytest.raises(ValueError, match=r"weight_dropout must be in \[0, 1\)"):
        FusedLSTM(UNITS, weight_dropout=1.0)


def test_what_it_cannot_fuse_goes_to_the_plain_loop():
    layer = FusedLSTM(UNITS, recurrent_dropout=0.1)
    inputs = np.zeros((BATCH, STEPS, FEATURES), dtype="float32")
    assert not layer.fuses(inputs, None)
    assert not FusedLSTM(UNITS).fuses(inputs, np.ones((BATCH, STEPS), dtype=bool))
    assert FusedLSTM(UNITS).fuses(inputs, None)
    assert layer(inputs).shape == (BATCH, UNITS)


def test_saved_and_loaded_as_itself(tmp_path):
    model = _model(FusedLSTM, return_sequences=False)
    model.save(tmp_path / "fused.keras")
    loaded = keras.saving.load_model(tmp_path / "fused.keras")
    assert isinstance(loaded.get_layer("lstm"), FusedLSTM)
    inputs = np.random.default_rng(4).normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    np.testing.assert_allclose(loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0), atol=1e-6)


@pytest.mark.parametrize("xla, unroll, expected", [
    ("auto", True, keras.backend.backend() == "tensorflow" or "auto"), ("auto", False, "auto"),
    ("on", False, True), ("off", True, False)])
def test_xla_setting_resolves_to_keras_jit_compile(xla, unroll, expected):
    assert jit_compile_setting(NextWordSettings(xla=xla, unroll=unroll)) == expected


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="XLA on/off is a TensorFlow choice")
def test_training_steps_with_and_without_xla_give_the_same_weights():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    ids = rng.integers(0, 30, size=(40, 6)).astype(np.int32)
    targets = vectors[rng.integers(0, 30, size=40)]
    trained = []
    for xla in ("on", "off"):
        settings = NextWordSettings(loss="mse", every_position=False, lstm_units=12, dropout=0.0, unroll=True,
                                    optimizer="sgd", learning_rate=0.1, learning_rate_decay="none", xla=xla)
        keras.utils.set_random_seed(0)
        model = build_next_word_model(vectors, settings, length=6)
        compile_next_word_model(model, settings, steps_per_execution=2)
        assert model.jit_compile == (xla == "on")
        model.fit(ids, targets, batch_size=10, epochs=2, shuffle=False, verbose=0)
        trained.append(model.get_weights())
    for with_xla, without in zip(*trained):
        np.testing.assert_allclose(with_xla, without, atol=1e-5)
