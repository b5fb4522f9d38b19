"""``lstmlab bench``: the speed of every stage on this machine, beside what a user would pick instead.

Each figure is measured in its own process (so its peak memory is its own), as the median of
several timed repetitions after a warm-up; the table gives the spread (min to max). A training
step and its PyTorch counterpart take turns, each in its own process (:mod:`lstmlab.bench.pairs`),
so their ratio compares them at the same moment of a host whose speed jumps between levels.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from lstmlab.pipeline import run_folder
from lstmlab.pipeline.config import load_config
from lstmlab.pipeline.machine import default_workers
from lstmlab.bench.timing import lstm_training_flops_per_window, softmax_head_flops_per_window
from lstmlab.bench.pairs import round_ratios, training_pair_by_turns
from lstmlab.bench.torch_models import torch_available
from lstmlab.pipeline.runner import run_pipeline


@dataclass
class BenchRow:
    """One measurement: its rates' median, min and max in ``unit``, and the process's peak memory."""

    name: str
    unit: str
    median: float | None
    low: float | None
    high: float | None
    peak_rss_mb: float | None
    note: str = ""


# (preset, batch size, label): each trained by Keras and by the equivalent PyTorch model.
TRAINING_ROWS = (("default", 128, "default preset (every position, softmax, Adam)"), ("blog", 128, "MSE, SGD"),
                 ("blog", 10, "blog preset (MSE, SGD)"))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def measure(name: str, unit: str, task: str, arguments: dict, note: str = "", env: dict | None = None) -> BenchRow:
    """Run one ``lstmlab.bench.worker`` task and summarise its rates."""
    done = subprocess.run([sys.executable, "-m", "lstmlab.bench.worker", task, json.dumps(arguments)],
                          capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return BenchRow(name, unit, None, None, None, None, f"failed: {tail[0][:120]}")
    return _row(name, unit, done.stdout, note)


def _row(name: str, unit: str, stdout: str, note: str) -> BenchRow:
    result = json.loads(stdout.strip().splitlines()[-1])
    return _summary(name, unit, result["rates"], result["peak_rss_mb"], note)


def _summary(name: str, unit: str, rates: list[float], peak_rss_mb: float, note: str = "") -> BenchRow:
    return BenchRow(name, unit, statistics.median(rates), min(rates), max(rates), peak_rss_mb, note)


def measure_pair(keras_name: str, torch_name: str, arguments: dict,
                 env: dict | None = None) -> tuple[list[BenchRow], dict]:
    """Keras (its environment plus ``env``) and, where installed, PyTorch training one model by
    turns, each in its own worker process (:func:`lstmlab.bench.pairs.training_pair_by_turns`
    with ``arguments``). Returns their two rows and the pair, ``{"keras": name, "pytorch": name,
    "keras_rates": [...], "pytorch_rates": [...]}`` (empty rates when a side did not run), for
    the ratio lines."""
    with_torch = torch_available()
    pair = {"keras": keras_name, "pytorch": torch_name, "keras_rates": [], "pytorch_rates": []}
    try:
        results = training_pair_by_turns(**arguments, with_torch=with_torch, keras_env=env)
    except RuntimeError as error:
        return [BenchRow(name, "windows/s", None, None, None, None, f"failed: {error}")
                for name in (keras_name, torch_name)], pair
    rows = [_summary(keras_name, "windows/s", results["keras"]["rates"], results["keras"]["peak_rss_mb"])]
    pair["keras_rates"] = results["keras"]["rates"]
    if with_torch:
        rows.append(_summary(torch_name, "windows/s", results["pytorch"]["rates"], results["pytorch"]["peak_rss_mb"],
                             "by turns with the Keras row above"))
        pair["pytorch_rates"] = results["pytorch"]["rates"]
    else:
        rows.append(BenchRow(torch_name, "windows/s", None, None, None, None,
                             "not installed (pip install -e '.[bench]')"))
    return rows, pair


def measure_processes(name: str, count: int, task: str, arguments: dict, note: str = "") -> BenchRow:
    """Run one ``lstmlab.bench.worker`` task as ``count`` data-parallel processes (JAX, one share
    of the cores each); the rates are process 0's, of global windows."""
    from lstmlab.pipeline.launcher import start_processes, stop_processes, wait_for_processes

    with tempfile.TemporaryFile("w+", encoding="utf-8") as first_stdout, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        processes = start_processes(count, [sys.executable, "-m", "lstmlab.bench.worker", task,
                                            json.dumps(arguments)], first_stdout=first_stdout, stderr=errors)
        try:
            wait_for_processes(processes, 0.2)
        except ValueError as error:
            errors.seek(0)
            tail = (errors.read().strip().splitlines() or ["no output"])[-1]
            return BenchRow(name, "windows/s", None, None, None, None, f"failed: {error}: {tail[:120]}")
        finally:
            stop_processes(processes)
        first_stdout.seek(0)
        return _row(name, "windows/s", first_stdout.read(), note)


