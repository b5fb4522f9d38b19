"""lstmlab bench --quick: every measurement runs and reports sane figures (no speed targets here)."""

from __future__ import annotations

import json

import pytest

from pipeline.bench_timing import lstm_training_flops_per_window
from pipeline.cli import main
from pipeline.config import default_workers
from tests.conftest import corpus_file


def test_flops_formula():
    assert lstm_training_flops_per_window(20, 200, 200) == 3 * 2 * 20 * 800 * 400 == 38_400_000


@pytest.mark.slow
def test_quick_bench_measures_every_row(tmp_path, capsys):
    cores = default_workers(0)
    out = tmp_path / "bench.json"
    assert main(["-q", "bench", "--quick", "--corpus", str(corpus_file("rulinwaishi.txt")), "--out", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["name"]: row for row in report["rows"]}
    for name in ("fix-encoding", "segment, 1 worker", "word2vec (blog settings, 15 epochs)",
                 "train keras default preset (every position, softmax, Adam), batch 128",
                 "generate nearest word (the blog's)", "generate default sampling",
                 f"train jax default, 1 process x {cores} threads", "train jax seed preset (MSE, SGD), batch 10"):
        row = rows[name]
        assert row["median"] > 0 and row["low"] <= row["median"] <= row["high"], name
        assert 10 < row["peak_rss_mb"] < 4000, name
    assert report["flops_per_window"] == 38_400_000
    printed = capsys.readouterr().out
    assert "command: lstmlab bench" in printed and "matmul bound of the LSTM alone" in printed 
    if cores > 1:
        assert rows[f"train jax default, {cores} processes x 1 core"]["median"] > 0
        assert f"data parallel: {cores} processes" in printed
