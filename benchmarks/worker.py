"""One benchmark measurement in its own process, so its peak memory is its own.

``python -m lstmlab.bench.worker TASK '{"json": "arguments"}'`` prints one JSON line:
``{"rates": [...], "peak_rss_mb": ...}``. Called by :mod:`lstmlab.bench.suite` (and "train-turns",
which first serves the turns of :mod:`lstmlab.bench.pairs`, by its ``rates_by_turns``).

Each task imports what it measures inside its own function, so a task's peak memory counts
only the libraries it uses (the fix-encoding figure must not include Keras).
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from lstmlab.bench.timing import timed_rates  # noqa: E402


def fix_encoding_rates(corpus: str, repeats: int, out_dir: str) -> list[float]:
    from lstmlab.pipeline.stages.fix_encoding import fix_encoding_file
    from lstmlab.pipeline.config import FixEncodingConfig

    size = Path(corpus).stat().st_size / 1e6
    return timed_rates(lambda: fix_encoding_file(corpus, Path(out_dir) / "fixed.txt", FixEncodingConfig()), size, repeats)


def segment_rates(text: str, workers: int, repeats: int) -> list[float]:
    from lstmlab.corpus.segment import Segmenter, segment_text

    content = Path(text).read_text(encoding="utf-8")
    segmenter = Segmenter()
    size = len(content.encode("utf-8")) / 1e6
    return timed_rates(lambda: segment_text(content, segmenter, workers=workers), size, repeats)


def word2vec_rates(tokens: str, repeats: int, workers: int) -> list[float]:
    from lstmlab.models.settings import Word2VecSettings
    from lstmlab.models.word2vec import train_word2vec

    words = sum(len(line.split()) for line in Path(tokens).open(encoding="utf-8"))
    settings = Word2VecSettings(workers=workers)
    return timed_rates(lambda: train_word2vec(tokens, settings, progress=False), words * settings.epochs, repeats)


def _run_arrays(run_dir: str):
    from lstmlab.pipeline import run_folder

    return run_folder.load_windows(Path(run_dir)).ids, run_folder.load_vectors(Path(run_dir)).vectors


def peak_memory_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which (unlike ru_maxrss) starts afresh
    at exec, so the size of the parent that forked us does not count."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    task, arguments = sys.argv[1], json.loads(sys.argv[2])
    if task == "fix-encoding":
        rates = fix_encoding_rates(**arguments)
    elif task == "segment":
        rates = segment_rates(**arguments)
    elif task == "word2vec":
        rates = word2vec_rates(**arguments)
    elif task == "matmul":
        from lstmlab.bench.timing import matmul_gflops

        rates = matmul_gflops(**arguments)
    elif task == "train-keras":
        from lstmlab.bench.timing import keras_windows_per_second

        from lstmlab.pipeline.config import load_config
        from lstmlab.pipeline.stages.train import start_distribution  # a data-parallel job's share, else the whole

        ids, vectors = _run_arrays(arguments.pop("run_dir"))
        config = load_config(preset=arguments.pop("preset"))
        shard = start_distribution(config)
        rates = keras_windows_per_second(ids, vectors, config.train, shard=shard, **arguments)
    elif task == "train-turns":  # one side of a training pair, run when lstmlab.bench.pairs says
        from lstmlab.bench.pairs import serve_turns, training_run

        ids, vectors = _run_arrays(arguments.pop("run_dir"))
        rates = serve_turns(training_run(ids, vectors, **arguments), arguments["batch_size"] * arguments["steps"],
                            sys.stdin, sys.stdout)
    elif task == "generate":
        from lstmlab.bench.timing import generation_words_per_second

        _, vectors = _run_arrays(arguments.pop("run_dir"))
        rates = generation_words_per_second(vectors, **arguments)
    else:
        raise SystemExit(f"unknown benchmark task {task}")
    peak = peak_memory_mb()
    print(json.dumps({"rates": rates, "peak_rss_mb": round(peak, 1)}))


if __name__ == "__main__":
    main()
