"""CIFAR-10 LeNet: data loaders (tfds mock, npz folder, official tarball), normalisation, report."""

from __future__ import annotations

import io
import pickle
import tarfile

import numpy as np
import pytest

from lstmlab.models.demos.cifar import build_lenet, channel_statistics, normalise, per_class_accuracy
from lstmlab.models.demos.cifar_data import CLASS_NAMES, CifarDataError, load_cifar, load_tfds
from lstmlab.pipeline.cli import main


def random_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8), (np.arange(count) % 10).astype(np.uint8)


@pytest.fixture
def npz_folder(tmp_path):
    for name, count, seed in (("train.npz", 60, 0), ("train_extra.npz", 40, 1), ("test.npz", 30, 2)):
        images, labels = random_images(count, seed)
        np.savez_compressed(tmp_path / name, images=images, labels=labels)
    return tmp_path


def test_npz_folder_concatenates_training_files(npz_folder):
    data = load_cifar(npz_folder)
    assert data.train_images.shape == (100, 32, 32, 3) and data.test_images.shape == (30, 32, 32, 3)
    np.testing.assert_array_equal(data.train_images[60:], random_images(40, 1)[0])  # train.npz first, then extra


def test_malformed_npz_is_a_clear_error(npz_folder):
    np.savez(npz_folder / "test.npz", images=np.zeros((3, 32, 32), np.uint8), labels=np.zeros(3, np.uint8))
    with pytest.raises(CifarDataError, match=r"test.npz: 'images' must be uint8 \(N, 32, 32, 3\)"):
        load_cifar(npz_folder)
    np.savez(npz_folder / "test.npz", pixels=np.zeros(3))
    with pytest.raises(CifarDataError, match="test.npz: missing array"):
        load_cifar(npz_folder)
    with pytest.raises(CifarDataError, match="does not exist"):
        load_cifar(npz_folder / "nope")


def test_official_tarball_is_read_in_hwc_order(tmp_path):
    images, labels = random_images(12, 3)
    chw_rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    tarball = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            payload = pickle.dumps({b"data": chw_rows, b"labels": labels.tolist()})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    data = load_cifar(tmp_path)
    assert data.train_images.shape == (60, 32, 32, 3)
    np.testing.assert_array_equal(data.test_images, images)
    np.testing.assert_array_equal(data.test_labels, labels)


def test_tfds_loader_with_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=20):
        data = load_tfds()
    assert data.train_images.shape == (20, 32, 32, 3) and data.train_images.dtype == np.uint8
    assert data.test_labels.shape == (20,) and data.test_labels.max() <= 9


def test_normalisation_uses_training_statistics(npz_folder):
    data = load_cifar(npz_folder)
    mean, std = channel_statistics(data.train_images)
    normalised = normalise(data.train_images, mean, std)
    np.testing.assert_allclose(normalised.reshape(-1, 3).mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(normalised.reshape(-1, 3).std(axis=0), 1, atol=1e-4)
    test_normalised = normalise(data.test_images, mean, std)
    np.testing.assert_allclose(test_normalised[0, 0, 0], (data.test_images[0, 0, 0] - mean) / std, rtol=1e-5)


def test_lenet_shapes_and_log_probabilities():
    model = build_lenet()
    assert [layer.name for layer in model.layers if layer.weights] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    assert model.count_params() == 62_006  # the Torch/PyTorch tutorial's LeNet
    log_probabilities = model.predict(np.zeros((2, 32, 32, 3), np.float32), verbose=0)
    np.testing.assert_allclose(np.exp(log_probabilities).sum(axis=1), 1.0, rtol=1e-5)


def test_per_class_accuracy():
    labels = np.array([0, 0, 1, 1, 2])
    log_probabilities = np.log(np.eye(10)[[0, 1, 1, 1, 3]] + 1e-9)
    accuracy = per_class_accuracy(log_probabilities, labels)
    assert accuracy["airplane"] == 0.5 and accuracy["automobile"] == 1.0 and accuracy["bird"] == 0.0
    assert np.isnan(accuracy["truck"]) and list(accuracy) == list(CLASS_NAMES)


def test_cifar_command_prints_the_report(npz_folder, tmp_path, capsys):
    assert main(["-q", "cifar", "--data-dir", str(npz_folder), "--epochs", "1", "--run-dir", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "test image 100, true class" in out and "test accuracy:" in out and "truck" in out
    assert main(["-q", "cifar", "--data-dir", str(tmp_path / "missing")]) == 2
