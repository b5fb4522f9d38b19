"""The small demos in numpy only, trained with the hand-written backward passes.

* :class:`NumpyAdderRNN` — iamtrask's binary adder, in Python 3 and batched: a sigmoid RNN
  with no biases, trained by backpropagation through time.
* :func:`train_numpy_sequence` — nicodjimenez's first-unit LSTM (next prime, repeat toy) on
  :class:`models.numpy_lstm.NumpyLSTM`.

Same settings as the Keras ports in :mod:`models.demos.adder` and :mod:`models.demos.primes`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from lstmlab.models.demos.binary import addition_examples, from_bits, random_sums
from lstmlab.models.numpy_lstm import NumpyLSTM, sigmoid


class NumpyAdderRNN:
    """h_t = σ(x_t W_in + h_{t-1} W_h), y_t = σ(h_t W_out); no biases, weights uniform in [-1, 1)."""

    def __init__(self, hidden: int = 16, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.w_in = rng.uniform(-1, 1, (2, hidden))
        self.w_h = rng.uniform(-1, 1, (hidden, hidden))
        self.w_out = rng.uniform(-1, 1, (hidden, 1))

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x (B, T, 2) -> outputs (B, T, 1) and hidden states (B, T+1, H) with zeros first."""
        batch, steps, _ = x.shape
        hidden = np.zeros((batch, steps + 1, self.w_h.shape[0]))
        for t in range(steps):
            hidden[:, t + 1] = sigmoid(x[:, t] @ self.w_in + hidden[:, t] @ self.w_h)
        return sigmoid(hidden[:, 1:] @ self.w_out), hidden

    def train_step(self, x: np.ndarray, y: np.ndarray, learning_rate: float) -> float:
        """One SGD step on the batch mean of 0.5 * Σ_t (y - out)^2; returns that loss before the step."""
        batch, steps, _ = x.shape
        out, hidden = self.forward(x)
        d_out = (out - y) * out * (1 - out) / batch  # through the output sigmoid
        grad_out = np.einsum("bth,bto->ho", hidden[:, 1:], d_out)
        grad_in, grad_h = np.zeros_like(self.w_in), np.zeros_like(self.w_h)
        d_next = np.zeros((batch, self.w_h.shape[0]))
        for t in reversed(range(steps)):
            h = hidden[:, t + 1]
            d_pre = (d_out[:, t] @ self.w_out.T + d_next @ self.w_h.T) * h * (1 - h)
            grad_in += x[:, t].T @ d_pre
            grad_h += hidden[:, t].T @ d_pre
            d_next = d_pre
        for weight, grad in ((self.w_in, grad_in), (self.w_h, grad_h), (self.w_out, grad_out)):
            weight -= learning_rate * grad
        return float(0.5 * np.sum((y - out) ** 2) / batch)

    def accuracy(self, a: np.ndarray, b: np.ndarray, bits: int) -> float:
        """Exact-match accuracy of the predicted sums."""
        inputs, _ = addition_examples(a, b, bits)
        return float(np.mean(from_bits(self.forward(inputs)[0][..., 0]) == a + b))


def train_numpy_adder(steps: int, batch_size: int, learning_rate: float, seed: int = 0, bits: int = 8,
                      report_every: int = 1000, report: Callable | None = None) -> NumpyAdderRNN:
    """Train on ``steps`` batches of random sums; ``report(step, loss)`` every ``report_every`` steps."""
    model = NumpyAdderRNN(seed=seed)
    rng = np.random.default_rng(seed + 1)
    for step in range(1, steps + 1):
        inputs, targets = addition_examples(*random_sums(batch_size, bits, rng), bits)
        loss = model.train_step(inputs, targets, learning_rate)
        if report and step % report_every == 0:
            report(step, loss)
    return model


def first_unit_loss(lstm: NumpyLSTM, inputs: np.ndarray, targets: np.ndarray):
    """Σ_t (h_t[0] - target_t)^2 for inputs (1, T, D), targets (1, T); returns (loss, dh_seq, cache)."""
    h_seq, cache = lstm.forward(inputs)
    error = h_seq[..., 0] - targets
    dh_seq = np.zeros_like(h_seq)
    dh_seq[..., 0] = 2 * error
    return float(np.sum(error**2)), dh_seq, cache


def train_numpy_sequence(inputs: np.ndarray, targets: np.ndarray, cells: int, learning_rate: float,
                         iterations: int, seed: int = 0, report_every: int = 1000,
                         report: Callable | None = None) -> tuple[NumpyLSTM, list[float]]:
    """Plain SGD on one sequence; weights and biases start uniform in [-0.1, 0.1) as in the blog.

    Returns the LSTM and the loss before each step plus the final loss (``iterations + 1``
    values); ``report(iteration, loss, predictions (T,))`` as in :func:`models.demos.primes.train_sequence`.
    """
    rng = np.random.default_rng(seed)
    dims = inputs.shape[-1]
    lstm = NumpyLSTM(rng.uniform(-0.1, 0.1, (dims, 4 * cells)), rng.uniform(-0.1, 0.1, (cells, 4 * cells)),
                     rng.uniform(-0.1, 0.1, 4 * cells))
    inputs = inputs.astype(np.float64)
    losses = []
    for iteration in range(iterations + 1):
        loss, dh_seq, cache = first_unit_loss(lstm, inputs, targets)
        losses.append(loss)
        if report and (iteration % report_every == 0 or iteration == iterations):
            report(iteration, loss, cache.h[1:, 0, 0])
        if iteration == iterations:
            break
        grads = lstm.backward(dh_seq, cache)
        lstm.kernel -= learning_rate * grads["kernel"]
        lstm.recurrent_kernel -= learning_rate * grads["recurrent_kernel"]
        lstm.bias -= learning_rate * grads["bias"]
    return lstm, losses
