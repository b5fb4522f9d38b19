"""Seeing inside an LSTM: the recording equals Keras, and the cells we know must exist are found
(a counter planted by hand, a depth counter a small LSTM learns, the adder's carry)."""

from __future__ import annotations

import json
import shutil
import subprocess

import keras
import numpy as np
import pytest

from lstmlab.models.inspection import (carry_bits, find_carry_unit, gate_saturation, linear_probe_accuracy,
                                       nesting_depth, one_hot, planted_depth_counter, rank_cells, record_lstm)
from lstmlab.models.numpy_lstm import NumpyLSTM


def test_a_planted_counting_cell_is_ranked_first_for_depth():
    rng = np.random.default_rng(0)
    tokens, depth = [], 0
    for _ in range(400):  # a random bracket text, depth 0 to 5
        token = rng.choice(["(", ")", "x"], p=[0.3, 0.3, 0.4])
        if (token == ")" and depth == 0) or (token == "(" and depth == 5):
            token = "x"
        depth += (token == "(") - (token == ")")
        tokens.append(str(token))
    layer = record_lstm(planted_depth_counter(["(", ")", "x"], units=8, seed=1), one_hot(tokens, ["(", ")", "x"]))
    feature = nesting_depth(tokens, "(", ")")
    best = rank_cells(layer, {"depth": feature})["depth"][0]
    assert (best["state"], best["unit"]) == ("c", 0) and best["r"] > 0.99
    np.testing.assert_allclose(layer.c[:, 0], feature, atol=1e-4)  # the cell is the count itself (float32)


def test_saturation_counts_the_steps_beyond_each_threshold():
    layer = record_lstm(planted_depth_counter(["(", ")", "x"], units=3), one_hot(list("(x)x"), ["(", ")", "x"]))
    saturation = gate_saturation(layer)
    assert saturation["i"]["right"][0] == 1.0 and saturation["f"]["right"][0] == 1.0  # held open
    assert saturation["g"]["right"][0] == 0.25 and saturation["g"]["left"][0] == 0.25  # +1 once, -1 once
    assert set(saturation) == {"i", "f", "g", "o"} and len(saturation["o"]["left"]) == 3


@pytest.mark.parametrize("backend_layer_units", [6])
def test_recorded_states_equal_keras_at_every_step(backend_layer_units):
    keras.utils.set_random_seed(4)
    inputs = np.random.default_rng(5).normal(size=(1, 12, 3)).astype("float32")
    layer = keras.layers.LSTM(backend_layer_units, return_sequences=True, return_state=True)
    layer(inputs)
    recording = record_lstm(NumpyLSTM.from_keras(layer), inputs[0])
    for t in range(1, 13):  # Keras' state after t steps: run on the prefix
        sequence, h, c = layer(inputs[:, :t])
        np.testing.assert_allclose(recording.h[t - 1], np.asarray(h)[0], atol=1e-5)
        np.testing.assert_allclose(recording.c[t - 1], np.asarray(c)[0], atol=1e-5)
    np.testing.assert_allclose(recording.h, np.asarray(sequence)[0], atol=1e-5)
    kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
    previous = np.vstack([np.zeros((1, backend_layer_units)), recording.h[:-1]])
    z = inputs[0] @ kernel + previous @ recurrent + bias  # the gates from Keras' own weights
    units = backend_layer_units
    np.testing.assert_allclose(recording.gates["i"], 1 / (1 + np.exp(-z[:, :units])), atol=1e-5)
    np.testing.assert_allclose(recording.gates["g"], np.tanh(z[:, 2 * units : 3 * units]), atol=1e-5)


def nested_quotation_language(count: int, rng: np.random.Generator) -> list[str]:
    """Tokens of a toy language: “ opens, ” closes (depth 0 to 3), and the word at depth d is
    "abcd"[d], so predicting the next word needs the depth."""
    tokens, depth = [], 0
    for _ in range(count):
        move = rng.random()
        if move < 0.2 and depth < 3:
            depth += 1
            tokens.append("“")
        elif move < 0.4 and depth > 0:
            depth -= 1
            tokens.append("”")
        else:
            tokens.append("abcd"[depth])
    return tokens


