"""The whole pipeline through the CLI on a 60,000-character cut of 儒林外史 in GBK, tiny settings."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmlab.pipeline.cli import main

TINY = ["--set", "word2vec.epochs=2", "--set", "train.epochs=1", "--set", "train.max_train_windows=3000",
        "--set", "train.metric_windows=300", "--set", "generate.length=12", "--set", "train.lstm_units=32"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, small_gbk_corpus):
    run_dir = tmp_path_factory.mktemp("e2e") / "run"
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(run_dir), *TINY]) == 0
    return run_dir


@pytest.mark.slow
def test_run_writes_every_stage_output(finished_run, capsys):
    for name in ("text.txt", "tokens.txt", "word2vec.kv", "vectors.bin", "windows.npz", "model.keras",
                 "predictor.npz", "evaluation.json", "sample.txt"):
        assert (finished_run / name).is_file(), name
    evaluation = json.loads((finished_run / "evaluation.json").read_text(encoding="utf-8"))
    names = [row["name"] for row in evaluation["rows"]]
    assert names[:3] == ["model (softmax over scaled cosines)", "unigram (add-one)", "bigram (interpolated, 0.9)"]
    assert names[3:7] == [f"Kneser-Ney {order}-gram" for order in (2, 3, 4, 5)]
    best_ngram = next(row for row in evaluation["rows"] if row["name"] == evaluation["best_ngram"])
    mixture, memory = evaluation["rows"][7:]
    assert names[7:] == [f"model + {evaluation['best_ngram']}", "model + memory of the training text"]
    assert 0.0 <= mixture["model_weight"] <= 1.0 and 0.0 <= memory["model_weight"] <= 1.0
    assert memory["temperature"] in (10.0, 30.0, 100.0)
    for row in (evaluation["rows"][0], mixture, memory):  # paired with the n-gram: the top-1 gap, target by target
        gap = (row["top1_only_this"] - row["top1_only_other"]) / evaluation["targets"]
        assert gap == pytest.approx(row["top1"] - best_ngram["top1"], abs=1e-12)
    # the weight is fitted on validation, where weight 0 is the n-gram alone: the mixture cannot be worse there
    assert mixture["validation_perplexity"] <= best_ngram["validation_perplexity"] * (1 + 1e-9)
    assert all(0.0 <= row["top1"] <= row["top10"] <= 1.0 for row in evaluation["rows"])
    # the continuous protocol: the same targets, the state carried; the cache is fitted on validation
    continuous = {row["name"]: row for row in evaluation["continuous_rows"]}
    assert len(continuous) == 3 and all(row["targets"] == evaluation["targets"] for row in continuous.values())
    cache = next(row for name, row in continuous.items() if "cache" in name)
    assert 0.6 <= cache["model_weight"] <= 1.0 and cache["theta"] in (5.0, 10.0, 20.0, 40.0)
    assert set(evaluation["validation"]) == {"targets", "window", "continuous"}
    curve = evaluation["context_curve"]
    assert [row["context"] for row in curve["model"]] == [1, 2, 3, 5, 10, 20, 50, 100, 200, "all"]
    assert [row["order"] for row in curve["kneser_ney"]] == [2, 3, 4, 5, 5, 5, 5, 5, 5, 5]
    assert (finished_run / "context_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    quotes = evaluation["generation"]["test_text_quotations"]
    assert quotes["spans"] >= 1 and evaluation["generation"]["length"] == 500
    assert all(row["targets"] == evaluation["targets"] > 1000 for row in evaluation["rows"])
    unigram, bigram, kneser_ney = (evaluation["rows"][i]["perplexity"] for i in (1, 2, 4))
    assert unigram > bigram > kneser_ney > 20  # each stronger classical model is less perplexed
    generation = {row["method"]: row for row in evaluation["generation"]["rows"]}
    assert generation["nearest"]["repeated_4gram_share"] > generation["sample"]["repeated_4gram_share"]
    assert any((finished_run / "logs").rglob("events.out.tfevents*"))
    assert any((finished_run / "logs").rglob("projector_config.pbtxt"))
    assert not (finished_run / "train_work").exists()


@pytest.mark.slow
def test_second_run_skips_everything(finished_run, small_gbk_corpus, capsys):
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(finished_run), *TINY]) == 0
    out = capsys.readouterr().out
    assert out.count("up to date, skipped") == 7


@pytest.mark.slow
def test_generate_from_typed_seed_words(finished_run, capsys):
    assert main(["-q", "generate", str(finished_run), "--seed", "王冕看牛xyz", "--length", "5"]) == 0
    captured = capsys.readouterr()
    assert "xyz" in captured.err  # named as not in the vocabulary
    assert captured.out.startswith("王冕")
    assert main(["-q", "generate", str(finished_run), "--seed", "qqq", "--length", "5"]) == 2
    assert "none of the seed words" in capsys.readouterr().err


@pytest.mark.slow
def test_sampled_generation_is_reproducible(finished_run, capsys):
    outputs = []
    for _ in range(2):
        main(["-q", "generate", str(finished_run), "--seed", "王冕", "--temperature", "0.8", "--rng-seed", "4"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and len(outputs[0]) > 10


@pytest.mark.slow
def test_similar_and_unknown_word(finished_run, capsys):
    assert main(["-q", "similar", str(finished_run), "王冕", "-k", "3"]) == 0
    assert len(capsys.readouterr().out.strip().split("\n")) == 3
    assert main(["-q", "similar", str(finished_run), "王冕冕"]) == 2
    assert "not in the vocabulary" in capsys.readouterr().err
    assert main(["-q", "similar", str(finished_run), "王\x1b[2J"]) == 2  # a control character is shown escaped
    error = capsys.readouterr().err
    assert "\x1b" not in error and "\\x1b[2J" in error


@pytest.mark.slow
def test_evaluate_command_prints_the_table(finished_run, capsys):
    assert main(["-q", "evaluate", str(finished_run)]) == 0
    out = capsys.readouterr().out
    assert "Kneser-Ney 5-gram" in out and "perplexity" in out and "rep. 4-grams" in out


@pytest.mark.slow
def test_generate_reads_seeds_from_standard_input(finished_run, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("王冕\nqqq\n\n范进\n"))
    assert main(["-q", "generate", str(finished_run), "--seed", "-", "--length", "4"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.split("\n")[:-1]
    assert len(lines) == 3 and lines[0].startswith("王冕") and lines[1] == "" and lines[2].startswith("范进")
    assert "none of the seed words" in captured.err


@pytest.mark.slow
def test_generate_does_not_import_tensorflow(finished_run):
    import subprocess
    import sys

    code = ("import sys; from pipeline.cli import main; main(['-q', 'generate', sys.argv[1], '--seed', '王冕', "
            "'--length', '5']); print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(finished_run)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("False False") and done.stderr == ""


@pytest.mark.slow
@pytest.mark.parametrize("arguments, message", [
    (["--length", "-5"], "length must be at least 1"),
    (["--temperature", "-1"], "generate.temperature = -1.0 is out of range"),
    (["--top-k", "-3"], "generate.top_k = -3 is out of range"),
    (["--method", "beam", "--beam-width", "0"], "generate.beam_width = 0 is out of range"),
])
def test_generate_rejects_out_of_range_arguments(finished_run, capsys, arguments, message):
    assert main(["-q", "generate", str(finished_run), "--seed", "王冕", *arguments]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name, command", [("windows.npz", "generate"), ("predictor.npz", "generate"),
                                           ("word2vec.kv", "similar")])
def test_a_damaged_file_is_named_with_how_to_rebuild_it(finished_run, tmp_path, capsys, name, command):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    damaged = copy / name
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    arguments = ["--seed", "王冕"] if command == "generate" else ["王冕"]
    assert main(["-q", command, str(copy), *arguments]) == 2
    error = capsys.readouterr().err
    assert f"{damaged} is damaged" in error and "rebuild it with: lstmlab" in error


@pytest.mark.slow
def test_random_generate_and_similar_arguments_exit_0_or_2(finished_run, capsys):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(length=st.integers(-50, 40), temperature=st.floats(-3, 3), top_k=st.integers(-5, 30),
           top_p=st.floats(-1, 2), method=st.sampled_from(["sample", "greedy", "beam", "nearest"]),
           k=st.integers(-5, 50), word=st.text(min_size=1, max_size=4))
    def check(length, temperature, top_k, top_p, method, k, word):
        status = main(["-q", "generate", str(finished_run), "--seed", "王冕", "--length", str(length), "--method",
                       method, "--temperature", repr(temperature), "--top-k", str(top_k), "--top-p", repr(top_p)])
        assert status in (0, 2)
        assert main(["-q", "similar", str(finished_run), word, "-k", str(k)]) in (0, 2)
        capsys.readouterr()

    check()


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(length=st.integers(-10, 40), temperature=st.floats(-2, 3) | st.just(float("nan")),
       top_k=st.integers(-5, 30), top_p=st.floats(-1, 2) | st.just(float("nan")), k=st.integers(-3, 12))
def test_random_generate_and_similar_arguments_give_text_or_one_clear_error(finished_run, capsys, length,
                                                                          temperature, top_k, top_p, k):
    valid = length >= 1 and temperature >= 0 and top_k >= 0 and 0 < top_p <= 1  # False for NaN
    status = main(["-q", "generate", str(finished_run), "--seed", "王冕", f"--length={length}",
                   f"--temperature={temperature!r}", f"--top-k={top_k}", f"--top-p={top_p!r}"])
    printed = capsys.readouterr()
    assert status == (0 if valid else 2), printed.err
    assert ("王冕" in printed.out) if valid else (printed.err.startswith("lstmlab: error:") and
                                                 "Traceback" not in printed.err)
    status = main(["-q", "similar", str(finished_run), "王冕", f"-k={k}"])
    printed = capsys.readouterr()
    assert status == (0 if k >= 1 else 2)
    if k >= 1:
        assert len(printed.out.strip().splitlines()) == k


@pytest.mark.slow
def test_rare_words_as_one_unknown_word_through_the_whole_pipeline(tmp_path, small_gbk_corpus, capsys):
    import numpy as np

    from lstmlab.corpus.vocabulary import UNKNOWN
    from lstmlab.models.predictor import NumpyNextWordPredictor
    from lstmlab.pipeline import run_folder

    run_dir = tmp_path / "run"
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(run_dir), *TINY,
                 "--set", "word2vec.rare_as_unknown=true", "--set", "generate.length=60"]) == 0
    windows = run_folder.load_windows(run_dir)
    tokens = (run_dir / "tokens.txt").read_text(encoding="utf-8").split()
    assert len(windows.ids) == len(tokens)  # every word keeps its place
    predictor, words, _ = NumpyNextWordPredictor.load(run_dir / "predictor.npz")
    unknown = words.index(UNKNOWN)
    assert predictor.output_bias[unknown] == -np.inf and np.sum(windows.ids == unknown) > 1000
    test_targets = windows.ids[windows.split.test_starts + windows.length]
    evaluation = json.loads((run_dir / "evaluation.json").read_text(encoding="utf-8"))
    assert evaluation["targets"] == np.sum(test_targets != unknown) < len(test_targets)
    capsys.readouterr()
    assert main(["-q", "generate", str(run_dir), "--seed", "王冕", "--length", "200"]) == 0
    assert UNKNOWN not in capsys.readouterr().out
    # the epoch samples in TensorBoard show their seed (the validation part's first window) as the text writes it
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from lstmlab.corpus.text import join_words

    samples = EventAccumulator(str(next((run_dir / "logs").rglob("samples"))), size_guidance={"tensors": 0})
    samples.Reload()
    tag = next(tag for tag in samples.Tags()["tensors"] if "generated" in tag)
    sample = samples.Tensors(tag)[-1].tensor_proto.string_val[0].decode("utf-8")
    start = windows.split.validation_boundary
    assert sample.split(" → ")[0] == join_words(tokens[start : start + windows.length])
