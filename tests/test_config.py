"""Config: defaults, presets, TOML files and --set overrides; errors name the key."""

from __future__ import annotations

import pytest

from lstmlab.pipeline.config import ConfigError, hashed_settings, load_config, parse_override, to_toml


def test_defaults_and_blog_preset():
    assert load_config().train.loss == "softmax"
    blog = load_config(preset="blog").train
    assert (blog.loss, blog.optimizer, blog.learning_rate, blog.batch_size) == ("mse", "sgd", 0.1, 10)
    assert load_config().word2vec.window == 8 and load_config().word2vec.negative == 25


def test_file_then_overrides(tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text('preset = "blog"\n[train]\nepochs = 3\n[fix-encoding]\nerrors = "replace"\n', encoding="utf-8")
    config = load_config(path, ["train.epochs=7", "segment.hmm=false", "train.learning_rate=1"])
    assert config.train.epochs == 7 and config.train.loss == "mse"
    assert config.fix_encoding.errors == "replace"
    assert config.segment.hmm is False
    assert config.train.learning_rate == 1.0


@pytest.mark.parametrize("override, message", [
    ("train.epoch=3", "unknown setting train.epoch"),
    ("trian.epochs=3", r"unknown config section \[trian\]"),
    ("train.epochs=three", "train.epochs must be int"),
    ("segment.hmm=1", "segment.hmm must be bool"),
    ("train.epochs", "section.key=value"),
])
def test_bad_overrides_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=[override])


def test_unknown_preset_and_bad_file(tmp_path):
    with pytest.raises(ConfigError, match="unknown preset"):
        load_config(preset="fast")
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_config(bad)


def test_toml_round_trip(tmp_path):
    config = load_config(preset="blog", overrides=['generate.seed_text="宝玉"'])
    path = tmp_path / "round.toml"
    path.write_text(to_toml(config), encoding="utf-8")
    assert load_config(path) == config


def test_bare_word_override_is_a_string():
    assert parse_override("train.loss=mse") == ("train", "loss", "mse")


def test_worker_counts_are_not_part_of_the_cache_key():
    assert "workers" not in hashed_settings(load_config().segment)
    assert "hmm" in hashed_settings(load_config().segment)
