r"""A from-scratch LSTM in numpy: batched forward pass and full backpropagation through time.

Weights use Keras' layout, so a trained ``keras.layers.LSTM`` can be loaded and checked::

    >>> rng = np.random.default_rng(0)
    >>> lstm = NumpyLSTM(rng.normal(size=(3, 8)), rng.normal(size=(2, 8)), np.zeros(8))   # D=3, H=2
    >>> h_seq, cache = lstm.forward(rng.normal(size=(4, 5, 3)))      # x (B, T, D) -> h_seq (B, T, H)
    >>> h_seq.shape
    (4, 5, 2)
    >>> grads = lstm.backward(np.ones_like(h_seq), cache)            # ∂(Σ h_seq)/∂ each weight and input
    >>> sorted((name, grad.shape) for name, grad in grads.items())
    [('bias', (8,)), ('c0', (4, 2)), ('h0', (4, 2)), ('kernel', (3, 8)), ('recurrent_kernel', (2, 8)), ('x', (4, 5, 3))]

``NumpyLSTM.from_keras(layer)`` copies a built ``keras.layers.LSTM``.

Forward pass
------------
With ``kernel`` W (D, 4H), ``recurrent_kernel`` U (H, 4H), ``bias`` b (4H,) and the gate blocks
in Keras' order i, f, c, o, each step t computes::

    z_t = x_t W + h_{t-1} U + b                         (B, 4H), split into z_i, z_f, z_g, z_o
    i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
    c_t = f ⊙ c_{t-1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)

(The blog's code wrote ``h = s * o`` without the tanh; Keras and most papers use the tanh.)

Backward pass
-------------
Let the loss L depend on every h_t. Going back from t = T-1 to 0 we carry two gradients
from the future, ``dh_next = ∂L/∂h_t`` through h_{t+1}'s use of h_t, and
``dc_next = ∂L/∂c_t`` through c_{t+1}'s use of c_t (both zero, or ``dh_last`` / ``dc_last``,
after the last step). At step t:

1. ``dh = dh_seq[t] + dh_next`` — h_t feeds the output at t and the next step.
2. Through ``h_t = o ⊙ tanh(c_t)``: ``do = dh ⊙ tanh(c_t)`` and
   ``dc = dc_next + dh ⊙ o ⊙ (1 - tanh²(c_t))``.
3. Through ``c_t = f ⊙ c_{t-1} + i ⊙ g``: ``di = dc ⊙ g``, ``dg = dc ⊙ i``,
   ``df = dc ⊙ c_{t-1}``, and the carry ``dc_next = dc ⊙ f`` for step t-1.
4. Through the nonlinearities (σ' = σ(1-σ), tanh' = 1 - tanh²):
   ``dz_i = di ⊙ i(1-i)``, ``dz_f = df ⊙ f(1-f)``, ``dz_g = dg ⊙ (1-g²)``, ``dz_o = do ⊙ o(1-o)``;
   ``dz = [dz_i, dz_f, dz_g, dz_o]`` (B, 4H).
5. Through ``z_t = x_t W + h_{t-1} U + b``: accumulate ``dW += x_tᵀ dz``, ``dU += h_{t-1}ᵀ dz``,
   ``db += Σ_batch dz``; and ``dx_t = dz Wᵀ``, ``dh_next = dz Uᵀ`` for step t-1.

After step 0, ``dh_next`` and ``dc_next`` are the gradients for h0 and c0. Parameter
gradients are sums over time and batch because the same W, U, b serve every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function of each element, in ``z``'s dtype: scipy's ``expit``, which neither
    overflows for large negative inputs nor splits the array by sign."""
    return expit(z)


def lstm_gates(z: np.ndarray, units: int) -> np.ndarray:
    """The four gates' activations from their pre-activations ``z`` (B, 4H), in Keras' order
    i, f, g, o: sigmoid of quarters 0, 1 and 3, tanh of quarter 2. Overwrites ``z`` and returns it.

    One exponential serves all four quarters: tanh(x) = 2 sigmoid(2x) - 1, and sigmoid(x) =
    1 / (1 + exp(-x)) computed in place (exp(-x) may overflow to inf, giving the exact limit 0).
    The same values as ``expit`` and ``np.tanh`` to within a few float32 ulps, in one pass
    instead of three::

        >>> z = np.array([[-100.0, -1.0, 0.5, 3.0]])
        >>> bool(np.allclose(lstm_gates(z.copy(), 1), [expit(-100.0), expit(-1.0), np.tanh(0.5), expit(3.0)]))
        True
    """
    candidate = z[:, 2 * units : 3 * units]
    candidate *= 2
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    candidate *= 2
    candidate -= 1
    return z


@dataclass
class LSTMCache:
    """What the backward pass needs from a forward pass; arrays are stacked over time.

    ``x`` (B, T, D); ``gates`` (T, B, 4H) holding i, f, g, o after their activations;
    ``c`` (T+1, B, H) and ``h`` (T+1, B, H) with the initial states at index 0.
    """

    x: np.ndarray
    gates: np.ndarray
    c: np.ndarray
    h: np.ndarray


