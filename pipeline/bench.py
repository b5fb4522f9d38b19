"""``lstmlab bench``: the speed of every stage on this machine, beside what a user would pick instead.

Each figure is measured in its own process (so its peak memory is its own), as the median of
several timed repetitions after a warm-up; the table gives the spread (min to max).
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

from pipeline import run_folder
from pipeline.config import default_workers, load_config
from pipeline.bench_timing import lstm_training_flops_per_window, softmax_head_flops_per_window
from pipeline.bench_torch import torch_available
from pipeline.runner import run_pipeline


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
TRAINING_ROWS = (("default", 128, "default preset (every position, softmax, Adam)"), ("seed", 128, "MSE, SGD"),
                 ("seed", 10, "seed preset (MSE, SGD)"))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def measure(name: str, unit: str, task: str, arguments: dict, note: str = "", env: dict | None = None) -> BenchRow:
    """Run one ``pipeline.bench_worker`` task and summarise its rates."""
    done = subprocess.run([sys.executable, "-m", "pipeline.bench_worker", task, json.dumps(arguments)],
                          capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return BenchRow(name, unit, None, None, None, None, f"failed: {tail[0][:120]}")
    return _row(name, unit, done.stdout, note)


def _row(name: str, unit: str, stdout: str, note: str) -> BenchRow:
    result = json.loads(stdout.strip().splitlines()[-1])
    rates = result["rates"]
    return BenchRow(name, unit, statistics.median(rates), min(rates), max(rates), result["peak_rss_mb"], note)


def measure_processes(name: str, count: int, task: str, arguments: dict, note: str = "") -> BenchRow:
    """Run one ``pipeline.bench_worker`` task as ``count`` data-parallel processes (JAX, one share
    of the cores each); the rates are process 0's, of global windows."""
    from pipeline.launcher import start_processes, stop_processes, wait_for_processes

    with tempfile.TemporaryFile("w+", encoding="utf-8") as first_stdout, \
            tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        processes = start_processes(count, [sys.executable, "-m", "pipeline.bench_worker", task,
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


def training_rows(run_dir: Path, cores: int, steps: int, repeats: int) -> list[BenchRow]:
    """Each of :data:`TRAINING_ROWS` trained by Keras on this backend, by the equivalent PyTorch
    model, and (the seed preset at batch 10) by Keras on JAX, whose one compiled call carries
    several batches with less per-operation cost than TensorFlow's."""
    rows = []
    for preset, batch, label in TRAINING_ROWS:
        arguments = {"run_dir": str(run_dir), "preset": preset, "batch_size": batch,
                     "steps": steps if batch > 10 else steps * 4, "repeats": repeats}
        rows.append(measure(f"train keras {label}, batch {batch}", "windows/s", "train-keras", arguments))
        if batch == 10:
            rows.append(measure(f"train jax {label}, batch {batch}", "windows/s", "train-keras", arguments,
                                env=JAX_ENVIRONMENT))
        torch_name = f"train pytorch {label}, batch {batch}"
        if not torch_available():
            rows.append(BenchRow(torch_name, "windows/s", None, None, None, None,
                                 "not installed (pip install -e '.[bench]')"))
            continue
        torch_arguments = {key: value for key, value in arguments.items() if key != "preset"}
        rows.append(measure(torch_name, "windows/s", "train-torch-" + preset, {**torch_arguments, "threads": cores}))
    return rows


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
    rows.extend(training_rows(run_dir, cores, steps, repeats))
    rows.extend(data_parallel_rows(run_dir, cores, steps, repeats))
    for method, label in (("nearest", "nearest word (the blog's)"), ("sample", "default sampling")):
        rows.append(measure(f"generate {label}", "words/s", "generate",
                            {"run_dir": str(run_dir), "method": method, "words": 200 if quick else 1000,
                             "repeats": repeats}))
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
    for preset, batch, label in TRAINING_ROWS:
        ours, ours_fastest = _median_and_fastest(rows, f"train keras {label}, batch {batch}")
        theirs, theirs_fastest = _median_and_fastest(rows, f"train pytorch {label}, batch {batch}")
        if ours and theirs:
            flops = report["flops_per_window"] + (report.get("head_flops_per_window", 0) if preset == "default" else 0)
            lines.append(f"{label}, batch {batch}: keras / pytorch = {ours / theirs:.2f} "
                         f"(fastest runs: {ours_fastest / theirs_fastest:.2f})"
                         + (f"; keras at {ours * flops / (matmul * 1e9):.0%} of the matmul bound "
                            f"(fastest runs: {ours_fastest * flops / (fastest_matmul * 1e9):.0%})"
                            f" ({flops / 1e6:.1f} MFLOP per window{' with the softmax head' if preset == 'default' else ''})"
                            if matmul else ""))
        on_jax, on_jax_fastest = _median_and_fastest(rows, f"train jax {label}, batch {batch}")
        if on_jax and theirs:
            lines.append(f"{label}, batch {batch} on JAX: keras / pytorch = {on_jax / theirs:.2f} "
                         f"(fastest runs: {on_jax_fastest / theirs_fastest:.2f})")
    parallel = [row for row in report["rows"] if row["name"].startswith("train jax default")]
    if len(parallel) == 2 and parallel[0]["median"] and parallel[1]["median"]:
        processes = int(parallel[1]["name"].split(", ")[1].split()[0])
        lines.append(f"data parallel: {processes} processes give {parallel[1]['median'] / parallel[0]['median']:.2f}x "
                     f"one process using the same cores (scaling efficiency "
                     f"{parallel[1]['median'] / parallel[0]['median']:.0%})")
    return "\n".join(lines)


def _median_and_fastest(rows: dict, name: str) -> tuple[float | None, float | None]:
    """A row's median rate and its fastest run's (None, None if the row is missing or failed).

    Ratios are given for both: on a shared host whose speed jumps between levels for seconds to
    minutes (the 2-core machine's does, between about 1x and 0.5x), two rows measured one after
    the other can land on different levels, and the fastest runs compare them at full speed."""
    row = rows.get(name, {})
    return row.get("median"), row.get("high")


def bench(corpus: Path, quick: bool, out: Path | None, command: str = "lstmlab bench") -> str:
    """Run the benchmarks, write the JSON to ``out`` if given, and return the text table."""
    with tempfile.TemporaryDirectory(prefix="lstmlab-bench-") as folder:
        report = run_benchmarks(corpus, quick, Path(folder), command)
    if out:
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return format_report(report)
