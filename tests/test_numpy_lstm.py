"""The numpy LSTM: gradients against finite differences (float64), outputs and gradients
against Keras and its backend's autodiff (float32)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lstmlab.models.numpy_lstm import NumpyLSTM
from tests.gradcheck import numeric_gradient

D, H, B, T = 3, 4, 2, 5


def random_lstm(rng, dtype=np.float64, scale=0.5):
    return NumpyLSTM((rng.normal(size=(D, 4 * H)) * scale).astype(dtype),
                     (rng.normal(size=(H, 4 * H)) * scale).astype(dtype),
                     (rng.normal(size=4 * H) * scale).astype(dtype))


def test_gradients_match_central_finite_differences():
    rng = np.random.default_rng(0)
    lstm = random_lstm(rng)
    x, h0, c0 = rng.normal(size=(B, T, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    weights_on_h, weight_on_c_last = rng.normal(size=(B, T, H)), rng.normal(size=(B, H))

    def loss() -> float:
        h_seq, cache = lstm.forward(x, h0, c0)
        return float(np.sum(h_seq * weights_on_h) + np.sum(cache.c[-1] * weight_on_c_last))

    h_seq, cache = lstm.forward(x, h0, c0)
    grads = lstm.backward(weights_on_h, cache, dc_last=weight_on_c_last)
    arrays = {"kernel": lstm.kernel, "recurrent_kernel": lstm.recurrent_kernel, "bias": lstm.bias,
              "x": x, "h0": h0, "c0": c0}
    for name, array in arrays.items():
        numeric = numeric_gradient(loss, array)
        relative = np.abs(numeric - grads[name]).max() / np.abs(numeric).max()
        assert relative < 1e-6, f"{name}: relative error {relative:.2e}"


def test_dh_last_equals_adding_to_the_last_output_gradient():
    rng = np.random.default_rng(1)
    lstm = random_lstm(rng)
    x = rng.normal(size=(B, T, D))
    _, cache = lstm.forward(x)
    extra = rng.normal(size=(B, H))
    dh_seq = np.zeros((B, T, H))
    via_last = lstm.backward(dh_seq, cache, dh_last=extra)
    dh_seq[:, -1] = extra
    via_seq = lstm.backward(dh_seq, cache)
    for name in via_last:
        np.testing.assert_allclose(via_last[name], via_seq[name], rtol=1e-12, atol=1e-12)


def test_float32_stays_float32():
    lstm = random_lstm(np.random.default_rng(2), dtype=np.float32)
    h_seq, cache = lstm.forward(np.ones((B, T, D)))
    assert h_seq.dtype == np.float32
    assert lstm.backward(np.ones_like(h_seq), cache)["kernel"].dtype == np.float32


def test_bad_weight_shapes_are_rejected():
    with pytest.raises(ValueError, match="inconsistent LSTM weights"):
        NumpyLSTM(np.zeros((3, 16)), np.zeros((4, 12)), np.zeros(16))


def keras_gradients(layer, x, weights_on_h):
    """Gradients of sum(layer(x) * weights_on_h) w.r.t. kernel, recurrent kernel, bias and x,
    by the active backend's automatic differentiation."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x_tensor = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x_tensor)
            loss = tf.reduce_sum(layer(x_tensor) * weights_on_h)
        grads = tape.gradient(loss, [*layer.trainable_variables, x_tensor])
        return [np.asarray(g) for g in grads]
    if backend == "jax":
        import jax

        frozen = [v.value for v in layer.non_trainable_variables]

        def loss(variables, inputs):
            outputs, _ = layer.stateless_call(variables, frozen, inputs)
            return (outputs * weights_on_h).sum()

        variables = [v.value for v in layer.trainable_variables]
        grad_vars, grad_x = jax.grad(loss, argnums=(0, 1))(variables, x)
        return [*map(np.asarray, grad_vars), np.asarray(grad_x)]
    pytest.skip(f"no autodiff helper for backend {backend}")


def test_equal_to_keras_outputs_and_gradients_float32():
    rng = np.random.default_rng(3)
    layer = keras.layers.LSTM(H, return_sequences=True, bias_initializer="random_normal",
                              unit_forget_bias=False)
    x = rng.normal(size=(B, T, D)).astype(np.float32)
    expected = np.asarray(layer(x))
    lstm = NumpyLSTM.from_keras(layer)
    h_seq, cache = lstm.forward(x)
    np.testing.assert_allclose(h_seq, expected, atol=1e-5)

    weights_on_h = rng.normal(size=(B, T, H)).astype(np.float32)
    grads = lstm.backward(weights_on_h, cache)
    for name, keras_grad in zip(["kernel", "recurrent_kernel", "bias", "x"], keras_gradients(layer, x, weights_on_h)):
        np.testing.assert_allclose(grads[name], keras_grad, atol=1e-4, rtol=1e-4, err_msg=name)
