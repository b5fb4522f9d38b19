"""TensorBoard wiring for training: scalars and histograms, generated text, embedding projector.

Scalars (loss, validation loss, held-out top-1/top-10) and weight histograms come from
``keras.callbacks.TensorBoard``; :class:`GeneratedTextLogger` adds a generated sample as
text after each epoch; :func:`write_projector` writes the word vectors with a words
metadata file for TensorBoard's embedding projector. All of it needs TensorFlow's summary
writer: where TensorFlow is not installed (e.g. a JAX-only machine) training goes on
without TensorBoard and says so.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Callable

import keras
import numpy as np

logger = logging.getLogger(__name__)


def tensorflow_available() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


class GeneratedTextLogger(keras.callbacks.Callback):
    """Writes ``make_sample()`` (a string) as a TensorBoard text summary after each epoch."""

    def __init__(self, log_dir: Path, make_sample: Callable[[keras.Model], str]) -> None:
        super().__init__()
        self.log_dir = log_dir
        self.make_sample = make_sample

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        import tensorflow as tf

        sample = self.make_sample(self.model)
        logger.info("epoch %d sample: %s", epoch + 1, sample)
        with tf.summary.create_file_writer(str(self.log_dir / "samples")).as_default():
            tf.summary.text("generated", sample, step=epoch + 1)


def tensorboard_callbacks(log_dir: Path, make_sample: Callable[[keras.Model], str], histograms: bool) -> list:
    """The TensorBoard callbacks for one training run, or [] without TensorFlow."""
    if not tensorflow_available():
        logger.warning("TensorFlow is not installed: training without TensorBoard logs")
        return []
    return [
        keras.callbacks.TensorBoard(str(log_dir), histogram_freq=1 if histograms else 0, write_graph=False),
        GeneratedTextLogger(log_dir, make_sample),
    ]


def write_projector(log_dir: Path, words: list[str], matrices: dict[str, np.ndarray]) -> None:
    """Write word vectors for the embedding projector: one TSV per matrix, ``metadata.tsv``
    (one word a line) and ``projector_config.pbtxt`` naming them, all in ``log_dir``, which
    must be a TensorBoard run folder (one with event files) for the projector to find them."""
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / "metadata.tsv").write_text("\n".join(w.replace("\t", " ") for w in words) + "\n", encoding="utf-8")
    entries = []
    for name, matrix in matrices.items():
        np.savetxt(log_dir / f"{name}.tsv", matrix, delimiter="\t", fmt="%.5f", encoding="utf-8")
        entries.append(f'embeddings {{\n  tensor_name: "{name}"\n  tensor_path: "{name}.tsv"\n'
                       f'  metadata_path: "metadata.tsv"\n}}\n')
    (log_dir / "projector_config.pbtxt").write_text("".join(entries), encoding="utf-8")


class ScalarLog:
    """Writes scalars to a TensorBoard log folder; does nothing (once warned) without TensorFlow."""

    def __init__(self, log_dir: Path) -> None:
        self.writer = None
        if tensorflow_available():
            import tensorflow as tf

            self.writer = tf.summary.create_file_writer(str(log_dir))
        else:
            logger.warning("TensorFlow is not installed: no TensorBoard logs in %s", log_dir)

    def scalar(self, name: str, value: float, step: int) -> None:
        if self.writer is not None:
            import tensorflow as tf

            with self.writer.as_default():
                tf.summary.scalar(name, value, step=step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.flush()
