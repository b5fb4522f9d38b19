"""Stateful LSTM layers whose carried state is part of the model's state on every backend.

Keras' stateful RNN keeps its state in variables it deliberately leaves untracked. On
TensorFlow a training step writes them in place, so the state carries from one batch to the
next; on JAX a training step is a pure function of the model's tracked variables, so the
untracked state never leaves the step and every batch starts from zero. These layers create the
same two variables (h and c, (B, H) each) as non-trainable weights instead, like a batch norm's
moving statistics: the JAX trainer then passes them into each step and keeps what the step
assigned, and no gradient flows into them, so backpropagation stops at each window's start
exactly as on TensorFlow. Their names end in :data:`STATE_SUFFIX`, so code that copies a
model's weights into a model without state (:func:`weights_without_state`) can leave them out.
"""

from __future__ import annotations

import keras

from lstmlab.models.fused_lstm import FusedLSTM

STATE_SUFFIX = "carried_state"


class _TrackedState:
    """Creates a stateful RNN's state variables as the layer's non-trainable weights."""

    def _create_state_variables(self, batch_size: int) -> None:
        self.states = [self.add_weight(shape=tuple(value.shape), initializer="zeros", trainable=False,
                                       name=f"{kind}_{STATE_SUFFIX}")
                       for kind, value in zip("hc", self.get_initial_state(batch_size))]


@keras.saving.register_keras_serializable(package="lstmlab")
class CarriedLSTM(_TrackedState, keras.layers.LSTM):
    """``keras.layers.LSTM(stateful=True)`` whose state the JAX trainer carries too."""


@keras.saving.register_keras_serializable(package="lstmlab")
class CarriedFusedLSTM(_TrackedState, FusedLSTM):
    """:class:`models.fused_lstm.FusedLSTM` with ``stateful=True`` whose state the JAX trainer carries too."""


def is_state(variable) -> bool:
    """Whether a model's variable is a carried state (not a weight that training learns)."""
    return variable.path.endswith(STATE_SUFFIX)


def copy_weights_without_state(source: keras.Model, target: keras.Model) -> None:
    """Set every weight of ``target`` to the weight of the same path in ``source`` (a stateful
    or sampled-head training model of the same layers), leaving the carried state out."""
    weights = {variable.path: variable for variable in source.weights if not is_state(variable)}
    missing = [variable.path for variable in target.weights if variable.path not in weights]
    if missing or len(weights) != len(target.weights):
        raise ValueError(f"the models' weights differ: {missing or sorted(weights)}")
    for variable in target.weights:
        variable.assign(weights[variable.path])
