"""Runs that can be repeated: two fresh runs give the same files, and a training killed with
kill -9 after a finished epoch and started again ends with the predictor of one never stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "word2vec.epochs=1", "--set", "word2vec.min_count=2", "--set", "segment.workers=1",
        "--set", "train.max_train_windows=600", "--set", "train.metric_windows=100", "--set", "train.lstm_units=8",
        "--set", "train.histograms=false", "--set", "train.batch_size=32"]


def _run(corpus: Path, run_dir: Path, *settings: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "lstmlab", "-q", "run", str(corpus), "--run-dir", str(run_dir), "--until",
               "train", *TINY, *settings]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen) -> None:
    _, error = process.communicate(timeout=600)
    assert process.returncode == 0, error[-2000:]


@pytest.mark.slow
def test_two_fresh_runs_write_the_same_vectors_and_predictor(tmp_path, small_gbk_corpus):
    first, second = tmp_path / "first", tmp_path / "second"
    _finish(_run(small_gbk_corpus, first, "--set", "train.epochs=2"))
    _finish(_run(small_gbk_corpus, second, "--set", "train.epochs=2"))
    for name in ("vectors.bin", "predictor.npz"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    manifest = json.loads((first / "manifests" / "word2vec.json").read_text(encoding="utf-8"))
    assert manifest["details"]["reproducible"] is True


@pytest.mark.slow
@pytest.mark.parametrize("carry_state", ["false", "true"])
def test_a_training_killed_after_an_epoch_resumes_to_the_same_predictor(tmp_path, small_gbk_corpus, carry_state):
    settings = ("--set", "train.epochs=4", "--set", f"train.carry_state={carry_state}")
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    _finish(_run(small_gbk_corpus, reference, *settings))
    process = _run(small_gbk_corpus, killed, *settings)
    history = killed / "train_work" / "history.json"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:  # kill -9 once epoch 2 is saved
        if history.is_file() and len(json.loads(history.read_text(encoding="utf-8") or "{}").get("loss", [])) >= 2:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "training ended before the kill"
    _finish(_run(small_gbk_corpus, killed, *settings))
    assert (killed / "predictor.npz").read_bytes() == (reference / "predictor.npz").read_bytes()
