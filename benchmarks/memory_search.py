"""The memory's approximate search against the exact one on a trained run folder.

    python -m lstmlab.bench.memory_search runs/hongloumeng [--max-windows N]

Builds both memories of the run's training part (:class:`lstmlab.models.memory.TrainingMemory`,
every key in float32; :class:`lstmlab.models.approximate_memory.ApproximateMemory`, faiss),
and prints for each: the seconds to build it and to search the test windows, the share of the
exact top-64 neighbours the approximate search finds (on the test windows), and the
memory-mixture row exactly as ``lstmlab evaluate`` fits it on validation and scores it on test.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

import numpy as np

from lstmlab.corpus.scoring import ScoreAccumulator
from lstmlab.corpus.vocabulary import unknown_ids
from lstmlab.corpus.windows import predictable_starts, window_batch
from lstmlab.models.approximate_memory import recall_of
from lstmlab.models.memory import Neighbours
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.stages.evaluate import memory_mixture, target_probabilities_of_vectors, training_memory


def compare(run_dir: Path, max_windows: int = 0) -> list[dict]:
    """One dict per search ("exact", "approximate"): build and search seconds, the mixture's test
    perplexity / top-1 / top-10, and the approximate search's recall of the exact neighbours."""
    windows = run_folder.load_windows(run_dir)
    ids, split, length = windows.ids, windows.split, windows.length
    predictor, words, _ = NumpyNextWordPredictor.load(run_folder.predictor_path(run_dir))
    unknown = unknown_ids(words)

    def cut(starts):
        starts = predictable_starts(ids, starts, length, unknown)
        return window_batch(ids, starts[:max_windows] if max_windows else starts, length)

    (test_inputs, test_targets), (validation_inputs, validation_targets) = cut(split.test_starts), cut(
        split.validation_starts)
    validation_vectors, test_vectors = predictor.predict_many(validation_inputs), predictor.predict_many(test_inputs)
    on_validation = target_probabilities_of_vectors(predictor, validation_vectors, validation_targets)
    rows, found = [], {}
    for search in ("exact", "approximate"):
        started = time.perf_counter()
        memory = training_memory(predictor, ids[: split.validation_boundary], length, unknown, search,
                                 validation_vectors)
        built = time.perf_counter() - started
        started = time.perf_counter()
        found[search] = memory.nearest(test_vectors)
        searched = time.perf_counter() - started
        mixture, extras = memory_mixture(predictor, memory, validation_vectors, validation_targets, on_validation)
        score = ScoreAccumulator()
        for start in range(0, len(test_targets), 1000):
            rows_slice = slice(start, start + 1000)
            model_p = np.exp(predictor.log_probabilities(test_vectors[rows_slice]))
            chunk = Neighbours(found[search].cosines[rows_slice], found[search].words[rows_slice])
            memory_p = memory.distributions_of(chunk, extras["temperature"])
            with np.errstate(divide="ignore"):
                score.add_log_probabilities(np.log(mixture.mix(model_p, memory_p)), test_targets[rows_slice])
        result = score.score()
        rows.append({"search": search, "build_seconds": built, "search_seconds": searched,
                     "perplexity": result.perplexity, "top1": result.top1, "top10": result.top10, **extras["memory"]})
    rows[1]["test_recall"] = recall_of(found["approximate"].indices, found["exact"].indices)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--max-windows", type=int, default=0, help="score only this many test windows (0: all)")
    args = parser.parse_args(argv)
    rows = compare(args.run_dir, args.max_windows)
    print(f"# {' '.join(['python -m lstmlab.bench.memory_search', *sys.argv[1:]])}  ({datetime.date.today()})")
    for row in rows:
        recall = (f", recall on the test windows {row['test_recall']:.3f} (tuned to {row['recall']:.3f} on validation) "
                  f"at {row['probes']} of {row['cells']} cells") if "recall" in row else ""
        print(f"{row['search']:12s} build {row['build_seconds']:7.1f} s, search {row['search_seconds']:7.1f} s, "
              f"test {row['perplexity']:.1f} / {row['top1']:.1%} / {row['top10']:.1%}{recall}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