@pytest.mark.slow
def test_a_small_lstm_trained_on_nested_quotations_has_a_depth_cell():
    alphabet = ["“", "”", "a", "b", "c", "d"]
    rng = np.random.default_rng(0)
    tokens = nested_quotation_language(24_001, rng)
    ids = np.array([alphabet.index(token) for token in tokens])
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((40, len(alphabet))), keras.layers.LSTM(8, return_sequences=True),
                              keras.layers.Dense(len(alphabet), activation="softmax")])
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy")
    inputs = np.eye(len(alphabet), dtype="float32")[ids[:-1]].reshape(-1, 40, len(alphabet))
    model.fit(inputs, ids[1:].reshape(-1, 40), batch_size=20, epochs=12, verbose=0)
    test = nested_quotation_language(2_000, np.random.default_rng(1))
    layer = record_lstm(NumpyLSTM.from_keras(model.layers[0]), one_hot(test, alphabet))
    best = rank_cells(layer, {"depth": nesting_depth(test, "“", "”")})["depth"][0]
    assert abs(best["r"]) >= 0.9, best


@pytest.mark.slow
def test_the_trained_keras_adder_has_a_carry_unit():
    from lstmlab.models.demos.adder import PRESETS, AdderSettings, exact_match_accuracy, train_adder
    from lstmlab.models.demos.binary import addition_examples, all_pairs, random_sums
    from lstmlab.models.presets import settings_for

    model = train_adder(settings_for(AdderSettings, PRESETS, "default", cell="lstm"))
    assert exact_match_accuracy(model, *all_pairs(8), bits=8) > 0.99
    a, b = random_sums(300, 8, np.random.default_rng(5))
    found = find_carry_unit(NumpyLSTM.from_keras(model.get_layer("lstm")), addition_examples(a, b, 8)[0],
                            carry_bits(a, b, 8))
    assert abs(found["best_units"][0]["r"]) >= 0.9 and found["probe_accuracy"] >= 0.99, found["best_units"]


def test_the_carry_bits_and_the_linear_probe():
    assert carry_bits(np.array([127]), np.array([1]), 8).tolist() == [[1, 1, 1, 1, 1, 1, 1, 0]]
    states = np.random.default_rng(0).normal(size=(400, 5))
    assert linear_probe_accuracy(states, states[:, 2] > 0.1) > 0.97  # a linear read-out of one unit
    assert linear_probe_accuracy(states, np.random.default_rng(1).random(400) > 0.5) < 0.7


@pytest.mark.slow
def test_inspect_writes_a_page_that_a_browser_opens(tmp_path, small_gbk_corpus, capsys):
    from lstmlab.pipeline.cli import main

    run_dir = tmp_path / "run"
    tiny = ["--set", "word2vec.epochs=1", "--set", "word2vec.min_count=2", "--set", "segment.workers=1",
            "--set", "train.epochs=1", "--set", "train.max_train_windows=400", "--set", "train.lstm_units=8",
            "--set", "train.histograms=false", "--set", "evaluate.max_windows=200", "--set", "evaluate.memory=false"]
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(run_dir), "--until", "train", *tiny]) == 0
    assert main(["-q", "inspect", str(run_dir), "--words", "150"]) == 0
    printed = capsys.readouterr().out
    assert "inside_quotation" in printed and "wrote" in printed
    summary = json.loads((run_dir / "inspect" / "inspection.json").read_text(encoding="utf-8"))
    assert summary["words"] == 150 and set(summary["cells"]) >= {"inside_quotation", "words_since_sentence_end"}
    kinds = {row["kind"] for row in summary["comparison"]["by_kind"]}
    assert "punctuation" in kinds and sum(row["targets"] for row in summary["comparison"]["by_kind"]) == \
        summary["comparison"]["targets"]
    for name in ("states.h5", "train.h5", "words.dict", "lstm.yml"):
        assert (run_dir / "inspect" / "inspection-lstmvis" / name).is_file()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium here to open the page (apt-get install chromium)")
    page = (run_dir / "inspect" / "inspection.html").as_uri()
    done = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--virtual-time-budget=3000", "--dump-dom", page],
                          capture_output=True, text=True, timeout=120)
    console_errors = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console_errors == []
    assert done.stdout.count('class="word"') == 150  # the script drew every word
    assert '<select id="cell">' in done.stdout and "inside_quotation" in done.stdout
