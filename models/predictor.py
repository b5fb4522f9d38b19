"""The trained next-word model run in numpy: ids (B, T) -> predicted next-word vectors (B, D).

Calling Keras once per generated word costs milliseconds of dispatch; numpy costs
microseconds, and needs no deep-learning framework at all. The Keras model's weights
(embedding, LSTMs, Dense, output vectors, cosine scale) are copied into plain arrays, and
saved as one ``.npz`` file that loads with numpy alone::

    predictor = NumpyNextWordPredictor.from_model(model)      # or .load("predictor.npz")
    vectors = predictor.predict_vectors(ids)          # (B, T) int -> (B, D) float32
    ranked = predictor.decoder.top_k(vectors, 10)     # (B, 10) ids, nearest first
    log_p = predictor.log_probabilities(vectors)      # (B, V) the model's distribution

The LSTM steps are :meth:`models.numpy_lstm.NumpyLSTM.step_projected`, the same equations
the reference LSTM is checked against Keras with.
"""

from __future__ import annotations

import numpy as np

from lstmlab.corpus.scoring import Score, ScoreAccumulator, rows_per_chunk, target_ranks
from lstmlab.models.decoding import NearestWords, unit_rows
from lstmlab.models.numpy_lstm import NumpyLSTM

# The cosine scale of the distribution given to a regression (mse, cosine) model, which has
# no learned one: the softmax model's starting scale, under which a word 0.1 closer in cosine
# is e^2 (7.4x) more likely.
NEAREST_WORD_SCALE = 20.0


def lstm_layer_names(layers: int) -> list[str]:
    """The names of the model's stacked LSTM layers, input side first: ``lstm``, ``lstm_2``, ..."""
    return ["lstm"] + [f"lstm_{index}" for index in range(2, layers + 1)]


def _output_head(model) -> tuple[np.ndarray, float | None, np.ndarray | None]:
    """The word vectors (V, D) that predictions are decoded against, the cosine scale and the
    per-word logit biases (V,).

    The trained output vectors, exp(log_scale) and word biases of a softmax model (its layer
    with a ``log_scale``, ``cosine_logits``); otherwise the
    input Embedding's vectors, no scale and no biases.
    """
    heads = [layer for layer in model.layers if hasattr(layer, "log_scale")]
    if heads:
        bias = heads[0].word_bias
        return (np.asarray(heads[0].word_vectors), float(np.exp(np.asarray(heads[0].log_scale))),
                None if bias is None else np.asarray(bias))
    return np.asarray(model.get_layer("word_embedding").embeddings), None, None


def _float32_lstm(lstm: NumpyLSTM) -> NumpyLSTM:
    return NumpyLSTM(lstm.kernel.astype(np.float32), lstm.recurrent_kernel.astype(np.float32),
                     lstm.bias.astype(np.float32))


