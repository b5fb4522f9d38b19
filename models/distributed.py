"""Data-parallel training over every device of every process, with ``keras.distribution``.

Keras 3's distribution engine runs on the JAX backend: :func:`start_data_parallel` joins the
processes (``keras.distribution.initialize``, which wraps ``jax.distributed.initialize``) and
sets a ``DataParallel`` distribution over all their devices, so each training step is one
global batch split across the devices and the gradients are all-reduced. Each process feeds
its own share of every global batch (:class:`Shard`; see :mod:`models.window_data`): Keras
shards input by itself only for a ``tf.data.Dataset``, and the id windows are cut from a
numpy stream in a ``PyDataset`` on every backend.

The TensorFlow backend is refused: Keras 3's ``fit`` does not work under
``MultiWorkerMirroredStrategy`` (keras-team/keras#20585, tensorflow/tensorflow#72388).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import keras

logger = logging.getLogger(__name__)

TENSORFLOW_REFUSAL = (
    "distributed training runs on the JAX backend only: set KERAS_BACKEND=jax (pip install jax). "
    "On TensorFlow, Keras 3's fit does not work under MultiWorkerMirroredStrategy "
    "(keras-team/keras#20585, tensorflow/tensorflow#72388)")


class DistributionError(ValueError):
    """Distributed training cannot start as asked (wrong backend, bad batch size, bad cluster)."""


@dataclass(frozen=True)
class Shard:
    """This process's share of every global batch: rows ``[index * n / count, (index + 1) * n / count)``
    of each batch of ``n`` rows, ``count`` processes in all; ``devices`` is the number of
    devices over all processes (every global batch must split evenly over them)."""

    index: int = 0
    count: int = 1
    devices: int = 1

    def rows(self, batch_rows: int) -> slice:
        """The slice of a global batch of ``batch_rows`` rows that this process feeds."""
        share = batch_rows // self.count
        return slice(self.index * share, (self.index + 1) * share)


def start_data_parallel(coordinator: str, num_processes: int, process_id: int, seed: int) -> Shard:
    """Join ``num_processes`` processes through ``coordinator`` ("host:port" of process 0; unused
    for one process) and shard every batch over all their devices.

    The global random seed is set first, so every process builds the same initial weights
    (and ``initialize`` skips its seed-agreeing collective). Returns this process's
    :class:`Shard`. Raises :class:`DistributionError` on the TensorFlow backend or for a bad
    process id.
    """
    if keras.backend.backend() != "jax":
        raise DistributionError(TENSORFLOW_REFUSAL)
    if not 0 <= process_id < num_processes:
        raise DistributionError(f"process_id {process_id} is not in 0..{num_processes - 1}")
    keras.utils.set_random_seed(seed)
    if num_processes > 1:
        if not coordinator:
            raise DistributionError("several processes need a coordinator address (host:port of process 0)")
        keras.distribution.initialize(coordinator, num_processes, process_id)
    devices = keras.distribution.list_devices()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False))
    logger.info("process %d of %d: data parallel over %d devices", process_id, num_processes, len(devices))
    return Shard(process_id, num_processes, len(devices))


def finish_data_parallel() -> None:
    """Leave the distribution once training is over, so that what follows in each process alone
    (saving ``model.keras``, whose optimizer placeholder would otherwise be placed across all
    processes: a collective the other processes never join) runs locally."""
    keras.distribution.set_distribution(None)


def check_batch_size(batch_size: int, shard: Shard) -> None:
    """Raise :class:`DistributionError` unless a global batch splits evenly over the devices."""
    if batch_size % shard.devices:
        raise DistributionError(f"train.batch_size = {batch_size} does not split evenly over {shard.devices} "
                                f"devices; use a multiple of {shard.devices}")
