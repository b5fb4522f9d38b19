"""Word-by-word generation from a trained next-word model, run in numpy for speed.

The Keras model's weights are copied into a numpy predictor (embedding lookup, the
:class:`models.numpy_lstm.NumpyLSTM`, the Dense layer); calling Keras once per generated
word costs milliseconds of dispatch, numpy costs microseconds::

    predictor = NumpyNextWordPredictor.from_model(model)
    ids = generate_ids(predictor, seed_ids=[12, 7], length=50, window_length=20)

Each new word is predicted from the last ``window_length`` words (the same window the
model was trained on), then decoded to the nearest word by cosine, or sampled.
"""

from __future__ import annotations

import numpy as np

from models.decoding import NearestWords
from models.next_word import decoding_vectors
from models.numpy_lstm import NumpyLSTM


class NumpyNextWordPredictor:
    """ids (B, T) -> predicted next vectors (B, D), equal to the Keras model's ``next_vector``.

    ``input_projection`` is the embedding matrix times the LSTM kernel plus bias (V, 4H),
    precomputed so each step costs one (B, H) x (H, 4H) product.
    """

    def __init__(self, embeddings: np.ndarray, lstm: NumpyLSTM, dense_kernel: np.ndarray,
                 dense_bias: np.ndarray, decoding_vectors: np.ndarray) -> None:
        self.lstm = lstm
        self.input_projection = (embeddings.astype(np.float32) @ lstm.kernel + lstm.bias).astype(np.float32)
        self.dense_kernel = dense_kernel.astype(np.float32)
        self.dense_bias = dense_bias.astype(np.float32)
        self.decoder = NearestWords(decoding_vectors)

    @classmethod
    def from_model(cls, model) -> "NumpyNextWordPredictor":
        """Copy the weights of a model made by :func:`models.next_word.build_next_word_model`."""
        embeddings = np.asarray(model.get_layer("word_embedding").embeddings)
        lstm = NumpyLSTM.from_keras(model.get_layer("lstm"))
        lstm = NumpyLSTM(lstm.kernel.astype(np.float32), lstm.recurrent_kernel, lstm.bias)
        dense_kernel, dense_bias = model.get_layer("next_vector").get_weights()
        return cls(embeddings, lstm, dense_kernel, dense_bias, decoding_vectors(model))

    def predict_vectors(self, ids: np.ndarray) -> np.ndarray:
        """Predicted next-word vectors (B, D) for windows of ids (B, T)."""
        ids = np.atleast_2d(ids)
        units = self.lstm.units
        h = np.zeros((len(ids), units), dtype=np.float32)
        c = np.zeros_like(h)
        recurrent = self.lstm.recurrent_kernel.astype(np.float32)
        for t in range(ids.shape[1]):
            z = self.input_projection[ids[:, t]] + h @ recurrent
            i = 1.0 / (1.0 + np.exp(-z[:, :units]))
            f = 1.0 / (1.0 + np.exp(-z[:, units : 2 * units]))
            g = np.tanh(z[:, 2 * units : 3 * units])
            o = 1.0 / (1.0 + np.exp(-z[:, 3 * units :]))
            c = f * c + i * g
            h = o * np.tanh(c)
        return h @ self.dense_kernel + self.dense_bias

    def predict_many(self, ids: np.ndarray, chunk: int = 1024) -> np.ndarray:
        """:meth:`predict_vectors` over many windows (B, T), ``chunk`` at a time: (B, D)."""
        return np.concatenate([self.predict_vectors(ids[start : start + chunk])
                               for start in range(0, len(ids), chunk)])


def generate_ids(predictor: NumpyNextWordPredictor, seed_ids: list[int], length: int, window_length: int,
                 temperature: float = 0.0, top_k: int = 10, rng_seed: int = 0) -> list[int]:
    """Extend ``seed_ids`` by ``length`` words; return only the new ids.

    Temperature 0 is greedy nearest-word decoding (the blog's); above 0, each word is
    sampled among the ``top_k`` nearest with probability ∝ exp(cosine / temperature).
    """
    if not seed_ids:
        raise ValueError("generation needs at least one seed word")
    rng = np.random.default_rng(rng_seed)
    context = list(seed_ids)
    new_ids: list[int] = []
    for _ in range(length):
        window = np.asarray(context[-window_length:], dtype=np.int64)[None, :]
        vector = predictor.predict_vectors(window)[0]
        word = predictor.decoder.choose(vector, temperature, top_k, rng)
        context.append(word)
        new_ids.append(word)
    return new_ids


def join_words(words: list[str]) -> str:
    """Join words as Chinese is written: no space between words, except between two Latin words."""
    out = ""
    for word in words:
        if out and out[-1].isascii() and out[-1].isalnum() and word[:1].isascii() and word[:1].isalnum():
            out += " "
        out += word
    return out
