"""The evaluate stage: the model as a language model on the test text, beside classical ones.

Writes ``RUN/evaluation.json``. Every row is scored on the same targets, the word after each
window of the test part (the last ``windows.test_fraction`` of the text, touched by no
choice): perplexity, top-1 and top-10; with an unknown word in the vocabulary
(:mod:`corpus.vocabulary`), the windows whose next word is unknown are left out and every
distribution is renormalised without it. The rows are the model, the add-one unigram, the
interpolated bigram, and interpolated modified Kneser-Ney of orders 2 to 5, all fitted on
the training part only; the Kneser-Ney order to beat is the one best on the validation part.
For a model with a distribution a row mixes it linearly with that Kneser-Ney model, the
weight fitted on the validation part (:mod:`corpus.interpolation`), and a last row mixes it
with its memory of the training text (:func:`memory_mixture`, :mod:`models.memory`).
Two protocols score the same test targets: ``window`` (each from the 20 words before it, from a
zero state: the rows above, comparable with every earlier table) and ``continuous`` (each with
the LSTM's state carried over the text from the validation part's start, so from everything
before it). The context curve gives the model's and Kneser-Ney's figures when they may read
only the last n words (:mod:`models.context_curve`), drawn to ``RUN/context_curve.png``. The
model's validation figures in both protocols are recorded too: they are what a choice of
settings may look at. It also measures generation from test seeds (:func:`measure_decodings`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from lstmlab.corpus.baselines import AddOneUnigram, InterpolatedBigram
from lstmlab.corpus.interpolation import LinearMixture, fit_interpolation_weight
from lstmlab.corpus.ngram import KneserNey
from lstmlab.corpus.scoring import Score, ScoreAccumulator, WithoutWords, rows_per_chunk, target_figures
from lstmlab.corpus.vocabulary import unknown_ids
from lstmlab.corpus.windows import predictable_starts, window_batch
from lstmlab.corpus.segment import is_punctuation
from lstmlab.models.generation import TextPairs
from lstmlab.models.approximate_memory import ApproximateMemory
from lstmlab.models.memory import MemoryModel, MemoryVotes, TrainingMemory, fit_memory_mixture
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.progress import Progress
from lstmlab.models.cache import RecentCache, fit_cache_mixture
from lstmlab.models.context_curve import model_curve, ngram_curve
from lstmlab.models.sample_report import measure_generation, text_quotation_balance
from lstmlab.models.settings import DecodingSettings
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.files import write_text_atomic
from lstmlab.pipeline.plots import context_curve_picture
from lstmlab.pipeline.run_folder import RunContext

NGRAM_ORDERS = (2, 3, 4, 5)
# The generation measures: K seeds (evenly spaced test windows, 20 words each), L words each.
GENERATION_SEEDS, GENERATION_LENGTH = 20, 500
COMPARED_DECODINGS = (DecodingSettings(), DecodingSettings(context="window"),
                      DecodingSettings(method="nearest", context="window"))
# The test targets (evenly spaced) that the context curve scores at each context length.
CURVE_TARGETS = 10_000


def score_side_by_side(models: list, inputs: np.ndarray, targets: np.ndarray, chunk: int = 1000,
                       progress: bool = False) -> tuple[list[Score], list[np.ndarray]]:
    """Score several models with ``distributions(contexts (B, T)) -> (B, V)`` on the same windows
    ``inputs`` (N, T) and true next words ``targets`` (N,), chunk by chunk. A
    :class:`corpus.interpolation.LinearMixture` takes the distributions of its parts that are
    also in ``models`` from the chunk's, rather than computing them again; each model's figures
    are read off its distributions (the model's off its logits) with no (B, V) logarithm. Returns each model's :class:`Score` and its top-1 hits (N,)
    bool, for paired comparisons (:func:`paired_top1`); ``progress``: report the windows scored
    (:class:`models.progress.Progress`)."""
    reporter = Progress(f"scoring {len(models)} models", len(targets), "windows", enabled=progress)
    shared = {id(part) for model in models if isinstance(model, LinearMixture) for part in (model.first, model.second)}
    accumulators = [ScoreAccumulator() for _ in models]
    hits: list[list[np.ndarray]] = [[] for _ in models]
    for start in range(0, len(targets), chunk):
        contexts, chunk_targets = inputs[start : start + chunk], targets[start : start + chunk]
        computed: dict[int, np.ndarray] = {}
        for model, accumulator, model_hits in zip(models, accumulators, hits):
            log_probabilities, ranks, probabilities = _chunk_figures(model, contexts, chunk_targets, computed,
                                                                     id(model) in shared)
            if id(model) in shared:
                computed[id(model)] = probabilities
            model_hits.append(accumulator.add_targets(log_probabilities, ranks) == 0)
        reporter.advance(len(chunk_targets))
    reporter.close()
    return [accumulator.score() for accumulator in accumulators], [np.concatenate(h) for h in hits]


def _chunk_figures(model, contexts: np.ndarray, targets: np.ndarray, computed: dict[int, np.ndarray],
                   needed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One model's log p of the ``targets`` (B,) after ``contexts`` (B, T), their ranks (B,) and
    its distributions (B, V) (for the model: only where ``needed``, as a mixture's part)."""
    if isinstance(model, NumpyNextWordPredictor):
        return model.targets_and_ranks(model.predict_vectors(contexts), targets, with_distributions=needed) + (
            (None,) if not needed else ())
    if isinstance(model, LinearMixture):  # each part from this chunk's scores if it has them
        probabilities = model.mix(*(computed[id(part)] if id(part) in computed else part.distributions(contexts)
                                    for part in (model.first, model.second)))
    else:
        probabilities = model.distributions(contexts)
    return (*target_figures(probabilities, targets), probabilities)


def paired_top1(hits: np.ndarray, other_hits: np.ndarray) -> dict[str, float]:
    """Two predictors' top-1 hits (N,) bool on the same targets, compared target by target: how
    many only the first gets right, how many only the other, and the sign test's z (McNemar's
    normal approximation: beyond about 2 the first is better by more than chance)::

        >>> paired_top1(np.array([1, 1, 1, 0, 1, 0], bool), np.array([0, 0, 1, 0, 1, 1], bool))
        {'top1_only_this': 2, 'top1_only_other': 1, 'top1_sign_test_z': 0.577}
    """
    only_this, only_other = int(np.sum(hits & ~other_hits)), int(np.sum(other_hits & ~hits))
    z = (only_this - only_other) / np.sqrt(only_this + only_other) if only_this + only_other else 0.0
    return {"top1_only_this": only_this, "top1_only_other": only_other, "top1_sign_test_z": round(float(z), 3)}


def _perplexity(probabilities: np.ndarray) -> float:
    return float(np.exp(-np.mean(np.log(probabilities))))


def _row(name: str, score: Score, **extra: Any) -> dict[str, Any]:
    return {"name": name, "perplexity": score.perplexity, "top1": score.top1, "top10": score.top10,
            "targets": score.targets, **extra}


def evenly_spread(starts: np.ndarray, most: int) -> np.ndarray:
    """At most ``most`` of ``starts`` (N,) (0: all), evenly spread over them, first and last kept::

        >>> evenly_spread(np.arange(10), 4).tolist(), evenly_spread(np.arange(3), 4).tolist()
        ([0, 3, 6, 9], [0, 1, 2])
    """
    if most <= 0 or len(starts) <= most:
        return starts
    return starts[np.linspace(0, len(starts) - 1, most).astype(np.int64)]


MEMORY_ROW = "model + memory of the training text"
# The validation windows, evenly spaced, that the memory's temperature and weight are fitted on
# (each costs a search of every training position).
MEMORY_FIT_WINDOWS = 4000


def evaluate_run(run_dir: Path, max_windows: int = 0, with_memory: bool = True, memory_search: str = "approximate",
                 progress: bool = False) -> dict[str, Any]:
    """Score the run's model and the classical models on the test part; returns the table.
    ``max_windows``: score at most that many windows of the test and of the validation part,
    evenly spread (:func:`evenly_spread`; 0: every one).
    ``with_memory``: a softmax model also gets the row of :data:`MEMORY_ROW`, the model mixed
    with its nearest training contexts (:mod:`models.memory`), searched as ``memory_search``
    says (:func:`training_memory`). ``progress``: report the long parts as they go."""
    windows = run_folder.load_windows(run_dir)
    ids, split, length = windows.ids, windows.split, windows.length

    predictor, words, _ = NumpyNextWordPredictor.load(run_folder.predictor_path(run_dir))
    unknown = unknown_ids(words)

    def cut(starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        starts = evenly_spread(predictable_starts(ids, starts, length, unknown), max_windows)
        return (*window_batch(ids, starts, length), starts + length)

    test_inputs, test_targets, test_positions = cut(split.test_starts)
    validation_inputs, validation_targets, validation_positions = cut(split.validation_starts)
    vocabulary_size = len(predictor.output_vectors)
    train_ids = ids[: split.validation_boundary]

    def classical(model):
        return WithoutWords(model, unknown) if unknown else model

    ngrams = {order: classical(KneserNey(train_ids, vocabulary_size, order)) for order in NGRAM_ORDERS}
    on_validation = {order: ngram.target_probabilities(validation_inputs, validation_targets)
                     for order, ngram in ngrams.items()}
    validation_perplexity = {order: _perplexity(probabilities) for order, probabilities in on_validation.items()}
    best_order = min(validation_perplexity, key=validation_perplexity.get)
    models = {"unigram (add-one)": classical(AddOneUnigram(train_ids, vocabulary_size)),
              "bigram (interpolated, 0.9)": classical(InterpolatedBigram(train_ids, vocabulary_size)),
              **{f"Kneser-Ney {order}-gram": ngram for order, ngram in ngrams.items()}}
    extras = {f"Kneser-Ney {order}-gram": {"validation_perplexity": validation_perplexity[order]} for order in ngrams}
    window_vectors_on_validation = predictor.predict_many(validation_inputs)  # read once: the mixtures and the figures
    if predictor.scale is None:  # a regression model only ranks words: no distribution, no mixture
        rows = [_row("model (nearest word by cosine)", predictor.score_windows(test_inputs, test_targets))]
    else:
        rows = []
        models = {"model (softmax over scaled cosines)": predictor, **models}
        model_on_validation = target_probabilities_of_vectors(predictor, window_vectors_on_validation,
                                                              validation_targets)
        weight = fit_interpolation_weight(model_on_validation, on_validation[best_order])
        mixture_name = f"model + Kneser-Ney {best_order}-gram"
        models[mixture_name] = LinearMixture(predictor, ngrams[best_order], weight)
        extras[mixture_name] = {"model_weight": weight, "validation_perplexity": _perplexity(
            models[mixture_name].mix(model_on_validation, on_validation[best_order]))}
        if with_memory:
            memory = training_memory(predictor, train_ids, length, unknown, memory_search,
                                     window_vectors_on_validation, progress)
            models[MEMORY_ROW], extras[MEMORY_ROW] = memory_mixture(
                predictor, memory, window_vectors_on_validation, validation_targets, model_on_validation)
    chunk = rows_per_chunk(vocabulary_size)
    scores, hits = score_side_by_side(list(models.values()), test_inputs, test_targets, chunk, progress)
    names = list(models)
    models = memory = None  # the memory's index, the largest thing held, is needed no more
    best_hits = hits[names.index(f"Kneser-Ney {best_order}-gram")]
    for name, model_hits in zip(names, hits):
        if name.startswith("model"):  # the model and its mixtures, against the n-gram order to beat
            extras.setdefault(name, {}).update(paired_top1(model_hits, best_hits))
    rows += [_row(name, score, **extras.get(name, {})) for name, score in zip(names, scores)]
    begin = split.validation_boundary + 1  # the continuous protocol's first predicted word
    every_vector = predictor.continuous_vectors(ids, split.validation_boundary, np.arange(begin, len(ids)))
    validation_vectors, test_vectors = every_vector[validation_positions - begin], every_vector[test_positions - begin]
    mixers: dict[str, Callable] = {}
    extras_continuous: dict[str, dict] = {}
    if predictor.scale is not None:
        continuous_on_validation = target_probabilities_of_vectors(predictor, validation_vectors, validation_targets)
        weight = fit_interpolation_weight(continuous_on_validation, on_validation[best_order])
        ngram = ngrams[best_order]
        name = f"{CONTINUOUS_ROW} + Kneser-Ney {best_order}-gram"
        mixers[name] = lambda rows, p, weight=weight: weight * p + (1 - weight) * ngram.distributions(test_inputs[rows])
        extras_continuous[name] = {"model_weight": weight}
        cache = RecentCache(ids, every_vector, begin, CACHE_WINDOW, vocabulary_size)
        theta, cache_weight, cache_perplexity = fit_cache_mixture(cache, validation_positions, continuous_on_validation)
        name = f"{CONTINUOUS_ROW} + cache of the last {CACHE_WINDOW} words"
        mixers[name] = lambda rows, p: (1 - cache_weight) * p + cache_weight * cache.distributions(
            test_positions[rows], theta)
        extras_continuous[name] = {"model_weight": 1 - cache_weight, "theta": theta,
                                   "validation_perplexity": cache_perplexity}
    continuous = continuous_rows(predictor, test_vectors, test_targets, mixers, extras_continuous, best_hits, chunk)
    curve_positions = test_positions[np.unique(np.linspace(0, len(test_positions) - 1,
                                                           min(CURVE_TARGETS, len(test_positions))).astype(np.int64))]
    return {"targets": int(len(test_targets)), "part": "test", "best_ngram": f"Kneser-Ney {best_order}-gram",
            "rows": rows, "continuous_rows": continuous,
            "validation": {"targets": int(len(validation_targets)),
                           "window": _figures(predictor.score_vectors(window_vectors_on_validation, validation_targets)),
                           "continuous": _figures(predictor.score_vectors(validation_vectors, validation_targets))},
            "context_curve": {"targets": int(len(curve_positions)),
                              "model": model_curve(predictor, ids, curve_positions, split.validation_boundary,
                                                   chunk=chunk),
                              "kneser_ney": ngram_curve(ngrams, ids, curve_positions, chunk=chunk)},
            "generation": measure_decodings(windows, predictor, words,
                                            TextPairs.from_tokens_file(run_dir / run_folder.TOKENS, words),
                                            progress=progress)}


def _figures(score: Score) -> dict[str, Any]:
    return {"perplexity": score.perplexity, "top1": score.top1, "top10": score.top10}


def target_probabilities_of_vectors(predictor: NumpyNextWordPredictor, vectors: np.ndarray, targets: np.ndarray,
                                    chunk: int = 1000) -> np.ndarray:
    """The probabilities (N,) the model gives ``targets`` (N,) from its predicted ``vectors`` (N, D)."""
    chunk = min(chunk, rows_per_chunk(len(predictor.output_vectors)))
    return np.concatenate([np.exp(predictor.log_probabilities(vectors[start : start + chunk])[
        np.arange(len(targets[start : start + chunk])), targets[start : start + chunk]])
        for start in range(0, len(targets), chunk)])


CONTINUOUS_ROW = "model, state carried (continuous)"


CACHE_WINDOW = 500


def continuous_rows(predictor: NumpyNextWordPredictor, vectors: np.ndarray, targets: np.ndarray,
                    mixers: dict[str, Callable], extras: dict[str, dict], best_hits: np.ndarray,
                    chunk: int = 1000) -> list[dict[str, Any]]:
    """The continuous protocol's rows on the test targets: the model from its carried-state
    ``vectors`` (N, D), and each mixture: ``mixers`` maps a row's name to a function of (the
    chunk's rows (a slice), the model's distributions there) -> the mixture's distributions, its
    settings (fitted on validation) in ``extras``. Each row is paired with the Kneser-Ney order to
    beat (``best_hits``)."""
    if predictor.scale is None:
        return [_row(CONTINUOUS_ROW, predictor.score_vectors(vectors, targets))]
    accumulators = {name: ScoreAccumulator() for name in (CONTINUOUS_ROW, *mixers)}
    hits: dict[str, list[np.ndarray]] = {name: [] for name in accumulators}
    for start in range(0, len(targets), chunk):
        rows, chunk_targets = slice(start, start + chunk), targets[start : start + chunk]
        log_p, ranks, model_p = predictor.targets_and_ranks(vectors[rows], chunk_targets, with_distributions=True)
        hits[CONTINUOUS_ROW].append(accumulators[CONTINUOUS_ROW].add_targets(log_p, ranks) == 0)
        for name in mixers:
            figures = target_figures(mixers[name](rows, model_p), chunk_targets)
            hits[name].append(accumulators[name].add_targets(*figures) == 0)
    return [_row(name, accumulator.score(), **extras.get(name, {}), **paired_top1(np.concatenate(hits[name]), best_hits))
            for name, accumulator in accumulators.items()]


# Validation vectors (evenly spaced) on which the approximate memory's probes are tuned.
RECALL_QUERIES = 500


def training_memory(predictor: NumpyNextWordPredictor, train_ids: np.ndarray, length: int, unknown: list[int],
                    search: str, validation_vectors: np.ndarray, progress: bool = False) -> MemoryVotes:
    """The memory of the training ids (N,): with ``search`` "exact" every key compared
    (:class:`models.memory.TrainingMemory`), with "approximate" a faiss index
    (:class:`models.approximate_memory.ApproximateMemory`) whose probes are tuned on
    :data:`RECALL_QUERIES` of the ``validation_vectors`` (B, D)."""
    if search == "exact":
        return TrainingMemory.from_text(predictor, train_ids, length, unknown)
    with Progress("memory of the training text", len(train_ids), "words", enabled=progress) as reporter:
        memory = ApproximateMemory.from_text(predictor, train_ids, length, unknown,
                                             progress=lambda done, total: reporter.advance(done - reporter.done))
    queries = validation_vectors[np.linspace(0, len(validation_vectors) - 1,
                                             min(RECALL_QUERIES, len(validation_vectors))).astype(np.int64)]
    memory.tune_probes(queries)
    return memory


def memory_mixture(predictor: NumpyNextWordPredictor, memory: MemoryVotes, vectors: np.ndarray,
                   targets: np.ndarray, model_probabilities: np.ndarray) -> tuple[LinearMixture, dict[str, float]]:
    """The model mixed with its ``memory``, the temperature and weight fitted on
    :data:`MEMORY_FIT_WINDOWS` evenly spaced validation windows: the model's predicted ``vectors``
    (N, D) after them, their next words ``targets`` (N,) and the model's probabilities of those
    (N,); returns the mixture and its row's extras (weight, temperature, perplexity on those
    windows)."""
    fit = np.unique(np.linspace(0, len(targets) - 1, min(MEMORY_FIT_WINDOWS, len(targets))).astype(np.int64))
    found = memory.nearest(vectors[fit])
    temperature, weight, perplexity = fit_memory_mixture(memory, found, targets[fit], model_probabilities[fit])
    mixture = LinearMixture(predictor, MemoryModel(predictor, memory, temperature), weight)
    search = {"search": "exact"}
    if isinstance(memory, ApproximateMemory):
        search = {"search": "approximate", "cells": int(memory.index.nlist), "probes": memory.probes,
                  "recall": memory.recall, "keys": int(len(memory.values))}
    return mixture, {"model_weight": weight, "temperature": temperature, "validation_perplexity": perplexity,
                     "memory": search}


def measure_decodings(windows: run_folder.Windows, predictor: NumpyNextWordPredictor, words: list[str],
                      pairs: TextPairs | None = None, seeds: int = GENERATION_SEEDS,
                      length: int = GENERATION_LENGTH, progress: bool = False) -> dict[str, Any]:
    """The generation measures (:func:`models.sample_report.measure_generation`) of the default
    decoding with the state carried and from windows, and the blog's nearest word from windows,
    from ``seeds`` evenly spaced test windows, beside the test text's own punctuation share and
    quotation measures (``seeds`` spans of ``length`` words); ``pairs``: the neighbouring
    words the text allows (:meth:`lstmlab.models.generation.TextPairs.from_tokens_file`)."""
    starts = windows.split.test_starts
    chosen = starts[np.linspace(0, len(starts) - 1, min(seeds, len(starts))).astype(int)]
    seed_windows, _ = window_batch(windows.ids, chosen, windows.length)
    test_words = [words[i] for i in windows.ids[windows.split.test_boundary :]]
    punctuation = float(np.mean([is_punctuation(word) for word in test_words]))
    rows = []
    with Progress("generation report", len(COMPARED_DECODINGS), "decodings", enabled=progress) as reporter:
        for settings in COMPARED_DECODINGS:
            rows.append(measure_generation(predictor, words, seed_windows, length, settings, pairs))
            reporter.advance()
    return {"seeds": int(len(chosen)), "length": length, "test_punctuation_share": punctuation,
            "test_text_quotations": text_quotation_balance(test_words, seeds, length), "rows": rows}


def format_generation_table(report: dict[str, Any]) -> str:
    """The generation measures as a fixed-width text table."""
    text = report.get("test_text_quotations", {})
    lines = [f"generation: {report['seeds']} test seeds x {report['length']} words "
             f"(test text: {report['test_punctuation_share']:.1%} punctuation)",
             f"{'decoding':16s} {'rep. 4-grams':>12s} {'distinct-1':>10s} {'distinct-2':>10s} {'punct.':>7s} "
             f"{'top token':>9s} {'log p':>7s} {'quotes closed':>13s} {'unopened':>8s}"]
    for row in report["rows"]:
        name = f"{row['method']}, {row.get('context', 'window')}"
        lines.append(f"{name:16s} {row['repeated_4gram_share']:12.1%} {row['distinct_1']:10.2f} "
                     f"{row['distinct_2']:10.2f} {row['punctuation_share']:7.1%} {row['largest_token_share']:9.1%} "
                     f"{row['mean_log_probability']:7.2f} {_share(row.get('quotations_closed_share')):>13s} "
                     f"{_share(row.get('closing_marks_unopened_share')):>8s}")
    if text:
        lines.append(f"{'the test text':16s} {'':12s} {'':10s} {'':10s} {'':7s} {'':9s} {'':7s} "
                     f"{_share(text['quotations_closed_share']):>13s} {_share(text['closing_marks_unopened_share']):>8s}"
                     f"  ({text['spans']} spans of {text['length']} words)")
    return "\n".join(lines)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def format_protocols(evaluation: dict[str, Any]) -> str:
    """The continuous protocol's rows, the validation figures of both protocols and the context
    curve, as text."""
    lines = ["", "state carried over the text from the validation part's start (continuous protocol), same targets:"]
    for row in evaluation["continuous_rows"]:
        perplexity = "—" if row["perplexity"] is None else f"{row['perplexity']:.1f}"
        lines.append(f"{row['name']:63s} {perplexity:>7s} {row['top1']:7.1%} {row['top10']:7.1%}  (paired with "
                     f"{evaluation['best_ngram']}: {row['top1_only_this']} / {row['top1_only_other']}, "
                     f"z {row['top1_sign_test_z']:.1f})")
    validation = evaluation["validation"]
    for protocol in ("window", "continuous"):
        figures = validation[protocol]
        perplexity = "—" if figures["perplexity"] is None else f"{figures['perplexity']:.1f}"
        lines.append(f"validation ({validation['targets']} targets), {protocol:10s}: perplexity {perplexity}, "
                     f"top-1 {figures['top1']:.1%}, top-10 {figures['top10']:.1%}")
    curve = evaluation["context_curve"]
    lines.append(f"context curve ({curve['targets']} test targets): n words of context -> perplexity / top-1")
    for model, ngram in zip(curve["model"], curve["kneser_ney"]):
        model_perplexity = "—" if model["perplexity"] is None else f"{model['perplexity']:.1f}"
        lines.append(f"  n = {str(model['context']):>4s}: LSTM {model_perplexity:>7s} / {model['top1']:.1%}   "
                     f"Kneser-Ney {ngram['order']}-gram {ngram['perplexity']:7.1f} / {ngram['top1']:.1%}")
    return "\n".join(lines)


def model_against_best_ngram(evaluation: dict[str, Any], row_index: int = 0) -> dict[str, float]:
    """A row's perplexity relative to the validation-chosen Kneser-Ney order (-0.15 = 15% lower),
    and its top-1/top-10 minus that model's; the model's row unless ``row_index`` says another."""
    rows = {row["name"]: row for row in evaluation["rows"]}
    model, best = evaluation["rows"][row_index], rows[evaluation["best_ngram"]]
    relative = None if model["perplexity"] is None else model["perplexity"] / best["perplexity"] - 1.0
    return {"perplexity_change": relative, "top1_gain": model["top1"] - best["top1"],
            "top10_gain": model["top10"] - best["top10"]}


def format_table(evaluation: dict[str, Any]) -> str:
    """The evaluation as a fixed-width text table."""
    lines = [f"test part: the word after each of {evaluation['targets']} windows "
             f"(the n-gram order to beat, chosen on the validation part: {evaluation['best_ngram']})",
             f"{'predictor':36s} {'perplexity':>10s} {'top-1':>7s} {'top-10':>7s}"]
    for row in evaluation["rows"]:
        perplexity = "—" if row["perplexity"] is None else f"{row['perplexity']:.1f}"
        lines.append(f"{row['name']:36s} {perplexity:>10s} {row['top1']:7.1%} {row['top10']:7.1%}")
    for index, row in enumerate(evaluation["rows"]):
        if index == 0 or "model_weight" in row:
            against = model_against_best_ngram(evaluation, index)
            change = "" if against["perplexity_change"] is None else f"perplexity {against['perplexity_change']:+.1%}, "
            weight = f" (the model's weight {row['model_weight']:.2f}, fitted on validation)" if index else ""
            paired = (f" (right where it is wrong: {row['top1_only_this']}, the reverse: {row['top1_only_other']}, "
                      f"sign test z {row['top1_sign_test_z']:.1f})") if "top1_only_this" in row else ""
            lines.append(f"{'model' if index == 0 else row['name']}{weight} vs {evaluation['best_ngram']}: {change}"
                         f"top-1 {against['top1_gain'] * 100:+.1f} points{paired}, "
                         f"top-10 {against['top10_gain'] * 100:+.1f} points")
    if "continuous_rows" in evaluation:
        lines.append(format_protocols(evaluation))
    if "generation" in evaluation:
        lines += ["", format_generation_table(evaluation["generation"])]
    return "\n".join(lines)


def run(context: RunContext) -> dict[str, Any]:
    """The stage: ``RUN/model.keras`` + ``RUN/windows.npz`` -> ``RUN/evaluation.json``."""
    settings = context.config.evaluate
    table = evaluate_run(context.run_dir, settings.max_windows, settings.memory, settings.memory_search,
                         progress=context.progress)
    curve = table["context_curve"]
    context_curve_picture(context.path(run_folder.CONTEXT_CURVE), curve["model"], curve["kneser_ney"],
                          f"{context.corpus.stem}: the test part's {curve['targets']:,} targets by context length")
    write_text_atomic(context.path(run_folder.EVALUATION), json.dumps(table, indent=2, ensure_ascii=False) + "\n")
    return {"rows": table["rows"], "continuous_rows": table["continuous_rows"], "validation": table["validation"],
            "best_ngram": table["best_ngram"], "generation": table["generation"]["rows"]}