JAX_ENVIRONMENT = {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}


def data_parallel_rows(run_dir: Path, cores: int, steps: int, repeats: int) -> list[BenchRow]:
    """The default preset's step on JAX: one process using every core, against one process per
    core joined data parallel (the same global batch of 128)."""
    arguments = {"run_dir": str(run_dir), "preset": "default", "batch_size": 128, "steps": steps, "repeats": repeats}
    single = measure(f"train jax default, 1 process x {cores} threads", "windows/s", "train-keras", arguments,
                     env=JAX_ENVIRONMENT)
    if cores < 2:
        return [single]
    return [single, measure_processes(f"train jax default, {cores} processes x 1 core", cores, "train-keras",
                                      arguments)]


def training_rows(run_dir: Path, cores: int, steps: int, repeats: int) -> tuple[list[BenchRow], list[dict]]:
    """Each of :data:`TRAINING_ROWS` trained by Keras on this backend and by the equivalent PyTorch
    model, by turns, each in its own process (:func:`measure_pair`), and the blog preset at batch
    10 also by Keras on JAX beside PyTorch (one compiled call carries several batches there, with
    less per-operation cost than TensorFlow's). Returns the rows and the pairs."""
    rows, pairs = [], []
    for preset, batch, label in TRAINING_ROWS:
        arguments = {"run_dir": str(run_dir), "preset": preset, "batch_size": batch,
                     "steps": steps if batch > 10 else steps * 4, "rounds": repeats, "threads": cores}
        backends = [("keras", "", None)] + ([("jax", ", beside jax", JAX_ENVIRONMENT)] if batch == 10 else [])
        for backend, torch_suffix, env in backends:
            pair_rows, pair = measure_pair(f"train {backend} {label}, batch {batch}",
                                           f"train pytorch {label}, batch {batch}{torch_suffix}", arguments, env)
            rows.extend(pair_rows)
            pairs.append({**pair, "preset": preset, "label": f"{label}, batch {batch}" + (" on JAX" if env else "")})
    return rows, pairs


def prepare_corpus(corpus: Path, quick: bool, folder: Path) -> Path:
    """The corpus to measure: the whole file, or its first 400,000 bytes' worth of lines with --quick."""
    if not quick:
        return corpus
    text = corpus.read_text(encoding="utf-8", errors="replace")
    cut = text[: text.find("\n", 130_000) + 1]
    path = folder / f"{corpus.stem}-quick.txt"
    path.write_text(cut, encoding="utf-8")
    return path


def vocabulary_size(run_dir: Path) -> int:
    """The number of words in a run folder's word2vec vocabulary (read from its ``vectors.bin`` header)."""
    with open(run_dir / run_folder.C_VECTORS, "rb") as handle:
        return int(handle.readline().split()[0])


def run_benchmarks(corpus: Path, quick: bool, work_dir: Path, command: str) -> dict:
    """Measure everything; returns a dict with the machine description and the rows."""
    cores = default_workers(0)
    repeats = 3 if quick else 5
    steps = 10 if quick else 60
    corpus = prepare_corpus(corpus, quick, work_dir)
    run_dir = work_dir / "run"
    config = load_config(overrides=["word2vec.epochs=2"] if quick else [])
    run_pipeline(corpus, run_dir, config, until="windows", progress=False)
    text, tokens = str(run_dir / run_folder.TEXT), str(run_dir / run_folder.TOKENS)
    rows = [
        measure("fix-encoding", "MB/s", "fix-encoding", {"corpus": str(corpus), "repeats": repeats, "out_dir": str(work_dir)}),
        measure("segment, 1 worker", "MB/s", "segment", {"text": text, "workers": 1, "repeats": repeats}),
        measure(f"segment, {cores} workers", "MB/s", "segment", {"text": text, "workers": cores, "repeats": repeats}),
        measure("word2vec (blog settings, 15 epochs)", "words/s", "word2vec",
                {"tokens": tokens, "repeats": 1 if not quick else 2, "workers": cores}),
        measure("float32 matmul 2048^3 (numpy)", "GFLOP/s", "matmul", {"size": 2048, "repeats": repeats}),
    ]
    pair_rows, pairs = training_rows(run_dir, cores, steps, repeats)
    rows.extend(pair_rows)
    rows.extend(data_parallel_rows(run_dir, cores, steps, repeats))
    for method, context, label in (("nearest", "window", "nearest word (the blog's), from windows"),
                                   ("sample", "window", "default sampling, from windows"),
                                   ("sample", "carried", "default sampling, state carried")):
        rows.append(measure(f"generate {label}", "words/s", "generate",
                            {"run_dir": str(run_dir), "method": method, "context": context,
                             "words": 200 if quick else 1000, "repeats": repeats}))
    for context, label in (("window", "from windows"), ("carried", "state carried")):
        rows.append(measure(f"generate: the LSTM's part alone, {label}", "words/s", "generate",
                            {"run_dir": str(run_dir), "method": "sample", "context": context, "part": "lstm",
                             "words": 200 if quick else 1000, "repeats": repeats}))
    import keras

    return {
        "command": command,
        "date": datetime.date.today().isoformat(),
        "machine": f"{cpu_model()}, {cores} cores, {os.cpu_count()} CPUs seen",
        "keras_backend": keras.backend.backend(),
        "corpus": str(corpus),
        "flops_per_window": lstm_training_flops_per_window(20, 200, 200),
        "head_flops_per_window": softmax_head_flops_per_window(20, 200, vocabulary_size(run_dir)),
        "flops_formula": "3 x 2 x T x 4H x (D + H), T=20, H=200, D=200",
        "rows": [asdict(row) for row in rows],
        "pairs": pairs,
    }


