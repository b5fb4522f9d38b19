"""Settings of the next-word model, its training schedule and word2vec: plain dataclasses.

They live apart from the Keras and gensim code so that reading or checking a config does
not import either. The defaults are the ``default`` preset (what gave the best held-out
results on the 2-core machine); :mod:`pipeline.config` composes its ``[train]`` and
``[word2vec]`` sections from these classes, so every default is written once, here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

LOSSES = ("mse", "softmax")


@dataclass(frozen=True)
class Bound:
    """An allowed numeric range: ``low`` and ``high`` (None: unbounded), each end closed unless
    ``low_open`` / ``high_open``."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def allows(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def __str__(self) -> str:
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{'(' if self.low_open or self.low is None else '['}{low}, {high}{')' if self.high_open or self.high is None else ']'}"


AT_LEAST_ONE, NOT_NEGATIVE, POSITIVE = Bound(1), Bound(0), Bound(0, low_open=True)
BELOW_ONE = Bound(0, 1, high_open=True)


class SettingsError(ValueError):
    """A setting outside its allowed range or choices; the message names ``section.key``."""


def check_settings(settings: Any, section: str) -> None:
    """Check every field of a settings dataclass against the ``RANGES`` and ``CHOICES`` its class
    (and its bases) declare; raises :class:`SettingsError` naming ``section.key``, the value and
    what is allowed::

        >>> check_settings(TrainingSchedule(), "train")
        >>> TrainingSchedule(epochs=0)
        Traceback (most recent call last):
        ...
        lstmlab.models.settings.SettingsError: train.epochs = 0 is out of range: allowed [1, inf)
    """
    for cls in type(settings).__mro__:
        for key, bound in vars(cls).get("RANGES", {}).items():
            value = getattr(settings, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not bound.allows(value):
                raise SettingsError(f"{section}.{key} = {value!r} is out of range: allowed {bound}")
        for key, choices in vars(cls).get("CHOICES", {}).items():
            if getattr(settings, key) not in choices:
                raise SettingsError(f"{section}.{key} = {getattr(settings, key)!r} is not one of: {', '.join(choices)}")
    if hasattr(settings, "check_combination"):
        settings.check_combination()


@dataclass
class NextWordSettings:
    """The next-word model and its optimiser (the ``[train]`` section's model half)."""

    loss: str = "softmax"  # "softmax" (scaled cosine over every word) or "mse" (the blog's regression)
    every_position: bool = True  # predict the next word after every prefix of a window, not only the last
    carry_state: bool = False  # every_position only: the LSTM's state carries from one window to the next (the text as batch_size streams), in training and held-out figures
    lstm_units: int = 200  # cells of each LSTM layer (the mission's 200)
    lstm_layers: int = 1  # stacked LSTM layers (the mission's 1)
    dropout: float = 0.2  # on each LSTM's inputs (one mask per sequence)
    recurrent_dropout: float = 0.0  # on each LSTM's recurrent state h (one mask per sequence; Gal & Ghahramani's variational dropout)
    word_dropout: float = 0.0  # drops whole input words: each position's word vector is zeroed with this probability (embedding dropout, per position)
    weight_dropout: float = 0.0  # unroll only: DropConnect on each LSTM's recurrent kernel, one mask per batch (AWD-LSTM's weight drop)
    train_output_vectors: bool = True  # softmax only: output word vectors start from word2vec and train
    train_input_vectors: bool = True  # the input Embedding starts from word2vec and trains too
    learn_scale: bool = True  # softmax only: the cosine scale is a trained weight
    word_bias: bool = True  # softmax only: a trained bias per word added to its logit (starts at log unigram frequency)
    scale: float = 20.0  # softmax: the starting scale of the cosines (learned and fitted after)
    head: str = "sampled"  # softmax only: "full" trains against every word each step; "sampled" against sampled_words candidates, the batch's own words and draws (models.sampled_head): a cost that does not grow with the vocabulary
    sampled_words: int = 2048  # head "sampled": candidate words scored per training step (the batch's targets, the rest drawn from unigram ** 0.75)
    calibrate_scale: bool = True  # softmax only: fit the scale on the validation part each epoch; pick the epoch and keep the scale by it
    unroll: bool = False  # a fixed-length model whose LSTM loop is written out, its backward pass by hand (models.fused_lstm): faster small-batch steps
    xla: str = "auto"  # compile the training step with XLA: "auto" = on for a fixed-length (unroll) model on TensorFlow, else Keras' choice (off on a CPU); "on"; "off"
    optimizer: str = "adam"  # "adam" (the default's) or "sgd" (the blog's)
    learning_rate: float = 0.002  # the optimizer's step size at the start
    learning_rate_decay: str = "cosine"  # "none" or "cosine" (to 5% of the start over all training steps)
    clip_norm: float = 0.0  # clip the global gradient norm to this (0 = no clipping)

    RANGES: ClassVar[dict[str, Bound]] = {
        "lstm_units": AT_LEAST_ONE, "lstm_layers": AT_LEAST_ONE, "dropout": BELOW_ONE, "recurrent_dropout": BELOW_ONE,
        "word_dropout": BELOW_ONE, "weight_dropout": BELOW_ONE,
        "scale": POSITIVE, "learning_rate": POSITIVE, "sampled_words": AT_LEAST_ONE, "clip_norm": NOT_NEGATIVE}
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {
        "loss": LOSSES, "head": ("full", "sampled"), "optimizer": ("adam", "sgd"), "learning_rate_decay": ("none", "cosine"),
        "xla": ("auto", "on", "off")}

    def __post_init__(self) -> None:
        check_settings(self, "train")

    def check_combination(self) -> None:
        """Settings that cannot go together; raises :class:`SettingsError`."""
        if self.carry_state and not self.every_position:
            raise SettingsError("train.carry_state needs train.every_position = true (a target at every position)")
        if self.weight_dropout and not self.unroll:
            raise SettingsError("train.weight_dropout needs train.unroll = true (the fused LSTM loop drops the weights)")
        if self.weight_dropout and self.recurrent_dropout:
            raise SettingsError("train.weight_dropout and train.recurrent_dropout cannot go together (the fused loop "
                                "takes no recurrent dropout); choose one")


@dataclass
class TrainingSchedule:
    """How long and on what to train (the ``[train]`` section's schedule half)."""

    batch_size: int = 128  # windows (or sequences) per training step
    epochs: int = 12  # passes over the training part; the epoch kept is chosen on validation
    max_train_windows: int = 0  # 0 = every training window each epoch; else a random subset per epoch
    metric_windows: int = 4000  # validation windows scored for the held-out metrics after each epoch
    steps_per_execution: int = 0  # batches per compiled call (a speed setting; 0 = enough batches for 256 windows)
    average_epochs: bool = True  # also try the averaged weights of the last 3/4, 1/2, 1/4 of the epochs; keep the best on validation
    early_stopping: bool = False  # stop when validation perplexity has not improved for `patience` epochs
    patience: int = 2  # epochs without improvement before early stopping ends training
    rng_seed: int = 1  # random seed of the data order and the initial weights

    RANGES: ClassVar[dict[str, Bound]] = {
        "batch_size": AT_LEAST_ONE, "epochs": AT_LEAST_ONE, "max_train_windows": NOT_NEGATIVE,
        "metric_windows": AT_LEAST_ONE, "patience": NOT_NEGATIVE, "steps_per_execution": NOT_NEGATIVE,
        "rng_seed": NOT_NEGATIVE}

    def __post_init__(self) -> None:
        check_settings(self, "train")

    def batches_per_execution(self) -> int:
        """``steps_per_execution``, or when it is 0 the batches that carry 256 windows (at least 1)::

            >>> TrainingSchedule(batch_size=10).batches_per_execution(), TrainingSchedule().batches_per_execution()
            (25, 2)
        """
        return self.steps_per_execution or max(1, 256 // self.batch_size)


DECODING_METHODS = ("sample", "greedy", "beam", "nearest")


@dataclass
class DecodingSettings:
    """How generation picks each next word (the ``[generate]`` section's decoding half).

    ``method``: "sample" draws from the model's distribution; "greedy" takes its most likely
    word; "beam" keeps the ``beam_width`` most likely continuations; "nearest" is the blog's
    greedy nearest word by cosine with nothing else applied. The penalties apply to sample, greedy and beam.
    """

    context: str = "carried"  # carried: one LSTM step per word, the state carried from the whole seed on; window: each word from the last window of words alone, as a 20-word model reads
    method: str = "sample"  # sample, greedy, beam, or nearest (the blog's nearest word by cosine)
    temperature: float = 1.0  # sample: divides the logits (1 = the model's own distribution; < 1 sharper, > 1 flatter; 0 = the likeliest word)
    top_k: int = 0  # sample: keep only the k most likely words (0 = no limit)
    top_p: float = 0.9  # sample: keep the smallest set of most likely words holding this much probability
    repetition_penalty: float = 1.2  # divide the probability of words used in the last repetition_window words
    repetition_window: int = 20  # how many recent words the repetition penalty covers
    no_repeat_ngram: int = 4  # never repeat an n-gram of this size within a sample (0 = allowed)
    text_pairs_only: bool = True  # a word after itself, or a punctuation mark after another, only as the run's text writes them (stops "，，", "：，")
    beam_width: int = 4  # beam: continuations kept at each step
    length_penalty: float = 1.0  # beam: rank finished beams by log-probability / length ** this
    rng_seed: int = 0  # random seed of sampling: the same seed gives the same text
    RANGES: ClassVar[dict[str, Bound]] = {
        "temperature": NOT_NEGATIVE, "top_k": NOT_NEGATIVE, "top_p": Bound(0, 1, low_open=True),
        "repetition_penalty": Bound(1), "repetition_window": NOT_NEGATIVE, "no_repeat_ngram": NOT_NEGATIVE,
        "beam_width": AT_LEAST_ONE, "length_penalty": NOT_NEGATIVE, "rng_seed": NOT_NEGATIVE}
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"method": DECODING_METHODS, "context": ("carried", "window")}

    def __post_init__(self) -> None:
        check_settings(self, "generate")


# Presets of the [train] section, as overrides of the defaults above (see models.presets).
TRAIN_PRESETS: dict[str, dict] = {
    # What gave the best held-out results on the 2-core machine: the defaults.
    "default": {},
    # The blog's settings: plain regression of the next word vector with SGD (the LSTM loop
    # written out over the 20 steps with a hand-written backward pass: the same model, faster
    # at batch 10; see models.fused_lstm).
    "blog": {"loss": "mse", "optimizer": "sgd", "learning_rate": 0.1, "batch_size": 10, "epochs": 1,
             "train_output_vectors": False, "train_input_vectors": False, "learn_scale": False, "word_bias": False,
             "dropout": 0.0, "learning_rate_decay": "none", "every_position": False, "unroll": True,
             "average_epochs": False},
}


@dataclass
class Word2VecSettings:
    """gensim Word2Vec settings; names follow gensim's arguments."""

    vector_size: int = 200  # dimensions of each word vector (the blog's 200)
    window: int = 8  # context words on each side that word2vec learns from
    negative: int = 25  # negative samples per word (0 with hierarchical softmax)
    hierarchical_softmax: bool = False  # gensim's hs: a Huffman-tree softmax instead of negative sampling
    cbow: bool = True  # CBOW (predict a word from its context); false: skip-gram
    sample: float = 1e-4  # down-sampling threshold for frequent words
    epochs: int = 15  # passes of word2vec over the text
    min_count: int = 5  # words seen fewer times are rare: one <unk> word (or left out)
    rng_seed: int = 1  # random seed of gensim's initial vectors and its sampling
    workers: int = 1  # gensim threads: 1 gives the same vectors every run; more are faster but not reproducible

    RANGES: ClassVar[dict[str, Bound]] = {
        "vector_size": AT_LEAST_ONE, "window": AT_LEAST_ONE, "negative": NOT_NEGATIVE, "sample": NOT_NEGATIVE,
        "epochs": AT_LEAST_ONE, "min_count": AT_LEAST_ONE, "workers": NOT_NEGATIVE, "rng_seed": NOT_NEGATIVE}

    def __post_init__(self) -> None:
        check_settings(self, "word2vec")
