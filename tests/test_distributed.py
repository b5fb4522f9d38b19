"""Data-parallel training (JAX backend): one process, one process with 2 CPU devices and 2
processes over 127.0.0.1 train the same weights; a dead process stops the others with an error;
the TensorFlow backend is refused with the reason."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from lstmlab.corpus.windows import window_batch
from lstmlab.models.distributed import DistributionError, Shard, start_data_parallel
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.pipeline.cli import main
from lstmlab.pipeline.launcher import core_shares, launch_local_processes
from lstmlab.pipeline.run_folder import load_windows

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("jax")

# 64 sequences an epoch, batch 32: every global batch splits evenly over 2 devices, so the
# three ways see exactly the same batches.
SETTINGS = ["--set", "train.epochs=2", "--set", "train.max_train_windows=64", "--set", "train.batch_size=32",
            "--set", "train.lstm_units=16", "--set", "train.metric_windows=100", "--set", "train.histograms=false",
            "--set", "train.head=full"]  # data-parallel training trains the full head: the single process too
TIMEOUT = 300


@pytest.fixture(scope="module")
def windows_run(tmp_path_factory, small_gbk_corpus) -> Path:
    run_dir = tmp_path_factory.mktemp("distributed") / "run"
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(run_dir), "--until", "windows",
                 "--set", "word2vec.epochs=1", "--set", "word2vec.min_count=2", "--set", "segment.workers=1"]) == 0
    return run_dir


def _train(run_dir: Path, *flags: str, env: dict | None = None) -> NumpyNextWordPredictor:
    command = [sys.executable, "-m", "lstmlab.pipeline.cli", "-q", "train", str(run_dir), *SETTINGS, *flags]
    environment = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(ROOT), **(env or {})}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return NumpyNextWordPredictor.load(run_dir / "predictor.npz")[0]


def _relative_difference(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.linalg.norm(first - second) / np.linalg.norm(first))


@pytest.mark.slow
@pytest.mark.parametrize("carry_state", ["false", "true"])  # with the state carried each row carries its own
def test_one_process_two_devices_and_two_processes_train_the_same_weights(windows_run, tmp_path, carry_state):
    ways = {name: tmp_path / name for name in ("one", "devices", "processes")}
    for folder in ways.values():
        shutil.copytree(windows_run, folder)
    carry = ("--set", f"train.carry_state={carry_state}")
    one = _train(ways["one"], *carry)
    devices = _train(ways["devices"], "--distributed", *carry,
                     env={"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    processes = _train(ways["processes"], "--local-processes", "2", *carry)
    for other in (devices, processes):
        for name in ("embeddings", "output_vectors", "dense_kernel"):
            assert _relative_difference(getattr(one, name), getattr(other, name)) < 1e-5, name
        predicted = np.isfinite(one.output_bias)  # <unk>'s bias is -inf: never predicted
        np.testing.assert_array_equal(predicted, np.isfinite(other.output_bias))
        assert predicted.sum() == len(predicted) - 1
        assert _relative_difference(one.output_bias[predicted], other.output_bias[predicted]) < 1e-5
        assert _relative_difference(one.lstms[0].recurrent_kernel, other.lstms[0].recurrent_kernel) < 1e-5
    assert not list(ways["processes"].glob("train_work*"))  # every process removed its resume state
    windows = load_windows(windows_run)
    test_starts = np.arange(windows.split.test_boundary, len(windows.ids) - windows.length - 1, 7)
    inputs, targets = window_batch(windows.ids, test_starts, windows.length)
    alone, together = one.score_windows(inputs, targets), processes.score_windows(inputs, targets)
    assert (alone.top1, alone.top10) == (together.top1, together.top10)
    # float32 gradients summed in another order: weights within 1e-5, log-likelihoods within 1e-4
    assert together.perplexity == pytest.approx(alone.perplexity, rel=1e-4)


@pytest.mark.slow
def test_a_killed_process_stops_the_others_with_an_error_naming_it(windows_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(windows_run, run_dir)

    def kill_process_1(processes):
        time.sleep(8)  # both have started and joined (or are joining)
        processes[1].send_signal(signal.SIGKILL)

    os.environ.setdefault("PYTHONPATH", str(ROOT))
    started = time.monotonic()
    with pytest.raises(DistributionError, match="training process 1 of 2 was killed by SIGKILL; stopped the others"):
        launch_local_processes(2, ["train", str(run_dir), *SETTINGS, "--set", "train.epochs=50", "--distributed"],
                               on_start=kill_process_1)
    assert time.monotonic() - started < 60


def test_tensorflow_backend_is_refused_with_the_reason():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("checks the TensorFlow backend")
    with pytest.raises(DistributionError, match="JAX backend only.*keras-team/keras#20585"):
        start_data_parallel("", 1, 0, seed=1)


def test_each_process_feeds_its_rows_of_every_global_batch():
    shards = [Shard(index, 2, 2) for index in range(2)]
    assert [shard.rows(32) for shard in shards] == [slice(0, 16), slice(16, 32)]
    assert core_shares([0, 1, 2], 2) == [[0, 1], [2]]


def test_bad_local_process_count_is_refused(windows_run, capsys):
    assert main(["-q", "train", str(windows_run), "--local-processes", "1"]) == 2
    assert "give 2 or more processes" in capsys.readouterr().err
