"""Binary-addition data shared by the Keras adder and the numpy reference adder.

Numbers are fed least-significant bit first, one bit of each operand per time step, so a
recurrent net only has to learn the carry.
"""

from __future__ import annotations

import numpy as np


def to_bits(values: np.ndarray, bits: int) -> np.ndarray:
    """Integers (N,) -> their ``bits`` lowest bits, least significant first: (N, bits) float32."""
    values = np.asarray(values, dtype=np.int64)
    return ((values[:, None] >> np.arange(bits)) & 1).astype(np.float32)


def from_bits(bit_rows: np.ndarray) -> np.ndarray:
    """Rows of bits (N, bits), least significant first, each rounded at 0.5 -> integers (N,) int64."""
    rounded = (np.asarray(bit_rows) > 0.5).astype(np.int64)
    return (rounded << np.arange(rounded.shape[1])).sum(axis=1)


def addition_examples(a: np.ndarray, b: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (N, bits, 2) with the bits of a and b, targets (N, bits, 1) with the bits of a + b."""
    inputs = np.stack([to_bits(a, bits), to_bits(b, bits)], axis=-1)
    return inputs, to_bits(np.asarray(a) + np.asarray(b), bits)[..., None]


def random_sums(count: int, bits: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random pairs (a, b), each below 2**(bits-1) so the sum fits in ``bits`` bits."""
    high = 2 ** (bits - 1)
    return rng.integers(0, high, count), rng.integers(0, high, count)


def all_pairs(bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (a, b) with a, b < 2**(bits-1): 16,384 pairs for 8 bits."""
    high = 2 ** (bits - 1)
    a, b = np.meshgrid(np.arange(high), np.arange(high), indexing="ij")
    return a.ravel(), b.ravel()
