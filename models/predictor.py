"""The trained next-word model run in numpy: ids (B, T) -> predicted next-word vectors (B, D).

Calling Keras once per generated word costs milliseconds of dispatch; numpy costs
microseconds, and needs no deep-learning framework at all. The Keras model's weights
(embedding, LSTM, Dense, output vectors, cosine scale) are copied into plain arrays::

    predictor = NumpyNextWordPredictor.from_model(model)
    vectors = predictor.predict_vectors(ids)          # (B, T) int -> (B, D) float32
    ranked = predictor.decoder.top_k(vectors, 10)     # (B, 10) ids, nearest first

The LSTM steps are :meth:`models.numpy_lstm.NumpyLSTM.step_projected`, the same equations
the reference LSTM is checked against Keras with.
"""

from __future__ import annotations

import numpy as np

from models.decoding import NearestWords
from models.next_word import decoding_vectors, learned_scale
from models.numpy_lstm import NumpyLSTM


class NumpyNextWordPredictor:
    """Embedding -> LSTM -> Dense in numpy, equal to the Keras model's ``next_vector`` output.

    ``input_projection`` is the embedding matrix times the LSTM kernel plus bias (V, 4H),
    precomputed so each step costs one (B, H) x (H, 4H) product. ``scale`` is the softmax
    model's learned cosine scale, or None for the regression (mse, cosine) models.
    """

    def __init__(self, embeddings: np.ndarray, lstm: NumpyLSTM, dense_kernel: np.ndarray,
                 dense_bias: np.ndarray, output_vectors: np.ndarray, scale: float | None = None) -> None:
        self.lstm = NumpyLSTM(lstm.kernel.astype(np.float32), lstm.recurrent_kernel.astype(np.float32),
                              lstm.bias.astype(np.float32))
        self.embeddings = embeddings.astype(np.float32)
        self.input_projection = (self.embeddings @ self.lstm.kernel + self.lstm.bias).astype(np.float32)
        self.dense_kernel = dense_kernel.astype(np.float32)
        self.dense_bias = dense_bias.astype(np.float32)
        self.output_vectors = output_vectors.astype(np.float32)
        self.scale = scale
        self.decoder = NearestWords(self.output_vectors)

    @classmethod
    def from_model(cls, model) -> "NumpyNextWordPredictor":
        """Copy the weights of a model made by :func:`models.next_word.build_next_word_model`."""
        embeddings = np.asarray(model.get_layer("word_embedding").embeddings)
        lstm = NumpyLSTM.from_keras(model.get_layer("lstm"))
        dense_kernel, dense_bias = model.get_layer("next_vector").get_weights()
        return cls(embeddings, lstm, dense_kernel, dense_bias, decoding_vectors(model), learned_scale(model))

    def predict_vectors(self, ids: np.ndarray) -> np.ndarray:
        """Predicted next-word vectors (B, D) for windows of ids (B, T)."""
        ids = np.atleast_2d(ids)
        h = np.zeros((len(ids), self.lstm.units), dtype=np.float32)
        c = np.zeros_like(h)
        for t in range(ids.shape[1]):
            h, c, _ = self.lstm.step_projected(self.input_projection[ids[:, t]], h, c)
        return h @ self.dense_kernel + self.dense_bias

    def predict_many(self, ids: np.ndarray, chunk: int = 1024) -> np.ndarray:
        """:meth:`predict_vectors` over many windows (B, T), ``chunk`` at a time: (B, D)."""
        return np.concatenate([self.predict_vectors(ids[start : start + chunk])
                               for start in range(0, len(ids), chunk)])
