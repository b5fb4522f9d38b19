"""Generation: the model's distribution, top-p, the n-gram ban, beam search, numpy == Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lstmlab.models.generation import (TextPairs, adjusted, banned_by_ngram, beam_search, draw, generate,
                                       generate_ids, nucleus)
from lstmlab.models.next_word import build_next_word_model, output_word_vectors, prediction_model
from lstmlab.models.numpy_lstm import NumpyLSTM
from lstmlab.models.predictor import NumpyNextWordPredictor
from lstmlab.models.settings import DecodingSettings, NextWordSettings

VOCABULARY, DIMENSIONS = 60, 12


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(4)
    vectors = np.random.default_rng(5).normal(size=(VOCABULARY, DIMENSIONS)).astype(np.float32)
    counts = np.random.default_rng(6).integers(0, 100, VOCABULARY)  # the word biases start at log unigram p
    return build_next_word_model(vectors, NextWordSettings(lstm_units=16, scale=8.0), word_counts=counts)


@pytest.fixture(scope="module")
def predictor(model):
    return NumpyNextWordPredictor.from_model(model)


def test_distribution_is_softmax_of_scaled_cosines_plus_biases_over_temperature(predictor):
    vectors = np.random.default_rng(0).normal(size=(3, DIMENSIONS))
    units = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    words = predictor.output_vectors / np.linalg.norm(predictor.output_vectors, axis=1, keepdims=True)
    for temperature in (1.0, 0.5, 2.0):
        assert np.ptp(predictor.output_bias) > 1.0
        logits = (predictor.scale * (units @ words.T) + predictor.output_bias) / temperature
        expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        probabilities = np.exp(predictor.log_probabilities(vectors, temperature))
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)
        np.testing.assert_allclose(probabilities, expected, rtol=1e-5)


def truncated_probabilities(log_probabilities: np.ndarray, top_k: int, top_p: float,
                            candidates: int = 512) -> np.ndarray:
    """:func:`nucleus` as a distribution over every word (V,): zero outside the kept words."""
    ids, kept = nucleus(log_probabilities, top_k, top_p, candidates)
    out = np.zeros(len(log_probabilities))
    out[ids] = kept
    return out


def test_top_p_keeps_the_smallest_set_reaching_p():
    probabilities = np.array([0.05, 0.4, 0.1, 0.3, 0.15])
    kept = truncated_probabilities(np.log(probabilities), top_k=0, top_p=0.8)
    np.testing.assert_allclose(kept, np.array([0, 0.4, 0, 0.3, 0.15]) / 0.85)  # 0.4+0.3 < 0.8 <= +0.15
    assert np.count_nonzero(truncated_probabilities(np.log(probabilities), 0, 0.4)) == 1
    np.testing.assert_allclose(truncated_probabilities(np.log(probabilities), 2, 1.0), [0, 4 / 7, 0, 3 / 7, 0])


def test_banned_words_complete_an_earlier_ngram():
    assert banned_by_ngram([1, 2, 3, 1, 2], 3) == {3}
    assert banned_by_ngram([1, 2, 3, 1, 2], 4) == set()
    assert banned_by_ngram([4, 5, 4], 1) == {4, 5}


@pytest.mark.parametrize("method", ["sample", "greedy", "beam"])
def test_no_repeat_ngram_never_emits_a_repeated_ngram(predictor, method):
    settings = DecodingSettings(method=method, no_repeat_ngram=3, repetition_penalty=1.0, temperature=0.3)
    words = [1, 2, 3] + generate(predictor, [1, 2, 3], 80, 6, settings).ids
    trigrams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    assert len(trigrams) == len(set(trigrams))


def test_beam_width_one_equals_greedy(predictor):
    for penalty in (1.0, 1.5):
        settings = DecodingSettings(method="greedy", repetition_penalty=penalty, no_repeat_ngram=2)
        greedy = generate_ids(predictor, [3, 1, 4], 30, 5, settings)
        beam = beam_search(predictor, [3, 1, 4], 30, 5, DecodingSettings(method="beam", beam_width=1,
                                                                         repetition_penalty=penalty, no_repeat_ngram=2))
        assert beam.ids == greedy


def test_wider_beam_finds_a_likelier_sequence(predictor):
    plain = dict(repetition_penalty=1.0, no_repeat_ngram=0)
    greedy = generate(predictor, [7, 8], 12, 5, DecodingSettings(method="greedy", **plain))
    beam = generate(predictor, [7, 8], 12, 5, DecodingSettings(method="beam", beam_width=8, **plain))
    assert sum(beam.log_probabilities) >= sum(greedy.log_probabilities) - 1e-5  # batch-size float noise


def test_numpy_greedy_generation_equals_keras(model, predictor):
    """Keras itself, one word at a time: the greedy decoding takes the largest logit (scaled
    cosine plus the word's bias), the blog's nearest word the largest cosine alone."""
    vector_model = prediction_model(model)
    decoding = output_word_vectors(model)
    decoding = decoding / np.linalg.norm(decoding, axis=1, keepdims=True)
    likeliest, nearest = [5, 9, 2], [5, 9, 2]
    for _ in range(25):
        logits = model.predict(np.array([likeliest[-6:]], dtype=np.int32), verbose=0)[0, -1]
        likeliest.append(int(np.argmax(logits)))
        vector = vector_model.predict(np.array([nearest[-6:]], dtype=np.int32), verbose=0)[0]
        nearest.append(int(np.argmax(decoding @ (vector / np.linalg.norm(vector)))))
    assert likeliest != nearest  # the biases change which word is likeliest
    plain = DecodingSettings(method="greedy", repetition_penalty=1.0, no_repeat_ngram=0, context="window")
    assert generate_ids(predictor, [5, 9, 2], 25, 6, plain) == likeliest[3:]
    blog = DecodingSettings(method="nearest", context="window")
    assert generate_ids(predictor, [5, 9, 2], 25, 6, blog) == nearest[3:]  # the blog's nearest word


def test_carried_generation_equals_keras_over_the_whole_text(model, predictor):
    """With the state carried, each word is the greedy pick after everything before it: Keras
    reading the whole history from a zero state picks the same words."""
    history = [5, 9, 2]
    for _ in range(25):
        logits = model.predict(np.array([history], dtype=np.int32), verbose=0)[0, -1]
        history.append(int(np.argmax(logits)))
    plain = DecodingSettings(method="greedy", repetition_penalty=1.0, no_repeat_ngram=0, context="carried")
    assert generate_ids(predictor, [5, 9, 2], 25, 6, plain) == history[3:]
    beam = DecodingSettings(method="beam", beam_width=1, repetition_penalty=1.0, no_repeat_ngram=0)
    assert beam_search(predictor, [5, 9, 2], 25, 6, beam).ids == history[3:]


def test_sampling_is_reproducible_and_follows_the_seed(predictor):
    settings = DecodingSettings(rng_seed=3)
    assert generate_ids(predictor, [1, 2], 20, 5, settings) == generate_ids(predictor, [1, 2], 20, 5, settings)


def test_saved_predictor_loads_with_the_same_outputs(predictor, tmp_path):
    words = [f"w{i}" for i in range(VOCABULARY)]
    predictor.save(tmp_path / "p.npz", words, list(range(VOCABULARY, 0, -1)))
    loaded, loaded_words, counts = NumpyNextWordPredictor.load(tmp_path / "p.npz")
    assert counts == list(range(VOCABULARY, 0, -1))
    ids = np.random.default_rng(1).integers(0, VOCABULARY, (4, 7))
    np.testing.assert_array_equal(loaded.predict_vectors(ids), predictor.predict_vectors(ids))
    assert loaded_words == words and loaded.scale == pytest.approx(predictor.scale)


class EchoPredictor:
    """A stand-in model that puts 90% of the next word's probability on the last word of its window
    (it has no state: generation from it reads windows, context "window")."""

    def predict_vectors(self, windows: np.ndarray) -> np.ndarray:
        return np.eye(VOCABULARY)[windows[:, -1]]

    def log_probabilities(self, vectors: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        logits = (vectors * np.log(0.9 * (VOCABULARY - 1) / 0.1)) / temperature
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("method", ["sample", "greedy", "beam"])
def test_a_word_follows_itself_only_where_the_text_pairs_allow(method):
    plain = dict(method=method, no_repeat_ngram=0, repetition_penalty=1.0, top_p=1.0, context="window")
    seed = [1, 2, 3]
    pairs = TextPairs(frozenset(), {i: frozenset({i}) for i in range(0, VOCABULARY, 2)})  # even ids may double
    echo = EchoPredictor()
    np.testing.assert_allclose(np.exp(echo.log_probabilities(np.eye(VOCABULARY)[[3]]))[0, 3], 0.9)
    held = [seed[-1]] + generate(echo, seed, 60, 5, DecodingSettings(**plain), pairs).ids
    doubles = [a for a, b in zip(held, held[1:]) if a == b]
    assert held[1] != 3 and doubles and all(a % 2 == 0 for a in doubles)  # only the even ids double
    free = generate(echo, seed, 60, 5, DecodingSettings(**plain)).ids  # no pairs given: no rule
    off = generate(echo, seed, 60, 5, DecodingSettings(**plain, text_pairs_only=False), pairs).ids
    assert off == free and (method == "sample" or free == [3] * 60)


def test_a_punctuation_mark_follows_another_only_as_the_text_writes_it():
    pairs = TextPairs.from_word_pairs({("。", "”"), ("—", "—"), ("，", "好")}, ["。", "”", "—", "，", "好", "道"])
    assert pairs.punctuation == {0, 1, 2, 3}
    assert pairs.banned_after(0) == {0, 2, 3}  # "。”" is written, "。。" "。—" "。，" are not
    assert pairs.banned_after(2) == {0, 1, 3}  # "——" is written
    assert pairs.banned_after(3) == {0, 1, 2, 3}  # "，好" is not a pair of marks: no follower counts
    assert pairs.banned_after(5) == {5}  # after a word only the word itself is checked
    log_p = np.log(np.full(6, 1 / 6))
    settings = DecodingSettings(repetition_penalty=1.0, no_repeat_ngram=0)
    allowed = np.isfinite(adjusted(log_p, [4, 0], settings, pairs))
    assert allowed.tolist() == [False, True, False, False, True, True]


def test_text_pairs_are_read_from_the_run_tokens(tmp_path):
    tokens = tmp_path / "tokens.txt"
    assert TextPairs.from_tokens_file(tokens, ["甲"]) is None  # no tokens.txt: no rule
    tokens.write_text("甲 甲 乙 丙 丙 。 ”\n乙 ， 乙\n丁 ，\n， 丁 戊\n", encoding="utf-8")
    pairs = TextPairs.from_tokens_file(tokens, ["乙", "甲", "，", "丁", "。", "”"])
    assert pairs.followers == {1: {1}, 4: {5}}  # 丙 is not a word; "， ，" and "丁 丁" are lines apart
    assert pairs.punctuation == {2, 4, 5}


def test_a_word_never_predicted_gets_nothing_and_the_rest_is_renormalised(model, tmp_path):
    plain, excluded = NumpyNextWordPredictor.from_model(model), NumpyNextWordPredictor.from_model(model)
    assert excluded.never_predict([7]) is excluded
    vectors = plain.predict_vectors(np.random.default_rng(2).integers(0, VOCABULARY, (5, 6)))
    p, q = np.exp(plain.log_probabilities(vectors)), np.exp(excluded.log_probabilities(vectors))
    assert np.all(q[:, 7] == 0.0) and np.allclose(q.sum(axis=1), 1.0, atol=1e-12)
    others = np.arange(VOCABULARY) != 7
    np.testing.assert_allclose(q[:, others], p[:, others] / (1.0 - p[:, [7]]), rtol=1e-9)
    excluded.save(tmp_path / "p.npz", [f"w{i}" for i in range(VOCABULARY)], [1] * VOCABULARY)
    loaded, _, _ = NumpyNextWordPredictor.load(tmp_path / "p.npz")  # the exclusion is saved
    np.testing.assert_allclose(np.exp(loaded.log_probabilities(vectors)), q, rtol=1e-6)
    nearest = plain.decoder.top_k(plain.output_vectors[[7]], 2)[0]  # word 7's own vector: 7 is nearest
    assert nearest[0] == 7 and loaded.decoder.top_k(plain.output_vectors[[7]], 1)[0, 0] == nearest[1]
    every = loaded.decoder.top_k(vectors, VOCABULARY)  # as many as there are: all but word 7
    assert every.shape == (5, VOCABULARY - 1) and not np.any(every == 7)


@pytest.mark.parametrize("method", ["sample", "greedy", "beam", "nearest"])
def test_generation_never_writes_a_word_never_predicted(method):
    # output vectors one-hot per word, predicted vector one-hot of the last word: after 3 the
    # likeliest and nearest word is 3 by far (cosine 1 against 0), unless 3 is never predicted
    predictor = NumpyNextWordPredictor(np.eye(VOCABULARY), [NumpyLSTM(np.zeros((VOCABULARY, 4)), np.zeros((1, 4)),
                                       np.zeros(4))], np.zeros((1, VOCABULARY)), np.zeros(VOCABULARY),
                                       np.eye(VOCABULARY), 20.0)
    predictor.predict_vectors = EchoPredictor().predict_vectors
    settings = DecodingSettings(method=method, temperature=0.05, no_repeat_ngram=0, repetition_penalty=1.0, top_p=1.0,
                                context="window")  # the stand-in predicts from windows
    assert generate(predictor, [1, 2, 3], 5, 5, settings).ids[0] == 3
    ids = generate(predictor.never_predict([3]), [1, 2, 3], 40, 5, settings).ids
    assert 3 not in ids and len(ids) == 40


def test_sorting_only_the_likeliest_words_keeps_the_same_nucleus():
    """nucleus sorts only its 512 likeliest candidates when they hold top_p: the
    result is the full sort's, for peaked and flat distributions, with and without top_k."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        log_p = rng.normal(scale=rng.choice([0.5, 2.0, 5.0]), size=3000)
        log_p -= np.logaddexp.reduce(log_p)
        top_k, top_p = int(rng.choice([0, 5, 100, 600])), float(rng.choice([0.5, 0.9, 0.99, 1.0]))
        fast = truncated_probabilities(log_p, top_k, top_p)
        full = truncated_probabilities(log_p, top_k, top_p, candidates=10**9)
        np.testing.assert_array_equal(fast > 0, full > 0)
        np.testing.assert_allclose(fast, full, rtol=1e-12, atol=0)


def test_drawing_from_the_nucleus_picks_what_a_choice_over_every_word_picks():
    """Sampling draws from the kept words alone (models.generation.draw); with the same random
    numbers it picks the word that numpy's choice over the whole (V,) distribution picks."""
    rng = np.random.default_rng(1)
    for seed in range(300):
        log_p = rng.normal(scale=rng.choice([0.5, 2.0, 5.0]), size=3000)
        top_k, top_p = int(rng.choice([0, 5, 100])), float(rng.choice([0.5, 0.9, 1.0]))
        dense = truncated_probabilities(log_p, top_k, top_p)
        expected = np.random.default_rng(seed).choice(len(dense), p=dense)
        assert draw(*nucleus(log_p, top_k, top_p), np.random.default_rng(seed)) == expected
