"""An LSTM whose backward pass is written by hand: Keras' LSTM layer with its own training loop,
for windows of a fixed length (its speed against Keras' loop, measured, is in docs/performance.md).

On a CPU Keras never reaches a fused LSTM kernel: it steps ``LSTMCell`` and lets autodiff
differentiate every step, so each of the T steps costs six small matrix products (two forward,
four backward) and dozens of small operations. :func:`lstm_sequence` computes the same function
with a custom gradient (``keras.ops.custom_gradient``, so it runs on TensorFlow and JAX):

* forward, the input projection of all T steps is one (B x T, D) x (D, 4H) product; each step
  then adds ``h @ recurrent_kernel`` and applies the gates;
* backward, each step needs one product (the gradient flowing to the previous h) and a few
  elementwise operations (the factors that do not depend on the gradient flowing back are
  computed for all steps at once); the kernel, recurrent kernel and bias gradients are one
  product (or sum) over all steps at the end.

:class:`FusedLSTM` is ``keras.layers.LSTM`` with this loop in place of its own: the same
weights, names, saved form and dropout masks, the same outputs and gradients (tested against
the plain layer on both backends). It takes the loop only where it applies (fixed number of
steps, no mask, no recurrent dropout, forwards, the default activations) and hands anything
else to the plain layer; where the backend has its own fused kernel (cuDNN on a GPU) that is
used first, as the plain layer does.

``weight_dropout`` is AWD-LSTM's weight drop (DropConnect on the recurrent kernel): in training,
each batch multiplies the recurrent kernel by one dropout mask (kept entries scaled by
1 / (1 - rate)) that every step of every sequence shares. It needs the fused loop.
"""

from __future__ import annotations

import keras
from keras import ops
from keras.src import backend as keras_backend  # its lstm(): the backend's fused kernel, where it has one


def lstm_sequence(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias):
    """Run an LSTM (gates in Keras' order i, f, c, o; sigmoid gates, tanh cell) over ``inputs``.

    Takes inputs (B, T, D) with a static T, the initial state h and c (B, H), kernel (D, 4H),
    recurrent_kernel (H, 4H) and bias (4H,). Returns the hidden states of every step (B, T, H)
    and the last cell state (B, H). Its gradient is computed by :func:`_lstm_backward`.
    """
    # weights as tensors (a read of each variable), so TensorFlow's tape carries their gradients
    # through the custom gradient rather than asking it for the variables'
    weights = [ops.copy(weight) for weight in (kernel, recurrent_kernel, bias)]
    return _lstm_with_gradient(inputs, initial_h, initial_c, *weights)


@ops.custom_gradient
def _lstm_with_gradient(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias):
    units = recurrent_kernel.shape[0]
    time_major = ops.transpose(inputs, (1, 0, 2))  # (T, B, D)
    projected = ops.unstack(ops.matmul(time_major, kernel) + bias)  # T x (B, 4H): every step's input part at once
    h, c = initial_h, initial_c
    hidden, cells, sigmoids, candidates, tanh_cells = [], [c], [], [], []
    for step_input in projected:
        z = step_input + ops.matmul(h, recurrent_kernel)
        gate = ops.sigmoid(z)  # i, f and o are its quarters 0, 1 and 3 (quarter 2 is not used)
        candidate = ops.tanh(z[:, 2 * units : 3 * units])
        c = gate[:, units : 2 * units] * c + gate[:, :units] * candidate
        tanh_c = ops.tanh(c)
        h = gate[:, 3 * units :] * tanh_c
        hidden.append(h)
        cells.append(c)
        sigmoids.append(gate)
        candidates.append(candidate)
        tanh_cells.append(tanh_c)
    outputs = ops.stack(hidden, axis=1)

    def gradient(*args, upstream=None):
        if upstream is None:  # TensorFlow passes one gradient per output, JAX one tuple of both
            upstream = args[0] if len(args) == 1 else args
        saved = [ops.stack(values) for values in (cells[:-1], sigmoids, candidates, tanh_cells)]
        return _lstm_backward(upstream, time_major, initial_h, hidden, saved, kernel, recurrent_kernel)

    return (outputs, c), gradient


