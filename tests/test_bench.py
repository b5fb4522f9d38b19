"""lstmlab bench --quick: every measurement runs and reports sane figures (no speed targets here)."""

from __future__ import annotations

import json
import sys

import pytest

from lstmlab.bench.pairs import alternating_rates, rates_by_turns, round_ratios
from lstmlab.bench.timing import lstm_training_flops_per_window
from lstmlab.pipeline.cli import main
from lstmlab.pipeline.machine import default_workers
from tests.conftest import corpus_file


def test_flops_formula():
    assert lstm_training_flops_per_window(20, 200, 200) == 3 * 2 * 20 * 800 * 400 == 38_400_000


def test_alternating_rates_take_turns_after_one_warm_up_each():
    calls = []
    rates = alternating_rates({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 2.0, 3)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert [len(rates["a"]), len(rates["b"])] == [3, 3] and min(rates["a"] + rates["b"]) > 0


def _turn_worker(name: str, log) -> list[str]:
    """A worker serving turns whose run appends its name to ``log``."""
    code = ("import json, sys\n"
            "from lstmlab.bench.pairs import serve_turns\n"
            f"run = lambda: open({str(log)!r}, 'a', encoding='utf-8').write({name!r})\n"
            "rates = serve_turns(run, 2.0, sys.stdin, sys.stdout)\n"
            "print(json.dumps({'rates': rates, 'peak_rss_mb': 1.0}))")
    return [sys.executable, "-c", code]


def test_workers_take_turns_each_in_its_own_process(tmp_path):
    log = tmp_path / "turns.txt"
    results = rates_by_turns({"a": _turn_worker("a", log), "b": _turn_worker("b", log)}, {}, rounds=3)
    turns = log.read_text(encoding="utf-8")
    assert sorted(turns[:2]) == ["a", "b"] and turns[2:] == "ab" "ba" "ab"  # warm-ups, then the rounds
    assert [len(results["a"]["rates"]), len(results["b"]["rates"])] == [3, 3]
    assert min(results["a"]["rates"]) > 0 and results["b"]["peak_rss_mb"] == 1.0


def test_a_failing_worker_is_named_with_its_error(tmp_path):
    failing = [sys.executable, "-c", "import sys; sys.exit('no run folder here')"]
    with pytest.raises(RuntimeError, match="b: no run folder here"):
        rates_by_turns({"a": _turn_worker("a", tmp_path / "log"), "b": failing}, {}, rounds=2)


def test_round_ratios_compare_each_round_and_the_fastest_runs():
    assert round_ratios([100.0, 50.0, 100.0, 60.0], [200.0, 100.0, 100.0, 120.0]) == (0.5, 0.5)
    assert round_ratios([3.0], [2.0]) == (1.5, 1.5)
    with pytest.raises(ValueError, match="same number of rounds"):
        round_ratios([1.0, 2.0], [1.0])


@pytest.mark.slow
def test_quick_bench_measures_every_row(tmp_path, capsys):
    cores = default_workers(0)
    out = tmp_path / "bench.json"
    assert main(["-q", "bench", "--quick", "--corpus", str(corpus_file("rulinwaishi.txt")), "--out", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["name"]: row for row in report["rows"]}
    for name in ("fix-encoding", "segment, 1 worker", "word2vec (blog settings, 15 epochs)",
                 "train keras default preset (every position, softmax, Adam), batch 128",
                 "generate nearest word (the blog's), from windows", "generate default sampling, from windows",
                 "generate default sampling, state carried", "generate: the LSTM's part alone, from windows",
                 "generate: the LSTM's part alone, state carried",
                 f"train jax default, 1 process x {cores} threads", "train jax blog preset (MSE, SGD), batch 10"):
        row = rows[name]
        assert row["median"] > 0 and row["low"] <= row["median"] <= row["high"], name
        assert 10 < row["peak_rss_mb"] < 4000, name
    assert report["flops_per_window"] == 38_400_000
    assert [pair["label"] for pair in report["pairs"]] == [
        "default preset (every position, softmax, Adam), batch 128", "MSE, SGD, batch 128",
        "blog preset (MSE, SGD), batch 10", "blog preset (MSE, SGD), batch 10 on JAX"]
    for pair in report["pairs"]:  # 3 rounds each with --quick; the rows summarise the same rates
        assert len(pair["keras_rates"]) == 3 and rows[pair["keras"]]["median"] == sorted(pair["keras_rates"])[1]
    printed = capsys.readouterr().out
    assert "command: lstmlab bench" in printed and "matmul bound of the LSTM alone" in printed
    assert printed.count("of the matmul bound (fastest runs:") == 4
    if cores > 1:
        assert rows[f"train jax default, {cores} processes x 1 core"]["median"] > 0
        assert f"data parallel: {cores} processes" in printed
