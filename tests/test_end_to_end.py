"""The whole pipeline through the CLI on a 2,500-line cut of 儒林外史 in GBK, tiny settings."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main

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
                 "evaluation.json", "sample.txt"):
        assert (finished_run / name).is_file(), name
    evaluation = json.loads((finished_run / "evaluation.json").read_text(encoding="utf-8"))
    names = [row["name"] for row in evaluation["rows"]]
    assert names[0].startswith("model") and "baseline" in names[1] and "baseline" in names[2]
    assert all(0.0 <= row["top1"] <= row["top10"] <= 1.0 for row in evaluation["rows"])
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
        main(["-q", "generate", str(finished_run), "--seed", "王冕", "--temperature", "0.8", "--seed-rng", "4"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and len(outputs[0]) > 10


@pytest.mark.slow
def test_similar_and_unknown_word(finished_run, capsys):
    assert main(["-q", "similar", str(finished_run), "王冕", "-k", "3"]) == 0
    assert len(capsys.readouterr().out.strip().split("\n")) == 3
    assert main(["-q", "similar", str(finished_run), "王冕冕"]) == 1
    assert "not in the vocabulary" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_command_prints_the_table(finished_run, capsys):
    assert main(["-q", "evaluate", str(finished_run)]) == 0
    out = capsys.readouterr().out
    assert "baseline: most frequent after previous word" in out and "top-10" in out