def format_report(report: dict) -> str:
    """The benchmark as a text table with the machine line, the training-step ratios and the bound."""
    lines = [f"command: {report['command']}", f"date: {report['date']}   machine: {report['machine']}",
             f"keras backend: {report['keras_backend']}   corpus: {report['corpus']}", "",
             f"{'measurement':48s} {'median':>10s} {'min..max':>21s} {'unit':>10s} {'peak MB':>8s}"]
    rows = {row["name"]: row for row in report["rows"]}
    for row in report["rows"]:
        if row["median"] is None:
            lines.append(f"{row['name']:48s} {row['note']}")
            continue
        spread = f"{row['low']:.4g}..{row['high']:.4g}"
        lines.append(f"{row['name']:48s} {row['median']:10.4g} {spread:>21s} {row['unit']:>10s} "
                     f"{row['peak_rss_mb']:8.0f}")
    matmul = rows.get("float32 matmul 2048^3 (numpy)", {}).get("median")
    lines.append("")
    if matmul:
        bound = matmul * 1e9 / report["flops_per_window"]
        lines.append(f"matmul bound of the LSTM alone: {bound:.0f} windows/s ({report['flops_formula']} = "
                     f"{report['flops_per_window'] / 1e6:.1f} MFLOP per window)")
    fastest_matmul = rows.get("float32 matmul 2048^3 (numpy)", {}).get("high")
    for pair in report.get("pairs", []):
        line = _pair_line(pair, report, matmul, fastest_matmul)
        if line:
            lines.append(line)
    parallel = [row for row in report["rows"] if row["name"].startswith("train jax default")]
    if len(parallel) == 2 and parallel[0]["median"] and parallel[1]["median"]:
        processes = int(parallel[1]["name"].split(", ")[1].split()[0])
        lines.append(f"data parallel: {processes} processes give {parallel[1]['median'] / parallel[0]['median']:.2f}x "
                     f"one process using the same cores (scaling efficiency "
                     f"{parallel[1]['median'] / parallel[0]['median']:.0%})")
    return "\n".join(lines)


def _pair_line(pair: dict, report: dict, matmul: float | None, fastest_matmul: float | None) -> str | None:
    """One training pair's line: Keras against PyTorch as the median of the rounds' ratios and as
    the ratio of the fastest runs (:func:`lstmlab.bench.pairs.round_ratios`), and Keras' share
    of the matmul bound from its median and fastest run (None when Keras did not run)."""
    ours, theirs = pair["keras_rates"], pair["pytorch_rates"]
    if not ours:
        return None
    parts = []
    if theirs:
        median, fastest = round_ratios(ours, theirs)
        parts.append(f"keras / pytorch = {median:.2f} (median of {len(ours)} rounds' ratios, taking turns "
                     f"in separate processes; fastest runs: {fastest:.2f})")
    if matmul and fastest_matmul:
        head = report.get("head_flops_per_window", 0) if pair["preset"] == "default" else 0
        flops = report["flops_per_window"] + head
        parts.append(f"keras at {statistics.median(ours) * flops / (matmul * 1e9):.0%} of the matmul bound "
                     f"(fastest runs: {max(ours) * flops / (fastest_matmul * 1e9):.0%}) ({flops / 1e6:.1f} MFLOP "
                     f"per window{' with the softmax head' if head else ''})")
    return f"{pair['label']}: " + "; ".join(parts) if parts else None


def bench(corpus: Path, quick: bool, out: Path | None, command: str = "lstmlab bench") -> str:
    """Run the benchmarks, write the JSON to ``out`` if given, and return the text table."""
    with tempfile.TemporaryDirectory(prefix="lstmlab-bench-") as folder:
        report = run_benchmarks(corpus, quick, Path(folder), command)
    if out:
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return format_report(report)