class NumpyNextWordPredictor:
    """Embedding -> LSTM(s) -> Dense in numpy, equal to the Keras model's ``next_vector`` output
    after the whole input.

    ``input_projection`` is the embedding matrix times the first LSTM's kernel plus bias
    (V, 4H), precomputed so each step of that layer costs one (B, H) x (H, 4H) product.
    ``scale`` is the softmax model's learned cosine scale, or None for the regression (mse,
    cosine) models; ``output_bias`` (V,) the softmax model's per-word logit biases (zeros when
    it has none, and for the regression models), -inf for a word never predicted
    (:meth:`never_predict`).
    """

    def __init__(self, embeddings: np.ndarray, lstms: list[NumpyLSTM], dense_kernel: np.ndarray,
                 dense_bias: np.ndarray, output_vectors: np.ndarray, scale: float | None = None,
                 output_bias: np.ndarray | None = None) -> None:
        self.lstms = [_float32_lstm(lstm) for lstm in lstms]
        self.embeddings = embeddings.astype(np.float32)
        first = self.lstms[0]
        self.input_projection = (self.embeddings @ first.kernel + first.bias).astype(np.float32)
        self.dense_kernel = dense_kernel.astype(np.float32)
        self.dense_bias = dense_bias.astype(np.float32)
        self.output_vectors = output_vectors.astype(np.float32)
        self.scale = scale
        self.output_bias = (np.zeros(len(output_vectors), dtype=np.float32) if output_bias is None
                            else np.array(output_bias, dtype=np.float32))  # a copy: never_predict writes to it
        self.decoder = NearestWords(self.output_vectors, excluded=np.flatnonzero(np.isneginf(self.output_bias)))

    def never_predict(self, ids) -> "NumpyNextWordPredictor":
        """Give the words ``ids`` (the unknown word: :func:`corpus.vocabulary.unknown_ids`)
        probability 0, the rest renormalised, and keep them out of every ranking and of
        generation; :meth:`save` keeps this. Returns the predictor itself."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids):
            self.output_bias[ids] = -np.inf
            self.decoder = NearestWords(self.output_vectors, excluded=np.flatnonzero(np.isneginf(self.output_bias)))
        return self

    @classmethod
    def from_model(cls, model) -> "NumpyNextWordPredictor":
        """Copy the weights of a model made by :func:`models.next_word.build_next_word_model`."""
        embeddings = np.asarray(model.get_layer("word_embedding").embeddings)
        layers = sum(1 for layer in model.layers if layer.name in lstm_layer_names(len(model.layers)))
        lstms = [NumpyLSTM.from_keras(model.get_layer(name)) for name in lstm_layer_names(layers)]
        dense_kernel, dense_bias = model.get_layer("next_vector").get_weights()
        return cls(embeddings, lstms, dense_kernel, dense_bias, *_output_head(model))

    def zero_state(self, batch: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The state every window starts from without a carried one: ``(h, c)`` zeros (B, H) per layer."""
        return [(np.zeros((batch, lstm.units), dtype=np.float32),) * 2 for lstm in self.lstms]

    def advance(self, ids: np.ndarray, states: list | None = None,
                every_position: bool = False) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Run the LSTMs over ids (B, T) from ``states`` (:meth:`zero_state` when None): returns the
        last layer's outputs ``h`` after the last word (B, H), or after every word (B, T, H) with
        ``every_position``, and the state after the last word, to carry into the next call."""
        ids = np.atleast_2d(ids)
        states = list(states) if states is not None else self.zero_state(len(ids))
        outputs = []
        for t in range(ids.shape[1]):
            projected = self.input_projection[ids[:, t]]
            for index, lstm in enumerate(self.lstms):
                if index > 0:
                    projected = states[index - 1][0] @ lstm.kernel + lstm.bias
                h, c, _ = lstm.step_projected(projected, *states[index])
                states[index] = (h, c)
            if every_position:
                outputs.append(states[-1][0])
        return (np.stack(outputs, axis=1) if every_position else states[-1][0]), states

    def to_vectors(self, hidden: np.ndarray) -> np.ndarray:
        """The predicted next-word vectors (..., D) of the last LSTM's outputs ``hidden`` (..., H)."""
        return hidden @ self.dense_kernel + self.dense_bias

    def predict_vectors(self, ids: np.ndarray, every_position: bool = False) -> np.ndarray:
        """Predicted next-word vectors (B, D) for windows of ids (B, T), after the whole window,
        each from a zero state; with ``every_position`` (B, T, D), after each of its prefixes."""
        return self.to_vectors(self.advance(ids, every_position=every_position)[0])

    def continuous_vectors(self, ids: np.ndarray, begin: int, positions: np.ndarray,
                           chunk: int = 4096) -> np.ndarray:
        """The predicted vectors (P, D) for the words at ``positions`` (P,) of ``ids`` (N,) with the
        state carried over the text from ``begin`` (a zero state there), so each word is predicted
        from everything between ``begin`` and it. Every position must be > ``begin``."""
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) == 0:
            return np.zeros((0, len(self.dense_bias)), dtype=np.float32)
        if positions.min() <= begin:
            raise ValueError(f"positions must come after the start of the text ({begin})")
        vectors = np.empty((len(positions), len(self.dense_bias)), dtype=np.float32)
        states = self.zero_state(1)
        for start in range(begin, int(positions.max()), chunk):  # memory: one chunk of outputs at a time
            stop = min(start + chunk, int(positions.max()))
            outputs, states = self.advance(ids[None, start:stop], states, every_position=True)
            wanted = np.flatnonzero((positions > start) & (positions <= stop))  # word p follows ids[p - 1]
            vectors[wanted] = self.to_vectors(outputs[0, positions[wanted] - 1 - start])
        return vectors

    def log_probabilities(self, vectors: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """log p(word | context) (B, V) float64 for predicted ``vectors`` (B, D): the softmax of
        (scale x cos(vector, output word vectors) + output bias) / temperature, the distribution
        the softmax model was trained on (:data:`NEAREST_WORD_SCALE` for a regression model)."""
        logits = self.logits(vectors)
        logits -= logits.max(axis=1, keepdims=True)
        with np.errstate(over="ignore"):  # a tiny temperature sends all but the likeliest to -inf
            logits /= temperature
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        """The softmax's inputs (B, V) float64 for predicted ``vectors`` (B, D): scale x cosine +
        output bias (:meth:`log_probabilities` at temperature 1 is their log-softmax)."""
        scale = NEAREST_WORD_SCALE if self.scale is None else self.scale
        return scale * self.cosines(vectors).astype(np.float64) + self.output_bias

    def targets_and_ranks(self, vectors: np.ndarray, targets: np.ndarray,
                          with_distributions: bool = False) -> tuple[np.ndarray, ...]:
        """From predicted ``vectors`` (B, D): the log probabilities (B,) of ``targets`` (B,) and
        their ranks (B,) (:func:`corpus.scoring.target_ranks`, 0: the likeliest word), read off
        the logits (one exponential per word, no (B, V) logarithm); with ``with_distributions``
        also the distributions (B, V), for a mixture."""
        logits = self.logits(vectors)
        rows = np.arange(len(targets))
        ranks = target_ranks(logits, targets)
        logits -= logits.max(axis=1, keepdims=True)
        exponentials = np.exp(logits)
        totals = exponentials.sum(axis=1)
        if not np.isfinite(totals).all():  # NaN logits would rank every target first
            raise ValueError("the model's logits are not finite (NaN or infinite weights); its figures cannot be scored")
        log_probabilities = logits[rows, targets] - np.log(totals)
        if with_distributions:
            exponentials /= totals[:, None]
            return log_probabilities, ranks, exponentials
        return log_probabilities, ranks

    def distributions(self, ids: np.ndarray) -> np.ndarray:
        """p(next word | window) (B, V) float64 for windows of ids (B, T): the model's distribution
        after the whole window, as the n-gram models give theirs (so the two can be mixed)."""
        return np.exp(self.log_probabilities(self.predict_vectors(ids)))

    def cosines(self, vectors: np.ndarray) -> np.ndarray:
        """cos(vector, output word vector) (B, V) float32 for predicted ``vectors`` (B, D)."""
        return unit_rows(vectors) @ self.decoder.unit_vectors.T

    def predict_many(self, ids: np.ndarray, chunk: int = 1024) -> np.ndarray:
        """:meth:`predict_vectors` over many windows (B, T), ``chunk`` at a time: (B, D)."""
        return np.concatenate([self.predict_vectors(ids[start : start + chunk])
                               for start in range(0, len(ids), chunk)])

    def score_windows(self, inputs: np.ndarray, targets: np.ndarray, chunk: int = 1000) -> Score:
        """Perplexity (softmax models) and top-1/top-10 of the word after each window of ``inputs``
        (B, T) against ``targets`` (B,), ``chunk`` windows at a time (memory: chunk x V floats)."""
        return self.score_vectors(self.predict_many(inputs, chunk), targets, chunk)

    def score_vectors(self, vectors: np.ndarray, targets: np.ndarray, chunk: int = 1000) -> Score:
        """:meth:`score_windows` from the windows' predicted ``vectors`` (B, D) already computed
        (``chunk`` rows at a time, fewer for a large vocabulary: :func:`corpus.scoring.rows_per_chunk`)."""
        accumulator = ScoreAccumulator()
        chunk = min(chunk, rows_per_chunk(len(self.output_vectors)))
        for start in range(0, len(vectors), chunk):
            chunk_vectors, chunk_targets = vectors[start : start + chunk], targets[start : start + chunk]
            if self.scale is None:
                accumulator.add_ranking(self.decoder.top_k(chunk_vectors, 10), chunk_targets)
            else:
                accumulator.add_targets(*self.targets_and_ranks(chunk_vectors, chunk_targets))
        return accumulator.score()

    def save(self, path, words: list[str], counts: list[int]) -> None:
        """Write every weight, the vocabulary ``words`` (V) and their corpus ``counts`` (V) to
        ``path`` (.npz, no pickles)."""
        arrays = {"embeddings": self.embeddings, "dense_kernel": self.dense_kernel, "dense_bias": self.dense_bias,
                  "output_vectors": self.output_vectors, "output_bias": self.output_bias,
                  "words": np.asarray(words, dtype=str),
                  "counts": np.asarray(counts, dtype=np.int64),
                  "scale": np.float64(np.nan if self.scale is None else self.scale)}
        for index, lstm in enumerate(self.lstms):
            arrays.update({f"lstm{index}_kernel": lstm.kernel, f"lstm{index}_recurrent_kernel": lstm.recurrent_kernel,
                           f"lstm{index}_bias": lstm.bias})
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, path) -> tuple["NumpyNextWordPredictor", list[str], list[int]]:
        """Read a file written by :meth:`save`: returns the predictor, the words and their counts."""
        with np.load(path, allow_pickle=False) as data:
            layers = sum(1 for name in data.files if name.endswith("_recurrent_kernel"))
            lstms = [NumpyLSTM(data[f"lstm{i}_kernel"], data[f"lstm{i}_recurrent_kernel"], data[f"lstm{i}_bias"])
                     for i in range(layers)]
            scale = float(data["scale"])
            bias = data["output_bias"] if "output_bias" in data.files else None  # files from before biases
            predictor = cls(data["embeddings"], lstms, data["dense_kernel"], data["dense_bias"],
                            data["output_vectors"], None if np.isnan(scale) else scale, bias)
            words = data["words"].tolist()
            # files from before counts were stored: word2vec's order is by count, so ranks stand in
            counts = data["counts"].tolist() if "counts" in data.files else list(range(len(words), 0, -1))
            return predictor, words, counts
