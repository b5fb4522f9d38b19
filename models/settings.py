"""Settings of the next-word model, its training schedule and word2vec: plain dataclasses.

They live apart from the Keras and gensim code so that reading or checking a config does
not import either. The defaults are the ``default`` preset (what gave the best held-out
results on the 2-core machine); :mod:`pipeline.config` composes its ``[train]`` and
``[word2vec]`` sections from these classes, so every default is written once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

LOSSES = ("mse", "cosine", "softmax")


@dataclass
class NextWordSettings:
    """The next-word model and its optimiser (the ``[train]`` section's model half)."""

    loss: str = "softmax"  # "mse", "cosine" or "softmax" (scaled cosine over every word)
    lstm_units: int = 200
    dropout: float = 0.2  # on the LSTM's inputs
    train_output_vectors: bool = True  # softmax only: output word vectors start from word2vec and train
    train_input_vectors: bool = True  # the input Embedding starts from word2vec and trains too
    learn_scale: bool = True  # softmax only: the cosine scale is a trained weight
    scale: float = 20.0
    optimizer: str = "adam"  # "adam" or "sgd"
    learning_rate: float = 0.002
    learning_rate_decay: str = "cosine"  # "none" or "cosine" (to 5% of the start over all training steps)

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.learning_rate_decay not in ("none", "cosine"):
            raise ValueError(f"learning_rate_decay must be 'none' or 'cosine', got {self.learning_rate_decay!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@dataclass
class TrainingSchedule:
    """How long and on what to train (the ``[train]`` section's schedule half)."""

    batch_size: int = 128
    epochs: int = 5
    max_train_windows: int = 0  # 0 = every training window each epoch; else a random subset per epoch
    metric_windows: int = 4000  # validation windows scored for the held-out metrics after each epoch
    early_stopping: bool = False
    patience: int = 2
    seed: int = 1


# Presets of the [train] section, as overrides of the defaults above (see models.presets).
TRAIN_PRESETS: dict[str, dict] = {
    # What gave the best held-out results on the 2-core machine: the defaults.
    "default": {},
    # The blog's settings: plain regression of the next word vector with SGD.
    "seed": {"loss": "mse", "optimizer": "sgd", "learning_rate": 0.1, "batch_size": 10, "epochs": 1,
             "train_output_vectors": False, "train_input_vectors": False, "learn_scale": False, "dropout": 0.0,
             "learning_rate_decay": "none"},
}


@dataclass
class Word2VecSettings:
    """gensim Word2Vec settings; names follow gensim's arguments."""

    vector_size: int = 200
    window: int = 8
    negative: int = 25
    hierarchical_softmax: bool = False
    cbow: bool = True
    sample: float = 1e-4
    epochs: int = 15
    min_count: int = 5
    seed: int = 1
    workers: int = 1