def _lstm_backward(upstream, time_major, initial_h, hidden, saved, kernel, recurrent_kernel):
    """Backpropagation through time for :func:`lstm_sequence`.

    ``upstream`` holds the gradients of the outputs: every step's h (B, T, H) and the last c
    (B, H); ``time_major`` is the inputs (T, B, D); ``saved`` the forward pass's (T, B, .)
    stacks: the cell state each step started from, the sigmoids of all four gate quarters,
    the candidate (tanh) and tanh of the new cell state. Every factor that does not depend
    on the gradient flowing back is computed for all steps at once, so each step costs one
    product and a few elementwise operations. Returns the gradients of inputs (B, T, D),
    initial h and c (B, H), kernel (D, 4H), recurrent kernel (H, 4H) and bias (4H,)."""
    previous_c, gate, candidate, tanh_c = saved
    units = initial_h.shape[-1]
    i, f, o = gate[..., :units], gate[..., units : 2 * units], gate[..., 3 * units :]
    cell_from_h = o * (1.0 - tanh_c * tanh_c)  # d c / d h through h = o tanh(c)
    # d z / d(c, c, c, h) per quarter: the four gates' pre-activation derivatives
    gate_factors = ops.unstack(ops.concatenate(
        [candidate * i * (1.0 - i), previous_c * f * (1.0 - f), i * (1.0 - candidate * candidate),
         tanh_c * o * (1.0 - o)], axis=-1))
    cell_from_h, forget = ops.unstack(cell_from_h), ops.unstack(f)
    hidden_upstream, last_cell_upstream = upstream
    hidden_upstream = ops.unstack(ops.transpose(hidden_upstream, (1, 0, 2)))  # T x (B, H)
    dh, dc = ops.zeros_like(initial_h), last_cell_upstream
    dz_by_step = []
    for step in reversed(range(len(gate_factors))):
        dh = dh + hidden_upstream[step]
        dc = dc + dh * cell_from_h[step]
        dz = ops.concatenate([dc, dc, dc, dh], axis=-1) * gate_factors[step]
        dz_by_step.append(dz)
        dc = dc * forget[step]
        dh = ops.matmul(dz, ops.transpose(recurrent_kernel))
    dz_all = ops.reshape(ops.stack(dz_by_step[::-1]), (-1, 4 * units))  # (T x B, 4H)
    previous_h = ops.reshape(ops.stack([initial_h] + hidden[:-1]), (-1, units))  # the h each step started from
    d_kernel = ops.matmul(ops.transpose(ops.reshape(time_major, (-1, time_major.shape[-1]))), dz_all)
    d_recurrent = ops.matmul(ops.transpose(previous_h), dz_all)
    d_inputs = ops.reshape(ops.matmul(dz_all, ops.transpose(kernel)), ops.shape(time_major))
    return ops.transpose(d_inputs, (1, 0, 2)), dh, dc, d_kernel, d_recurrent, ops.sum(dz_all, axis=0)


@keras.saving.register_keras_serializable(package="lstmlab")
class FusedLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` that trains through :func:`lstm_sequence` where it can (see the
    module's docstring); its weights, config and outputs are the plain layer's, plus
    ``weight_dropout`` (the module's docstring)."""

    def __init__(self, units, weight_dropout: float = 0.0, **kwargs):
        super().__init__(units, **kwargs)
        if not 0.0 <= weight_dropout < 1.0:
            raise ValueError(f"weight_dropout must be in [0, 1), got {weight_dropout}")
        self.weight_dropout = float(weight_dropout)

    def get_config(self) -> dict:
        return {**super().get_config(), "weight_dropout": self.weight_dropout}

    def fuses(self, sequences, mask) -> bool:
        """True when :func:`lstm_sequence` computes what the plain layer would for ``sequences``."""
        cell = self.cell
        return (mask is None and sequences.shape[1] is not None and not cell.recurrent_dropout
                and not self.go_backwards and cell.use_bias
                and cell.activation is keras.activations.tanh and cell.recurrent_activation is keras.activations.sigmoid)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not self.fuses(sequences, mask):
            if training and self.weight_dropout:
                raise ValueError(f"{self.name}: weight_dropout needs the fused loop (a fixed length, no mask, "
                                 "no recurrent dropout, the default activations)")
            return super().inner_loop(sequences, initial_state, mask, training=training)
        if training and self.dropout:  # the cell's mask, one per sequence, the same at every step
            sequences = sequences * ops.expand_dims(self.cell.get_dropout_mask(sequences[:, 0, :]), axis=1)
        cell = self.cell
        recurrent_kernel = cell.recurrent_kernel
        if training and self.weight_dropout:  # one mask per batch, shared by every step
            recurrent_kernel = keras.random.dropout(ops.convert_to_tensor(recurrent_kernel), self.weight_dropout,
                                                   seed=cell.seed_generator)
        try:  # the backend's own fused kernel (cuDNN on a GPU) where it has one
            out = keras_backend.lstm(
                sequences, initial_state[0], initial_state[1], None, kernel=cell.kernel,
                recurrent_kernel=recurrent_kernel, bias=cell.bias, activation=cell.activation,
                recurrent_activation=cell.recurrent_activation, return_sequences=self.return_sequences,
                go_backwards=False, unroll=self.unroll)
            if keras_backend.backend() == "tensorflow":
                self.supports_jit = False  # cuDNN ops do not compile with XLA (as the plain layer says)
            return out
        except NotImplementedError:
            pass
        outputs, last_cell = lstm_sequence(sequences, initial_state[0], initial_state[1], cell.kernel,
                                           recurrent_kernel, cell.bias)
        return outputs[:, -1], outputs, [outputs[:, -1], last_cell]
