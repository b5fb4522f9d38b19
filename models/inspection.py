"""Inside a trained LSTM: its cells and gates step by step, the cells that track a feature of
the input, and how often its gates saturate. Numpy only: it reads a :class:`NumpyLSTM` (the
demos, the reference LSTM) or a run's :class:`NumpyNextWordPredictor`, whose steps the tests
hold equal to Keras.

A recording holds, for each layer and each step t, the hidden state ``h``, the cell state
``c`` and the four gates after their activations: input ``i``, forget ``f``, output ``o`` and
the candidate ``g`` (Keras' order i, f, g, o). A cell that counts something can be planted by
hand and found again::

    >>> lstm = planted_depth_counter(["(", ")", "x"], units=4)
    >>> tokens = list("((x)(x(x))x)")
    >>> layer = record_lstm(lstm, one_hot(tokens, ["(", ")", "x"]))
    >>> best = rank_cells(layer, {"depth": nesting_depth(tokens, "(", ")")})["depth"][0]
    >>> best["state"], best["unit"], round(best["r"], 3)
    ('c', 0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from lstmlab.models.numpy_lstm import NumpyLSTM
from lstmlab.models.predictor import NumpyNextWordPredictor

GATES = ("i", "f", "g", "o")
# A gate is left-saturated below this and right-saturated above 1 minus this (Karpathy et al. 2015).
SATURATION = 0.1


@dataclass
class LayerRecording:
    """One layer over T steps: ``h``, ``c`` and each gate (T, H) float32."""

    h: np.ndarray
    c: np.ndarray
    gates: dict[str, np.ndarray]

    def states(self) -> dict[str, np.ndarray]:
        """``{"h": h, "c": c}``: the two states a cell can be ranked by."""
        return {"h": self.h, "c": self.c}


def _split_gates(gates: np.ndarray, units: int) -> dict[str, np.ndarray]:
    return {name: gates[:, index * units : (index + 1) * units] for index, name in enumerate(GATES)}


def _record_projected(lstm: NumpyLSTM, projected: np.ndarray, h: np.ndarray | None = None,
                      c: np.ndarray | None = None) -> tuple[LayerRecording, np.ndarray, np.ndarray]:
    """Step ``lstm`` over the input projections (T, 4H) of one sequence; returns the recording
    and the last (h, c) (1, H)."""
    units = lstm.units
    h = np.zeros((1, units), np.float32) if h is None else h
    c = np.zeros((1, units), np.float32) if c is None else c
    hs, cs, gates = [], [], []
    for t in range(len(projected)):
        h, c, step_gates = lstm.step_projected(projected[t : t + 1], h, c)
        hs.append(h[0])
        cs.append(c[0])
        gates.append(step_gates[0].copy())
    stacked = np.asarray(gates, dtype=np.float32).reshape(len(projected), 4 * units)
    return LayerRecording(np.asarray(hs), np.asarray(cs), _split_gates(stacked, units)), h, c


def record_lstm(lstm: NumpyLSTM, inputs: np.ndarray) -> LayerRecording:
    """Record one LSTM over one sequence of ``inputs`` (T, D) from a zero state."""
    projected = np.asarray(inputs, np.float32) @ lstm.kernel.astype(np.float32) + lstm.bias.astype(np.float32)
    return _record_projected(lstm, projected)[0]


def record_predictor(predictor: NumpyNextWordPredictor, ids: Sequence[int]) -> list[LayerRecording]:
    """Record every LSTM layer of a run's model over the word ids (T,) as one text, the state
    carried from a zero state at the first word (as the continuous protocol reads the text)."""
    projected = predictor.input_projection[np.asarray(ids, dtype=np.int64)]
    layers = []
    for index, lstm in enumerate(predictor.lstms):
        if index > 0:
            projected = layers[-1].h @ lstm.kernel + lstm.bias
        layers.append(_record_projected(lstm, projected)[0])
    return layers


def correlations(states: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson's r (H,) between each unit of ``states`` (T, H) and ``feature`` (T,); 0 for a
    unit or a feature that never changes."""
    centred = states - states.mean(axis=0)
    target = np.asarray(feature, np.float64) - np.mean(feature)
    scale = np.sqrt((centred ** 2).sum(axis=0) * (target ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (centred * target[:, None]).sum(axis=0) / scale
    return np.nan_to_num(r)


def rank_cells(layer: LayerRecording, features: dict[str, np.ndarray], top: int = 5) -> dict[str, list[dict]]:
    """For each feature (name -> (T,) values), the ``top`` units of ``h`` or ``c`` whose state
    follows it best: ``{"state": "h" or "c", "unit": k, "r": r}``, largest |r| first."""
    ranked = {}
    for name, feature in features.items():
        candidates = [(state, unit, float(r)) for state, values in layer.states().items()
                      for unit, r in enumerate(correlations(values, feature))]
        candidates.sort(key=lambda candidate: -abs(candidate[2]))
        ranked[name] = [{"state": state, "unit": unit, "r": r} for state, unit, r in candidates[:top]]
    return ranked


def gate_saturation(layer: LayerRecording, threshold: float = SATURATION) -> dict[str, dict[str, list[float]]]:
    """Per gate and unit, the fraction of steps the gate is left-saturated (< ``threshold``) and
    right-saturated (> 1 - ``threshold``); the candidate g (a tanh, in [-1, 1]) is mapped to
    [0, 1] first, as Karpathy et al. do."""
    saturation = {}
    for name, values in layer.gates.items():
        values = (values + 1) / 2 if name == "g" else values
        saturation[name] = {"left": np.mean(values < threshold, axis=0).tolist(),
                            "right": np.mean(values > 1 - threshold, axis=0).tolist()}
    return saturation


def linear_probe_accuracy(states: np.ndarray, labels: np.ndarray) -> float:
    """How well a linear read-out of ``states`` (T, H) tells the binary ``labels`` (T,): logistic
    regression (scipy's L-BFGS, a little L2) fitted on the first half of the steps, its accuracy
    on the second half."""
    from scipy.optimize import minimize

    design = np.hstack([states, np.ones((len(states), 1))]).astype(np.float64)
    signs = np.where(np.asarray(labels) > 0, 1.0, -1.0)
    half = len(states) // 2
    train, train_signs = design[:half], signs[:half]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        margins = train_signs * (train @ weights)
        value = np.logaddexp(0.0, -margins).sum() + 1e-3 * weights @ weights
        gradient = -(train_signs / (1.0 + np.exp(margins))) @ train + 2e-3 * weights
        return float(value), gradient

    weights = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B").x
    return float(np.mean(np.sign(design[half:] @ weights) == signs[half:]))


def one_hot(tokens: Sequence[str], alphabet: Sequence[str]) -> np.ndarray:
    """The tokens as one-hot rows (T, len(alphabet)) float32."""
    index = {symbol: position for position, symbol in enumerate(alphabet)}
    rows = np.zeros((len(tokens), len(alphabet)), np.float32)
    rows[np.arange(len(tokens)), [index[token] for token in tokens]] = 1.0
    return rows


def nesting_depth(tokens: Sequence[str], opening: str, closing: str) -> np.ndarray:
    """How many ``opening`` marks are open after each token (T,): the feature a counting cell keeps."""
    depth, out = 0, []
    for token in tokens:
        depth += (token == opening) - (token == closing)
        out.append(max(depth, 0))
    return np.asarray(out, dtype=np.float64)


def planted_depth_counter(alphabet: Sequence[str], units: int = 4, strength: float = 20.0, seed: int = 0) -> NumpyLSTM:
    """An LSTM whose unit 0 counts nesting: input and forget gates held open, the candidate +1
    for ``alphabet[0]`` (an opening mark), -1 for ``alphabet[1]`` (a closing mark), 0 otherwise,
    so its cell state c adds up the depth (sigmoid and tanh of ``strength`` within 1e-8 of 1). The other
    units get small random weights."""
    rng = np.random.default_rng(seed)
    inputs = len(alphabet)
    kernel = rng.normal(scale=0.1, size=(inputs, 4 * units))
    recurrent = rng.normal(scale=0.1, size=(units, 4 * units))
    bias = np.zeros(4 * units)
    i, f, g, o = (slice(index * units, index * units + 1) for index in range(4))
    kernel[:, i] = kernel[:, f] = kernel[:, g] = kernel[:, o] = 0.0
    recurrent[:, i] = recurrent[:, f] = recurrent[:, g] = recurrent[:, o] = 0.0
    bias[i] = bias[f] = bias[o] = strength  # gates open: c_t = c_{t-1} + g_t
    kernel[0, g], kernel[1, g] = strength, -strength
    return NumpyLSTM(kernel, recurrent, bias)


def compare_by_kind(model_hits: np.ndarray, other_hits: np.ndarray, kinds: Sequence[str]) -> list[dict]:
    """Two predictors' top-1 hits (N,) bool on the same targets, bucketed by the targets'
    ``kinds`` (N,): per kind the count, each one's top-1 and how many targets only each gets::

        >>> compare_by_kind(np.array([1, 0, 1, 1], bool), np.array([0, 0, 1, 0], bool), ["a", "a", "b", "b"])[0]
        {'kind': 'a', 'targets': 2, 'model_top1': 0.5, 'other_top1': 0.0, 'only_model': 1, 'only_other': 0}
    """
    kinds = np.asarray(kinds)
    rows = []
    for kind in dict.fromkeys(kinds.tolist()):
        chosen = kinds == kind
        model, other = model_hits[chosen], other_hits[chosen]
        rows.append({"kind": kind, "targets": int(chosen.sum()), "model_top1": float(model.mean()),
                     "other_top1": float(other.mean()), "only_model": int(np.sum(model & ~other)),
                     "only_other": int(np.sum(other & ~model))})
    return rows


def carry_bits(a: np.ndarray, b: np.ndarray, bits: int) -> np.ndarray:
    """The carry out of each bit position (N, bits) of a + b, least significant bit first: what
    an adder must remember from one step to the next::

        >>> carry_bits(np.array([3]), np.array([1]), 4).tolist()    # 0b0011 + 0b0001
        [[1.0, 1.0, 0.0, 0.0]]
    """
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    low = (1 << (np.arange(bits) + 1)) - 1  # the bits up to and including position k
    return (((a[:, None] & low) + (b[:, None] & low)) > low).astype(np.float64)


def find_carry_unit(lstm: NumpyLSTM, inputs: np.ndarray, carries: np.ndarray) -> dict:
    """Record ``lstm`` over the adder's ``inputs`` (N, bits, 2), one sum after another, and find
    the unit whose state follows the carry bit ``carries`` (N, bits) best; also how well a linear
    read-out of h tells the carry (:func:`linear_probe_accuracy`)."""
    layers = [record_lstm(lstm, sequence) for sequence in inputs]
    layer = LayerRecording(np.concatenate([recording.h for recording in layers]),
                           np.concatenate([recording.c for recording in layers]),
                           {gate: np.concatenate([recording.gates[gate] for recording in layers]) for gate in GATES})
    carry = carries.reshape(-1)
    best = rank_cells(layer, {"carry": carry}, top=3)["carry"]
    return {"best_units": best, "probe_accuracy": linear_probe_accuracy(layer.h, carry), "steps": int(len(carry)),
            "saturation": gate_saturation(layer)}
