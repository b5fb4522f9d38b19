"""kill -9 at random points of `lstmlab run`, then a rerun: the outputs equal an uninterrupted run's.

The deterministic stages must give byte-identical files; word2vec (one worker, fixed hash
seed) identical vectors; training, which a kill may interrupt mid-epoch, must finish and give
held-out figures within 10% of the uninterrupted run's perplexity (with one epoch, a restart
repeats the same seeded epoch, so the figures should in fact agree closely).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "word2vec.epochs=1", "--set", "word2vec.min_count=2", "--set", "word2vec.workers=1",
        "--set", "segment.workers=1", "--set", "train.epochs=1", "--set", "train.max_train_windows=300",
        "--set", "train.metric_windows=100", "--set", "train.lstm_units=8", "--set", "train.histograms=false",
        "--set", "evaluate.max_windows=300", "--set", "generate.length=5"]
KILLS = 4


def _command(corpus: Path, run_dir: Path) -> list[str]:
    return [sys.executable, "-m", "lstmlab.pipeline.cli", "-q", "run", str(corpus), "--run-dir", str(run_dir), *TINY]


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}


@pytest.mark.slow
def test_kill_9_anywhere_then_rerun_gives_the_same_outputs(tmp_path, small_gbk_corpus):
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    started = time.perf_counter()
    subprocess.run(_command(small_gbk_corpus, reference), env=_environment(), check=True, capture_output=True)
    duration = time.perf_counter() - started
    rng = random.Random(11)
    survived = 0
    for _ in range(KILLS):
        process = subprocess.Popen(_command(small_gbk_corpus, killed), env=_environment(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, duration * 0.9))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            survived += 1
        process.wait()
    final = subprocess.run(_command(small_gbk_corpus, killed), env=_environment(), capture_output=True, text=True)
    assert final.returncode == 0, final.stderr[-2000:]
    print(f"kill -9 at random points: {survived} kills, then a clean rerun")
    for name in ("text.txt", "tokens.txt", "windows.npz"):
        assert (killed / name).read_bytes() == (reference / name).read_bytes(), name
    from gensim.models import KeyedVectors

    np.testing.assert_array_equal(KeyedVectors.load(str(killed / "word2vec.kv")).vectors,
                                  KeyedVectors.load(str(reference / "word2vec.kv")).vectors)
    ours, theirs = (json.loads((folder / "evaluation.json").read_text(encoding="utf-8"))["rows"][0]
                    for folder in (killed, reference))
    assert ours["perplexity"] == pytest.approx(theirs["perplexity"], rel=0.10)
    assert not (killed / "train_work").exists() and not list(killed.glob(".*.partial*"))
    assert survived >= 1
