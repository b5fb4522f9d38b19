"""The next-word LSTM: word ids -> word2vec Embedding -> LSTM -> Dense(D, linear) -> next word's vector.

The model's prediction is a D-dimensional vector for the next word, decoded to the nearest
word by cosine. Two losses train it:

* ``"mse"`` — the blog's: squared distance to the true next word's word2vec vector.
* ``"softmax"`` — cross-entropy of ``scale * cos(prediction, every output word vector)`` plus
  an optional trained bias per word, so the prediction is pushed towards the right word *and
  away from all others*. The output word vectors start as the word2vec vectors and may be
  trained; the scale may be learned. The blog's nearest-word decoding still uses those output
  vectors by cosine; sampling and greedy decoding use the whole logit.

With ``every_position`` the model predicts the next word after every prefix of its input
(``return_sequences``): a T-word sequence trains T predictions for one pass through the
LSTM, where the blog's model trains one. The prediction after the whole input, the one the
blog's windows train, is the last position's::

    >>> vectors = np.random.default_rng(0).normal(size=(50, 8)).astype("float32")     # V=50, D=8
    >>> model = build_next_word_model(vectors, NextWordSettings(lstm_units=16))
    >>> model.output_shape                            # logits at every position: (B, T, V)
    (None, None, 50)
    >>> prediction_model(model).output_shape          # the vector after the whole input: (B, D)
    (None, 8)
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from lstmlab.corpus.baselines import add_one_probabilities
from lstmlab.models.carried_lstm import CarriedFusedLSTM, CarriedLSTM
from lstmlab.models.fused_lstm import FusedLSTM
from lstmlab.models.predictor import lstm_layer_names
from lstmlab.models.settings import NextWordSettings

@keras.saving.register_keras_serializable(package="lstmlab")
class CosineLogits(keras.layers.Layer):
    """Logits ``scale * cos(vector, word_vectors[j]) + word_bias[j]`` for every word j.

    Input (B, D); output (B, V). ``word_vectors`` (V, D) are set by the model builder. With
    ``learn_scale`` the scale is ``exp(log_scale)``, a trained scalar. With ``word_bias`` each
    word has a trained bias (V,), its prior log-odds apart from the context (a cosine alone
    cannot say that one word is simply more frequent than another); without it the layer has
    no bias weight (``word_bias`` is None), as in models saved before biases existed.
    """

    def __init__(self, vocabulary_size: int, dimensions: int, scale: float = 20.0,
                 learn_scale: bool = True, train_vectors: bool = True, word_bias: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.vocabulary_size = vocabulary_size
        self.dimensions = dimensions
        self.scale = scale
        self.learn_scale = learn_scale
        self.train_vectors = train_vectors
        self.use_word_bias = word_bias

    def build(self, input_shape) -> None:
        self.word_vectors = self.add_weight(
            name="word_vectors", shape=(self.vocabulary_size, self.dimensions),
            initializer="glorot_uniform", trainable=self.train_vectors,
        )
        self.log_scale = self.add_weight(
            name="log_scale", shape=(), initializer=keras.initializers.Constant(float(np.log(self.scale))),
            trainable=self.learn_scale,
        )
        self.word_bias = None
        if self.use_word_bias:
            self.word_bias = self.add_weight(name="word_bias", shape=(self.vocabulary_size,), initializer="zeros")

    def call(self, vector, candidates=None, candidate_correction=None):
        """Logits (..., V) of every word; with ``candidates`` (B, C) int32 (every row the same) and
        their ``candidate_correction`` (B, C), logits (..., C) of those words only, each lowered by
        its correction (the sampled softmax of :mod:`models.sampled_head`)."""
        if candidates is None:
            return _cosine_logits(vector, self.word_vectors, self.log_scale, self.word_bias)
        chosen = candidates[0]
        bias = None if self.word_bias is None else ops.take(self.word_bias, chosen, axis=0)
        logits = _cosine_logits(vector, ops.take(self.word_vectors, chosen, axis=0), self.log_scale, bias)
        return logits - candidate_correction[0]

    def get_config(self) -> dict:
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size, "dimensions": self.dimensions,
                "scale": self.scale, "learn_scale": self.learn_scale, "train_vectors": self.train_vectors,
                "word_bias": self.use_word_bias}


def _length(vectors):
    """Each row's Euclidean length (..., 1), 1e-8 for a zero row, with a finite gradient there
    too. ``ops.norm(x) + 1e-8`` has none at x = 0, and an LSTM whose state and input are both
    zero outputs h = 0 and so a zero vector: a dropped first word did that and made every
    weight NaN after one step under XLA."""
    return ops.sqrt(ops.sum(ops.square(vectors), axis=-1, keepdims=True) + 1e-16)


def _cosine_logits(vector, word_vectors, log_scale, word_bias=None):
    """``exp(log_scale) * cos(vector, word_vectors[j]) (+ word_bias[j])`` for every word j:
    (..., D) -> (..., V).

    The scale multiplies the unit vectors (..., D) and the bias rides in the product as one
    more column (a 1 beside each vector, the bias beside each word), so the (..., V) logits come
    out of one matrix product with no pass over them for the scale or the bias, forward or
    backward."""
    scaled_vector = ops.exp(log_scale) * vector / _length(vector)
    unit_words = word_vectors / _length(word_vectors)
    if word_bias is None:
        return ops.matmul(scaled_vector, ops.transpose(unit_words))
    with_one = ops.concatenate([scaled_vector, ops.ones_like(scaled_vector[..., :1])], axis=-1)
    with_bias = ops.concatenate([unit_words, ops.expand_dims(word_bias, -1)], axis=-1)
    return ops.matmul(with_one, ops.transpose(with_bias))


def build_next_word_model(word_vectors: np.ndarray, settings: NextWordSettings, length: int | None = None,
                          word_counts: np.ndarray | None = None, batch_size: int | None = None,
                          for_training: bool = False) -> keras.Model:
    """Build (not compile) the model over a word2vec matrix ``word_vectors`` (V, D).

    Input: int32 ids (B, T) for any T; with ``settings.unroll`` only T = ``length``, the LSTM
    loop written out step by step (training always sees fixed-length windows; generation and
    evaluation run in numpy, at any length). Output: predicted next vectors (B, D) for "mse",
    logits (B, V) for "softmax" (the vector is the layer ``next_vector``); with
    ``every_position`` one per position: (B, T, D) or (B, T, V). ``dropout`` applies to each
    LSTM's inputs. With
    ``word_bias`` (softmax) the per-word biases start at the log of the add-one unigram
    probabilities from ``word_counts`` (V,) when given (zeros otherwise), so the untrained
    head already knows which words are frequent. With ``settings.carry_state`` and a
    ``batch_size`` the LSTMs are stateful: each batch of (``batch_size``, ``length``) ids starts
    from the state the batch before ended in (reset it with :func:`reset_lstm_states`); without
    a ``batch_size`` the same weights make a model for any batch that starts from zero.
    ``for_training`` with ``settings.head == "sampled"`` (softmax): the model's inputs are a dict
    of ``word_ids``, ``candidates`` and ``candidate_correction`` (:class:`models.sampled_head.SampledBatches`)
    and it outputs logits (B, T, C) over the candidates; its layers and weights are those of the
    full-head model, in the same order.
    """
    vocabulary_size, dimensions = word_vectors.shape
    if settings.unroll and not length:
        raise ValueError("an unrolled LSTM needs the window length")
    stateful = settings.carry_state and batch_size is not None
    if stateful and not length:
        raise ValueError("a stateful LSTM needs the window length")
    ids = keras.Input(batch_shape=(batch_size if stateful else None, length if settings.unroll or stateful else None),
                      dtype="int32", name="word_ids")
    embedding = keras.layers.Embedding(vocabulary_size, dimensions, trainable=settings.train_input_vectors,
                                       name="word_embedding")
    inputs_vectors = embedding(ids)
    if settings.word_dropout:  # one draw per position: a dropped word's whole vector is zero
        inputs_vectors = keras.layers.Dropout(settings.word_dropout, noise_shape=(None, None, 1),
                                              name="word_dropout")(inputs_vectors)
    vector = _lstm_to_vector(inputs_vectors, dimensions, settings, stateful)
    outputs, inputs = vector, ids
    head = None
    if settings.loss == "softmax":
        head = CosineLogits(vocabulary_size, dimensions, scale=settings.scale, learn_scale=settings.learn_scale,
                            train_vectors=settings.train_output_vectors, word_bias=settings.word_bias,
                            name="cosine_logits")
        if for_training and settings.head == "sampled":
            candidates, correction = (keras.Input(batch_shape=(ids.shape[0], None), dtype=dtype, name=name)
                                      for dtype, name in (("int32", "candidates"), ("float32", "candidate_correction")))
            inputs = {"word_ids": ids, "candidates": candidates, "candidate_correction": correction}
            outputs = head(vector, candidates=candidates, candidate_correction=correction)
        else:
            outputs = head(vector)
        head.word_vectors.assign(word_vectors.astype("float32"))
    if head is not None and settings.word_bias and word_counts is not None:
        head.word_bias.assign(np.log(add_one_probabilities(word_counts)).astype("float32"))
    embedding.embeddings.assign(word_vectors.astype("float32"))
    return keras.Model(inputs, outputs, name=f"next_word_{settings.loss}")


def _lstm_to_vector(hidden, dimensions: int, settings: NextWordSettings, stateful: bool = False):
    """The stacked LSTMs and the ``next_vector`` Dense(D) over input vectors ``hidden``."""
    names = lstm_layer_names(settings.lstm_layers)
    for name in names:
        keeps_sequence = settings.every_position or name != names[-1]
        if stateful:  # the state a weight of the layer, so that every backend's trainer carries it
            layer = CarriedFusedLSTM if settings.unroll else CarriedLSTM
        else:  # fixed length: the hand-written backward
            layer = FusedLSTM if settings.unroll else keras.layers.LSTM
        extra = {"weight_dropout": settings.weight_dropout} if settings.unroll else {}
        hidden = layer(settings.lstm_units, dropout=settings.dropout, recurrent_dropout=settings.recurrent_dropout,
                       return_sequences=keeps_sequence, unroll=settings.unroll, stateful=stateful, name=name,
                       **extra)(hidden)
    return keras.layers.Dense(dimensions, activation="linear", name="next_vector")(hidden)


def compile_next_word_model(model: keras.Model, settings: NextWordSettings, total_steps: int = 0,
                            steps_per_execution: int = 1) -> None:
    """Compile with the settings' optimizer (gradients clipped to ``clip_norm`` if > 0) and loss.

    Held-out top-1/top-10 and perplexity come from :class:`models.callbacks.HeldOutMetrics`,
    on the protocol's windows, not from compiled metrics.

    ``total_steps`` (batches over all epochs) is needed for the cosine learning-rate decay.
    ``steps_per_execution`` batches run in one compiled call: the same updates, with the
    per-call cost of the training loop paid once for all of them (it dominates small batches).
    """
    learning_rate = settings.learning_rate
    if settings.learning_rate_decay == "cosine":
        if total_steps < 1:
            raise ValueError("cosine learning-rate decay needs the total number of training steps")
        learning_rate = keras.optimizers.schedules.CosineDecay(settings.learning_rate, total_steps, alpha=0.05)
    options = {"global_clipnorm": settings.clip_norm} if settings.clip_norm > 0 else {}
    if settings.optimizer == "adam":
        optimizer = keras.optimizers.Adam(learning_rate, **options)
    else:
        optimizer = keras.optimizers.SGD(learning_rate, **options)
    if settings.loss == "softmax":
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        loss = keras.losses.MeanSquaredError()
    model.compile(optimizer=optimizer, loss=loss, steps_per_execution=steps_per_execution,
                  jit_compile=jit_compile_setting(settings))


def jit_compile_setting(settings: NextWordSettings) -> bool | str:
    """Keras' ``jit_compile`` for ``settings.xla``: True for "on", False for "off"; for "auto",
    True for a fixed-length (``unroll``) model on TensorFlow, whose written-out loop XLA fuses, else
    Keras' own "auto" (XLA off on a CPU with TensorFlow, where Keras' LSTM loop does not
    compile; on with JAX, which always compiles)."""
    if settings.xla != "auto":
        return settings.xla == "on"
    return True if settings.unroll and keras.backend.backend() == "tensorflow" else "auto"


def reset_lstm_states(model: keras.Model) -> None:
    """Set the state of every stateful LSTM of ``model`` back to zeros."""
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


def output_word_vectors(model: keras.Model) -> np.ndarray:
    """The word vectors (V, D) a softmax model's logits are cosines against."""
    head = next(layer for layer in model.layers if isinstance(layer, CosineLogits))
    return np.asarray(head.word_vectors)


def set_cosine_scale(model: keras.Model, scale: float) -> None:
    """Set a softmax model's cosine scale (its ``log_scale`` weight) to ``scale`` > 0."""
    head = next(layer for layer in model.layers if isinstance(layer, CosineLogits))
    head.log_scale.assign(float(np.log(scale)))


def prediction_model(model: keras.Model) -> keras.Model:
    """A model sharing ``model``'s weights that maps ids (B, T) to the predicted vector after the
    whole input (B, D) (the last position's, for an ``every_position`` model)."""
    vector = model.get_layer("next_vector").output
    return keras.Model(model.inputs, vector[:, -1] if len(vector.shape) == 3 else vector)


def load_next_word_model(path) -> keras.Model:
    """Read a model saved by the train stage (``model.keras``); this module registers its layers."""
    return keras.saving.load_model(str(path))