class NumpyLSTM:
    """An LSTM layer with Keras' weight layout (gates i, f, c, o), in numpy.

    ``kernel`` (D, 4H), ``recurrent_kernel`` (H, 4H), ``bias`` (4H,); the dtype of ``kernel``
    (float32 or float64) is the dtype of every computation.
    """

    def __init__(self, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> None:
        kernel, recurrent_kernel, bias = map(np.asarray, (kernel, recurrent_kernel, bias))
        units = recurrent_kernel.shape[0]
        if recurrent_kernel.shape != (units, 4 * units) or kernel.shape[1] != 4 * units or bias.shape != (4 * units,):
            raise ValueError(
                f"inconsistent LSTM weights: kernel {kernel.shape}, recurrent_kernel "
                f"{recurrent_kernel.shape}, bias {bias.shape}; expected (D, 4H), (H, 4H), (4H,)"
            )
        self.dtype = kernel.dtype
        self.kernel = kernel
        self.recurrent_kernel = recurrent_kernel.astype(self.dtype)
        self.bias = bias.astype(self.dtype)
        self.units = units

    @classmethod
    def from_keras(cls, layer) -> "NumpyLSTM":
        """Copy the weights of a built ``keras.layers.LSTM`` (sigmoid gates, tanh activations)."""
        cell = getattr(layer, "cell", layer)
        if not getattr(cell, "use_bias", True):
            raise ValueError("NumpyLSTM needs an LSTM with use_bias=True")
        names = (getattr(cell.activation, "__name__", ""), getattr(cell.recurrent_activation, "__name__", ""))
        if names != ("tanh", "sigmoid"):
            raise ValueError(f"NumpyLSTM supports activation tanh and recurrent_activation sigmoid, got {names}")
        kernel, recurrent_kernel, bias = (np.asarray(w) for w in cell.get_weights())
        return cls(kernel, recurrent_kernel, bias)

    def _zeros(self, batch: int) -> np.ndarray:
        return np.zeros((batch, self.units), dtype=self.dtype)

    def step(self, x_t: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One time step: x_t (B, D), h and c (B, H) -> (h_next, c_next, gates (B, 4H))."""
        return self.step_projected(x_t @ self.kernel + self.bias, h, c)

    def step_projected(self, projected: np.ndarray, h: np.ndarray, c: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One time step from the input's share of the gates already computed,
        ``projected`` = x_t W + b (B, 4H); h and c (B, H) -> (h_next, c_next, gates (B, 4H)).

        A caller that looks inputs up from a fixed table (word ids) can precompute the
        table times W plus b once and skip that product at every step.
        """
        gates = h @ self.recurrent_kernel
        gates += projected
        lstm_gates(gates, self.units)
        H = self.units
        i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
        c_next = f * c
        c_next += i * g
        h_next = np.tanh(c_next)
        h_next *= o
        return h_next, c_next, gates

    def forward(
        self, x: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None
    ) -> tuple[np.ndarray, LSTMCache]:
        """Run the sequence x (B, T, D) from h0, c0 (B, H; zeros if None).

        Returns ``(h_seq, cache)``: h_seq (B, T, H), the hidden state after every step.
        """
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 3 or x.shape[2] != self.kernel.shape[0]:
            raise ValueError(f"x must have shape (batch, time, {self.kernel.shape[0]}), got {x.shape}")
        batch, steps, _ = x.shape
        h_all = np.empty((steps + 1, batch, self.units), dtype=self.dtype)
        c_all = np.empty_like(h_all)
        gates = np.empty((steps, batch, 4 * self.units), dtype=self.dtype)
        h_all[0] = self._zeros(batch) if h0 is None else h0
        c_all[0] = self._zeros(batch) if c0 is None else c0
        for t in range(steps):
            h_all[t + 1], c_all[t + 1], gates[t] = self.step(x[:, t], h_all[t], c_all[t])
        return h_all[1:].transpose(1, 0, 2).copy(), LSTMCache(x, gates, c_all, h_all)

    def backward(
        self,
        dh_seq: np.ndarray,
        cache: LSTMCache,
        dh_last: np.ndarray | None = None,
        dc_last: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Backpropagate through time.

        ``dh_seq`` (B, T, H) is ∂L/∂h_seq; ``dh_last`` and ``dc_last`` (B, H) are extra
        gradients on the final h and c. Returns gradients named ``kernel`` (D, 4H),
        ``recurrent_kernel`` (H, 4H), ``bias`` (4H,), ``x`` (B, T, D), ``h0`` and ``c0`` (B, H).
        """
        H = self.units
        batch, steps, _ = cache.x.shape
        dh_seq = np.asarray(dh_seq, dtype=self.dtype)
        grads = {
            "kernel": np.zeros_like(self.kernel),
            "recurrent_kernel": np.zeros_like(self.recurrent_kernel),
            "bias": np.zeros_like(self.bias),
            "x": np.zeros_like(cache.x),
        }
        dh_next = self._zeros(batch) if dh_last is None else np.array(dh_last, dtype=self.dtype)
        dc_next = self._zeros(batch) if dc_last is None else np.array(dc_last, dtype=self.dtype)
        for t in reversed(range(steps)):
            gates = cache.gates[t]
            i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
            tanh_c = np.tanh(cache.c[t + 1])
            dh = dh_seq[:, t] + dh_next
            dc = dc_next + dh * o * (1.0 - tanh_c**2)
            dz = np.concatenate(
                [
                    dc * g * i * (1.0 - i),
                    dc * cache.c[t] * f * (1.0 - f),
                    dc * i * (1.0 - g**2),
                    dh * tanh_c * o * (1.0 - o),
                ],
                axis=1,
            )
            dc_next = dc * f
            grads["kernel"] += cache.x[:, t].T @ dz
            grads["recurrent_kernel"] += cache.h[t].T @ dz
            grads["bias"] += dz.sum(axis=0)
            grads["x"][:, t] = dz @ self.kernel.T
            dh_next = dz @ self.recurrent_kernel.T
        grads["h0"] = dh_next
        grads["c0"] = dc_next
        return grads
