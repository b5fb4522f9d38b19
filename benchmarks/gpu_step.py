"""The GPU check of the training-speed issue, prepared for a session that is lent a device machine.

It measures, in one run, on one GPU with Keras on JAX (the device machine has no TensorFlow):

1. the default preset's training step at batch 1024 on 红楼梦's ids (``model.fit``, windows/s);
2. the same model in PyTorch with cuDNN's LSTM (:func:`lstmlab.bench.torch_models.torch_default_windows_per_second`);
3. a whole default training of 红楼梦 (:func:`models.training.train_next_word`, the default schedule:
   12 epochs at batch 128, held-out figures each epoch), in seconds, unless ``--no-training``.

The device machine gets the repository only (not ``../shared``) and has no gensim and no Keras,
so first, here, export the run folder's ids and vectors into an ignored folder and download the
wheels of Keras and the two packages it needs that the device lacks, for its Python 3.12 (the
device tool's README gives the pip flags)::

    echo /.gpu/ >> .git/info/exclude; echo /.whl/ >> .git/info/exclude
    python benchmarks/gpu_step.py export runs/hongloumeng .gpu/hongloumeng.npz
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 -d .whl keras==3.15.1 namex optree

then on the device, carrying ``.gpu`` and ``.whl``::

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl \
        && PYTHONPATH=/tmp/site KERAS_BACKEND=jax python3 benchmarks/gpu_step.py measure .gpu/hongloumeng.npz \
        --out $OUT/gpu.json

Here, the same command on the CPU with ``--batch-size 64 --steps 3 --epochs 1`` checks that it
runs. It prints one line per figure and writes them as JSON with ``--out``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def export(run_dir: Path, out: Path) -> None:
    """Write ``out`` (npz): the run's ids (N,) int32, its split boundaries, window length, word
    vectors (V, D) float32 and the unknown word's ids (0 or 1 of them)."""
    from lstmlab.corpus.vocabulary import unknown_ids
    from lstmlab.pipeline import run_folder

    windows, vectors = run_folder.load_windows(run_dir), run_folder.load_vectors(run_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, ids=windows.ids, validation_boundary=windows.split.validation_boundary,
             test_boundary=windows.split.test_boundary, length=windows.length,
             vectors=vectors.vectors.astype(np.float32),
             unknown=np.asarray(unknown_ids(vectors.index_to_key), dtype=np.int64))
    print(f"wrote {out}: {len(windows.ids)} ids, {len(vectors.vectors)} words")


def measure(data_path: Path, batch_size: int, steps: int, repeats: int, training: bool, epochs: int = 12) -> dict:
    """The figures above as a dict: rates are lists (one per timed run) of windows/s; the whole
    training runs the default schedule with ``epochs`` epochs."""
    import keras

    from lstmlab.corpus.windows import split_at_boundaries
    from lstmlab.models.settings import NextWordSettings, TrainingSchedule
    from lstmlab.models.training import train_next_word
    from lstmlab.bench.timing import keras_windows_per_second

    with np.load(data_path) as data:
        ids, vectors, length = data["ids"], data["vectors"], int(data["length"])
        split = split_at_boundaries(len(ids), length, int(data["validation_boundary"]), int(data["test_boundary"]))
        unknown = data["unknown"].tolist()
    figures = {"backend": keras.backend.backend(), "devices": [str(device) for device in _devices()],
               "batch_size": batch_size, "steps": steps}
    figures["keras_default_step"] = keras_windows_per_second(ids, vectors, NextWordSettings(), batch_size, steps,
                                                             repeats, length)
    _report("keras default step", figures["keras_default_step"])
    figures["pytorch_default_step"] = _pytorch_rates(ids, vectors, batch_size, steps, repeats, length)
    if figures["pytorch_default_step"]:
        _report("pytorch default step", figures["pytorch_default_step"])
    if training:
        with tempfile.TemporaryDirectory() as work_dir:
            started = time.perf_counter()
            _, history = train_next_word(ids, split, length, vectors, NextWordSettings(), TrainingSchedule(epochs=epochs),
                                         work_dir, verbose=2, unscored=unknown)
            figures["default_training_seconds"] = time.perf_counter() - started
        figures["default_training_kept"] = history["kept"]
        print(f"default training: {figures['default_training_seconds']:.1f} s, kept {history['kept']}", flush=True)
    return figures


def _devices() -> list:
    try:
        import jax

        return jax.devices()
    except ImportError:
        return []


def _pytorch_rates(ids, vectors, batch_size: int, steps: int, repeats: int, length: int) -> list[float]:
    """PyTorch's rates on its GPU (cuDNN) when it sees one, else on the CPU; [] without PyTorch."""
    from lstmlab.bench.torch_models import torch_available, torch_default_windows_per_second

    if not torch_available():
        logging.warning("PyTorch is not installed: no PyTorch figure")
        return []
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch_default_windows_per_second(ids, vectors, batch_size, steps, repeats, os.cpu_count() or 1, length,
                                            device=device)


def _report(name: str, rates: list[float]) -> None:
    print(f"{name}: median {np.median(rates):.0f} windows/s (min {min(rates):.0f}, max {max(rates):.0f})", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    exporting = commands.add_parser("export", help="here: a run folder's ids and vectors -> one npz")
    exporting.add_argument("run_dir", type=Path)
    exporting.add_argument("out", type=Path)
    measuring = commands.add_parser("measure", help="on the device: the step rates and a whole training")
    measuring.add_argument("data", type=Path, help="the npz written by export")
    measuring.add_argument("--batch-size", type=int, default=1024)
    measuring.add_argument("--steps", type=int, default=50, help="batches per timed run")
    measuring.add_argument("--repeats", type=int, default=5, help="timed runs after one warm-up")
    measuring.add_argument("--no-training", action="store_true", help="skip the whole default training")
    measuring.add_argument("--epochs", type=int, default=12, help="epochs of the whole training (default: the default's 12)")
    measuring.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "export":
        return export(args.run_dir, args.out)
    figures = measure(args.data, args.batch_size, args.steps, args.repeats, not args.no_training, args.epochs)
    print(f"command: {' '.join(sys.argv)}")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
