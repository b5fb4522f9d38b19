"""Kneser-Ney n-grams and the baseline distributions: normalised, hand-checked, equal to a naive version."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from lstmlab.corpus.baselines import AddOneUnigram, InterpolatedBigram, unigram_ranking
from lstmlab.corpus.ngram import KneserNey, modified_discounts


def naive_kneser_ney(train: list[int], vocabulary_size: int, order: int):
    """Interpolated modified Kneser-Ney written the slow, obvious way with dictionaries."""
    grams = [Counter(tuple(train[i - k + 1 : i + 1]) for i in range(k - 1, len(train))) for k in range(1, order + 1)]
    counts = []  # counts[k-1][(h..., w)]: raw at the top order, else distinct words before
    for k in range(1, order + 1):
        if k == order:
            counts.append(dict(grams[k - 1]))
        else:
            continuation = Counter(gram[1:] for gram in grams[k])
            counts.append(dict(continuation))
    discounts = [modified_discounts(np.array(list(c.values()))) for c in counts]

    def probability(history: tuple, word: int, k: int) -> float:
        c = counts[k - 1]
        d = discounts[k - 1]
        history = history[len(history) - (k - 1):] if k > 1 else ()
        followers = {g[-1]: n for g, n in c.items() if g[:-1] == history}
        total = sum(followers.values())
        lower = 1.0 / vocabulary_size if k == 1 else probability(history, word, k - 1)
        if total == 0:
            return lower
        kept = {w: max(n - d[min(n, 3) - 1], 0.0) for w, n in followers.items()}
        gamma = 1.0 - sum(kept.values()) / total
        return kept.get(word, 0.0) / total + gamma * lower

    return lambda history, word: probability(tuple(history), word, order)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_equals_the_naive_implementation(order):
    rng = np.random.default_rng(order)
    train = rng.integers(0, 6, 300).tolist() + [0, 1, 2, 3] * 20
    model = KneserNey(np.array(train), 7, order)  # id 6 never occurs
    naive = naive_kneser_ney(train, 7, order)
    contexts = np.array([[0, 1, 2, 3], [5, 5, 5, 5], [6, 6, 1, 2], [3, 2, 1, 0]])
    got = model.distributions(contexts)
    expected = np.array([[naive(context.tolist(), word) for word in range(7)] for context in contexts])
    np.testing.assert_allclose(got, expected, rtol=1e-10)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_distributions_sum_to_one_and_are_positive(order, hongloumeng_ids):
    train, vocabulary_size = hongloumeng_ids
    model = KneserNey(train[:200_000], vocabulary_size, order)
    contexts = np.lib.stride_tricks.sliding_window_view(train[200_000:210_000], 6)[::50]
    probabilities = model.distributions(contexts)
    assert probabilities.shape == (len(contexts), vocabulary_size)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert probabilities.min() > 0


def test_a_hand_computed_bigram_probability():
    # bigrams (0,1) x2, (1,0), (0,2), (2,0); too few count classes for the formula: D = 0.5, 1, 1.5.
    model = KneserNey(np.array([0, 1, 0, 2, 0, 1]), 3, 2)
    # unigram from distinct predecessors: 0 <- {1, 2}, 1 <- {0}, 2 <- {0}; kept 1, .5, .5 of 4
    unigram = np.array([1.0, 0.5, 0.5]) / 4 + (1 - 2.0 / 4) / 3
    np.testing.assert_allclose(model.unigram, unigram)
    # after 0: c(0 1) = 2 -> 1, c(0 2) = 1 -> .5, of 3; gamma = 1 - 1.5/3
    expected = np.array([0.0, 1.0, 0.5]) / 3 + 0.5 * unigram
    np.testing.assert_allclose(model.distributions(np.array([[0]]))[0], expected)
    assert expected[1] == pytest.approx(0.47916666)


def test_modified_discounts_from_count_of_counts():
    counts = np.array([1] * 10 + [2] * 4 + [3] * 2 + [4])  # n1..n4 = 10, 4, 2, 1; Y = 10/18
    np.testing.assert_allclose(modified_discounts(counts), [1 - 2 * 10 / 18 * 0.4, 2 - 3 * 10 / 18 * 0.5,
                                                            3 - 4 * 10 / 18 * 0.5])


def test_order_one_ranks_like_the_unigram_baseline(hongloumeng_ids):
    train, vocabulary_size = hongloumeng_ids
    distribution = KneserNey(train, vocabulary_size, 1).distributions(train[:1, None])[0]
    ranking = np.argsort(-distribution, kind="stable")[:50]
    np.testing.assert_array_equal(ranking, unigram_ranking(train, vocabulary_size, 50))


def test_baseline_distributions():
    train = np.array([0, 1, 0, 1, 0, 2, 0, 1, 3], dtype=np.int32)
    unigram = AddOneUnigram(train, 5).distributions(np.zeros((1, 1), dtype=int))[0]
    np.testing.assert_allclose(unigram, np.array([5, 4, 2, 2, 1]) / 14)
    bigram = InterpolatedBigram(train, 5, weight=0.9).distributions(np.array([[3, 0], [1, 4]]))
    np.testing.assert_allclose(bigram[0], 0.9 * np.array([0, 3, 1, 0, 0]) / 4 + 0.1 * unigram)
    np.testing.assert_allclose(bigram[1], unigram)  # 4 never seen: the unigram alone
    np.testing.assert_allclose(bigram.sum(axis=1), 1.0)


@pytest.fixture(scope="module")
def hongloumeng_ids(hongloumeng_text):
    """红楼梦 as ids: every distinct character is a word (no segmentation needed for these checks)."""
    characters = [c for c in hongloumeng_text[:600_000] if not c.isspace()]
    index = {c: i for i, c in enumerate(sorted(set(characters)))}
    return np.array([index[c] for c in characters], dtype=np.int32), len(index)


def test_interpolation_weight_recovers_the_mixture_targets_were_drawn_from():
    """Targets drawn from 0.3 p1 + 0.7 p2 (two fixed random distributions over 50 words): the
    weight fitted from the probabilities each gave the targets is 0.3, and no weight on a grid
    gives a lower mean negative log-likelihood."""
    from lstmlab.corpus.interpolation import fit_interpolation_weight, mixture_negative_log_likelihood

    rng = np.random.default_rng(0)
    p1, p2 = rng.dirichlet(np.full(50, 0.3), size=2)
    choose_first = rng.random(20_000) < 0.3
    targets = np.where(choose_first, rng.choice(50, 20_000, p=p1), rng.choice(50, 20_000, p=p2))
    weight = fit_interpolation_weight(p1[targets], p2[targets])
    assert weight == pytest.approx(0.3, abs=0.03)
    best = mixture_negative_log_likelihood(weight, p1[targets], p2[targets])
    assert all(best <= mixture_negative_log_likelihood(w, p1[targets], p2[targets]) + 1e-12
               for w in np.linspace(0, 1, 41))


def test_linear_mixture_of_kneser_ney_and_unigram_is_a_distribution():
    from lstmlab.corpus.interpolation import LinearMixture, fit_interpolation_weight

    train = np.random.default_rng(1).integers(0, 30, 2000)
    kneser_ney, unigram = KneserNey(train, 30, 3), AddOneUnigram(train, 30)
    contexts = np.random.default_rng(2).integers(0, 30, size=(7, 4))
    mixed = LinearMixture(kneser_ney, unigram, 0.25).distributions(contexts)
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(mixed, 0.25 * kneser_ney.distributions(contexts) + 0.75 * unigram.distributions(contexts))
    with pytest.raises(ValueError, match="equal non-empty"):
        fit_interpolation_weight(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        LinearMixture(kneser_ney, unigram, 1.5)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_target_probabilities_are_the_distributions_entries(order, hongloumeng_ids):
    from lstmlab.corpus.scoring import WithoutWords

    ids, vocabulary = hongloumeng_ids
    train, held_out = ids[:200_000], ids[200_000:201_000]
    contexts = np.lib.stride_tricks.sliding_window_view(held_out[:-1], 4)
    targets = held_out[4:]
    for model in (KneserNey(train, vocabulary, order), WithoutWords(KneserNey(train, vocabulary, order), [0, 3])):
        expected = model.distributions(contexts)[np.arange(len(targets)), targets]
        np.testing.assert_allclose(model.target_probabilities(contexts, targets), expected, rtol=1e-12, atol=1e-15)
