"""CIFAR-10 as numpy arrays from three sources: tensorflow-datasets, a folder of npz files,
or the official ``cifar-10-python.tar.gz``.

Every loader returns :class:`CifarArrays`: uint8 images (N, 32, 32, 3) in HWC RGB order and
uint8 labels (N,) with the standard indices (0 airplane ... 9 truck). A malformed source
raises :class:`CifarDataError` naming the file.
"""

from __future__ import annotations

import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
OFFICIAL_TARBALL = "cifar-10-python.tar.gz"


class CifarDataError(ValueError):
    """A CIFAR-10 file or folder is missing or does not hold what it should."""


@dataclass
class CifarArrays:
    """``train_images`` (N, 32, 32, 3) uint8, ``train_labels`` (N,) uint8, and the same for test."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def _checked(images: np.ndarray, labels: np.ndarray, source: Path) -> tuple[np.ndarray, np.ndarray]:
    if images.ndim != 4 or images.shape[1:] != (32, 32, 3) or images.dtype != np.uint8:
        raise CifarDataError(f"{source}: 'images' must be uint8 (N, 32, 32, 3), got {images.dtype} {images.shape}")
    if labels.shape != (len(images),):
        raise CifarDataError(f"{source}: 'labels' must have shape ({len(images)},), got {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise CifarDataError(f"{source}: labels must be 0..9, found {labels.min()}..{labels.max()}")
    return images, labels.astype(np.uint8)


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path) as data:
            missing = {"images", "labels"} - set(data.files)
            if missing:
                raise CifarDataError(f"{path}: missing array(s) {', '.join(sorted(missing))}; has {data.files}")
            return _checked(data["images"], data["labels"], path)
    except (OSError, ValueError) as error:
        if isinstance(error, CifarDataError):
            raise
        raise CifarDataError(f"{path}: not a readable npz file: {error}") from None


def load_npz_folder(folder: str | Path) -> CifarArrays:
    """Read ``test.npz`` and every ``train*.npz`` (e.g. ``train.npz`` + ``train_extra.npz``) in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CifarDataError(f"CIFAR-10 data folder {folder} does not exist")
    train_files = sorted(folder.glob("train*.npz"))
    if not (folder / "test.npz").is_file() or not train_files:
        raise CifarDataError(f"{folder}: expected test.npz and train*.npz (arrays 'images' and 'labels')")
    train = [_read_npz(path) for path in train_files]
    test_images, test_labels = _read_npz(folder / "test.npz")
    return CifarArrays(np.concatenate([t[0] for t in train]), np.concatenate([t[1] for t in train]),
                       test_images, test_labels)


def _read_batch(archive: tarfile.TarFile, member: str, tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        handle = archive.extractfile(f"cifar-10-batches-py/{member}")
        batch = pickle.load(handle, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return _checked(images, np.asarray(batch[b"labels"], dtype=np.int64), tarball)
    except (KeyError, TypeError, ValueError, pickle.UnpicklingError) as error:
        if isinstance(error, CifarDataError):
            raise
        raise CifarDataError(f"{tarball}: cannot read {member}: {error}") from None


def load_official_tarball(tarball: str | Path) -> CifarArrays:
    """Read the official python-version archive (data_batch_1..5 and test_batch, CHW rows)."""
    tarball = Path(tarball)
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            train = [_read_batch(archive, f"data_batch_{i}", tarball) for i in range(1, 6)]
            test_images, test_labels = _read_batch(archive, "test_batch", tarball)
    except (OSError, tarfile.TarError) as error:
        raise CifarDataError(f"{tarball}: not a readable {OFFICIAL_TARBALL}: {error}") from None
    return CifarArrays(np.concatenate([t[0] for t in train]), np.concatenate([t[1] for t in train]),
                       test_images, test_labels)


def load_tfds(data_dir: str | None = None) -> CifarArrays:
    """Load ``cifar10`` with tensorflow-datasets (downloads it on first use when online)."""
    import tensorflow_datasets as tfds

    def to_arrays(split: str) -> tuple[np.ndarray, np.ndarray]:
        # Batches of 10,000 rather than batch_size=-1, which needs split sizes that mocked data lacks.
        dataset = tfds.load("cifar10", split=split, as_supervised=True, data_dir=data_dir).batch(10_000)
        batches = list(tfds.as_numpy(dataset))
        return (np.concatenate([b[0] for b in batches]).astype(np.uint8),
                np.concatenate([b[1] for b in batches]).astype(np.uint8))

    return CifarArrays(*to_arrays("train"), *to_arrays("test"))


def load_cifar(data_dir: str | Path | None = None) -> CifarArrays:
    """From ``data_dir`` (an npz folder, a folder with the official tarball, or the tarball itself),
    or from tensorflow-datasets when ``data_dir`` is None."""
    if data_dir is None:
        return load_tfds()
    path = Path(data_dir)
    if path.is_file():
        return load_official_tarball(path)
    if (path / OFFICIAL_TARBALL).is_file() and not (path / "test.npz").is_file():
        return load_official_tarball(path / OFFICIAL_TARBALL)
    return load_npz_folder(path)
