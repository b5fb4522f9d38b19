"""Keras port of the Torch7 tutorial's CIFAR-10 LeNet.

conv 6@5x5, ReLU, 2x2 max-pool, conv 16@5x5, ReLU, 2x2 max-pool, flatten, 120, ReLU, 84,
ReLU, 10, log-softmax. Inputs are normalised with the training set's per-channel mean and
standard deviation::

    >>> build_lenet().output_shape                     # log-probabilities of the 10 classes
    (None, 10)

Training: ``train_cifar(load_cifar("../shared/cifar10"), CifarSettings(epochs=1))`` returns the
model and a :class:`CifarReport` (test accuracy, per-class accuracy, seconds per epoch).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from lstmlab.models.demos.cifar_data import CLASS_NAMES


@dataclass
class CifarSettings:
    """The ``blog`` preset is Torch's StochasticGradient: SGD lr 0.001, batch 1, 5 epochs."""

    learning_rate: float = 0.01
    momentum: float = 0.9
    batch_size: int = 32
    epochs: int = 15
    cosine_decay: bool = True
    flip_augmentation: bool = True
    rng_seed: int = 0


# Presets are overrides of the defaults above.
PRESETS: dict[str, dict] = {
    "default": {},
    "blog": {"learning_rate": 0.001, "momentum": 0.0, "batch_size": 1, "epochs": 5, "cosine_decay": False,
             "flip_augmentation": False},
}


def channel_statistics(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation (3,) of uint8 images (N, 32, 32, 3), in pixel units."""
    pixels = images.reshape(-1, images.shape[-1]).astype(np.float64)
    return pixels.mean(axis=0), pixels.std(axis=0)


def normalise(images: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(images - mean) / std per channel, float32 of the same shape."""
    return ((images.astype(np.float32) - mean.astype(np.float32)) / std.astype(np.float32)).astype(np.float32)


def build_lenet(flip_augmentation: bool = False) -> keras.Model:
    """images (B, 32, 32, 3) normalised -> log-probabilities (B, 10)."""
    inputs = keras.Input(shape=(32, 32, 3), name="image")
    x = keras.layers.RandomFlip("horizontal", name="flip")(inputs) if flip_augmentation else inputs
    x = keras.layers.Conv2D(6, 5, activation="relu", name="conv1")(x)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(16, 5, activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(120, activation="relu", name="fc1")(x)
    x = keras.layers.Dense(84, activation="relu", name="fc2")(x)
    x = keras.layers.Dense(10, name="fc3")(x)
    outputs = keras.layers.Activation("log_softmax", name="log_softmax")(x)
    return keras.Model(inputs, outputs, name="lenet")


def compile_lenet(model: keras.Model, settings: CifarSettings, steps_per_epoch: int) -> None:
    """SGD (with momentum and cosine decay if set); loss is the negative log-likelihood."""
    learning_rate = settings.learning_rate
    if settings.cosine_decay:
        learning_rate = keras.optimizers.schedules.CosineDecay(settings.learning_rate,
                                                               decay_steps=steps_per_epoch * settings.epochs)
    # log_softmax is idempotent, so cross-entropy "from logits" on log-probabilities is exactly the NLL.
    model.compile(optimizer=keras.optimizers.SGD(learning_rate, momentum=settings.momentum),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])


def per_class_accuracy(log_probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy of argmax predictions for each class name (NaN for a class with no images)."""
    predicted = np.argmax(log_probabilities, axis=1)
    return {name: float(np.mean(predicted[labels == index] == index)) if np.any(labels == index) else float("nan")
            for index, name in enumerate(CLASS_NAMES)}


class _EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        import time

        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        import time

        self.seconds.append(time.perf_counter() - self.started)


@dataclass
class CifarReport:
    """``probabilities_100``: class probabilities (10,) of test image 100; ``test_accuracy``;
    ``class_accuracy`` by class name; ``epoch_seconds`` per epoch (training and validation)."""

    probabilities_100: np.ndarray
    label_100: int
    test_accuracy: float
    class_accuracy: dict[str, float]
    epoch_seconds: list[float]


def train_cifar(data, settings: CifarSettings, callbacks: list | None = None, verbose: int = 2) -> tuple[keras.Model, CifarReport]:
    """Train the LeNet on ``data`` (:class:`models.demos.cifar_data.CifarArrays`) and score it on the test set."""
    keras.utils.set_random_seed(settings.rng_seed)
    mean, std = channel_statistics(data.train_images)
    train_x, test_x = normalise(data.train_images, mean, std), normalise(data.test_images, mean, std)
    model = build_lenet(settings.flip_augmentation)
    steps = int(np.ceil(len(train_x) / settings.batch_size))
    compile_lenet(model, settings, steps)
    timer = _EpochTimer()
    model.fit(train_x, data.train_labels, batch_size=settings.batch_size, epochs=settings.epochs,
              validation_data=(test_x, data.test_labels), callbacks=[timer, *(callbacks or [])], verbose=verbose)
    log_probabilities = model.predict(test_x, batch_size=1000, verbose=0)
    accuracy = float(np.mean(np.argmax(log_probabilities, axis=1) == data.test_labels))
    index = min(100, len(test_x) - 1)
    return model, CifarReport(np.exp(log_probabilities[index]), int(data.test_labels[index]), accuracy,
                              per_class_accuracy(log_probabilities, data.test_labels), timer.seconds)
