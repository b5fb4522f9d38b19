"""Bad settings, bad files and bad arguments: one clear line and exit 2, nothing half-written."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors

from lstmlab.models.settings import Word2VecSettings
from lstmlab.models.word2vec import load_vectors_file, train_word2vec
from lstmlab.pipeline.cli import main
from lstmlab.pipeline.config import load_config
from lstmlab.pipeline.runner import run_pipeline

FAST = ["word2vec.epochs=1", "word2vec.min_count=2", "segment.workers=1"]


@pytest.mark.parametrize("setting, message", [
    ("word2vec.window=0", "word2vec.window = 0 is out of range: allowed [1, inf)"),
    ("word2vec.vector_size=0", "word2vec.vector_size = 0 is out of range"),
    ("train.batch_size=0", "train.batch_size = 0 is out of range"),
    ("train.epochs=-3", "train.epochs = -3 is out of range"),
    ("train.learning_rate=-1", "train.learning_rate = -1.0 is out of range: allowed (0, inf)"),
    ("train.dropout=1", "train.dropout = 1.0 is out of range: allowed [0, 1)"),
    ("generate.top_p=1.5", "generate.top_p = 1.5 is out of range: allowed (0, 1]"),
    ("windows.test_fraction=1", "windows.test_fraction = 1.0 is out of range"),
    ("train.loss=hinge", "train.loss = 'hinge' is not one of: mse, softmax"),
])
def test_out_of_range_settings_name_key_value_and_range(setting, message, capsys):
    assert main(["config", "show", "--set", setting]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_setting_writes_nothing(tmp_path, small_gbk_corpus, capsys):
    run_dir = tmp_path / "run"
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(run_dir), "--set", "train.batch_size=0"]) == 2
    assert not run_dir.exists()


def test_first_stage_failing_leaves_no_new_folder(tmp_path, capsys):
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 50)
    assert main(["-q", "run", str(binary), "--run-dir", str(tmp_path / "run")]) == 2
    assert "binary" in capsys.readouterr().err and not (tmp_path / "run").exists()
    assert main(["-q", "run", str(tmp_path), "--run-dir", str(tmp_path / "run")]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_output_that_is_a_folder_is_named(tmp_path, small_gbk_corpus, capsys):
    assert main(["-q", "fix-encoding", str(small_gbk_corpus), "-o", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "is a folder" in error and ".partial" not in error


def test_text_format_vectors_are_read_as_text(tmp_path):
    vectors = KeyedVectors(4)
    vectors.add_vectors(["，", "宝玉", "87", "道"], np.arange(16, dtype=np.float32).reshape(4, 4) / 7)
    vectors.save_word2vec_format(str(tmp_path / "v.txt"), binary=False)
    vectors.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    for name in ("v.txt", "v.bin"):
        loaded = load_vectors_file(tmp_path / name)
        assert loaded.index_to_key == ["，", "宝玉", "87", "道"]
        np.testing.assert_allclose(loaded.vectors, vectors.vectors, atol=1e-5)


def test_min_count_above_every_word_is_our_error(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("宝玉 道 ： 好\n" * 20, encoding="utf-8")
    with pytest.raises(ValueError, match="no word occurs min_count=1000000 times"):
        train_word2vec(tokens, Word2VecSettings(min_count=1_000_000, epochs=1), progress=False)


def test_relative_user_dictionary_is_stored_resolved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dict.txt").write_text("范进中举 5\n", encoding="utf-8")
    config = load_config(overrides=["segment.user_dictionary=dict.txt"])
    assert config.segment.user_dictionary == str(tmp_path / "dict.txt")


def test_same_corpus_bytes_elsewhere_and_a_vanished_corpus_reuse_the_run(tmp_path, small_gbk_corpus):
    config = load_config(overrides=FAST)
    run_dir = tmp_path / "run"
    run_pipeline(small_gbk_corpus, run_dir, config, until="segment", progress=False)
    moved = tmp_path / "elsewhere" / "novel.txt"
    moved.parent.mkdir()
    moved.write_bytes(small_gbk_corpus.read_bytes())
    again = run_pipeline(moved, run_dir, config, until="segment", progress=False)
    assert [o.status for o in again] == ["skipped", "skipped"]
    moved.unlink()
    gone = run_pipeline(moved, run_dir, config, until="segment", progress=False)
    assert [o.status for o in gone] == ["skipped", "skipped"]


def test_outputs_follow_the_umask(tmp_path, small_gbk_corpus):
    old = os.umask(0o022)
    try:
        assert main(["-q", "fix-encoding", str(small_gbk_corpus), "-o", str(tmp_path / "out.txt")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == 0o644


@pytest.mark.parametrize("arguments, message", [
    (["generate", "{missing}"], "no run folder at"),
    (["generate", "{file}"], "is a file, not a run folder"),
    (["similar", "{missing}", "王冕"], "no run folder at"),
    (["evaluate", "{missing}"], "no run folder at"),
])
def test_run_folder_arguments_are_checked(arguments, message, tmp_path, capsys):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    filled = [a.format(missing=tmp_path / "nothing", file=tmp_path / "file") for a in arguments]
    assert main(["-q", *filled]) == 2
    assert message in capsys.readouterr().err


def test_an_unexpected_error_names_a_log_and_exits_1(monkeypatch, capsys):
    def explode(args):
        raise RuntimeError("boom")

    monkeypatch.setattr("lstmlab.pipeline.cli.command_config", explode)
    monkeypatch.setattr("lstmlab.pipeline.cli.build_parser", _parser_with(explode))
    assert main(["config", "show"]) == 1
    error = capsys.readouterr().err
    assert "unexpected error: RuntimeError: boom" in error and "lstmlab-error-" in error
    assert "Traceback" not in error


def _parser_with(handler):
    from lstmlab.pipeline import cli

    original = cli.build_parser

    def build():
        parser = original()
        parser._subparsers._group_actions[0].choices["config"].set_defaults(handler=handler)
        return parser

    return build


def _children(pid: int) -> list[int]:
    """The ids of the processes whose parent is ``pid`` (from /proc)."""
    children = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we read
            continue
        if int(fields[1]) == pid:
            children.append(int(status.parent.name))
    return children


@pytest.mark.slow
def test_ctrl_c_during_a_two_worker_segment_exits_130_with_one_line(tmp_path, hongloumeng_text):
    """SIGINT to the whole process group (what Ctrl-C sends) while 2 workers segment: the
    command ends within 10 s with exit 130, one line, no traceback, and no tokens file."""
    import signal
    import subprocess
    import sys
    import time

    source = tmp_path / "text.txt"
    source.write_text(hongloumeng_text * 4, encoding="utf-8")  # about 10 MB: 10 s or more to segment
    command = [sys.executable, "-m", "lstmlab", "-q", "segment", str(source), "-o", str(tmp_path / "tokens.txt"),
               "--workers", "2"]
    # Ctrl-C's default action in the child: an ignored SIGINT is inherited through exec, and then
    # Python installs no KeyboardInterrupt handler (whatever ran before in this process may ignore it)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60  # until the workers are forked (a fresh venv imports slowly), then a little more
    while not _children(process.pid) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    time.sleep(0.5)
    assert process.poll() is None, "segmenting ended before the interrupt; use a longer text"
    os.killpg(process.pid, signal.SIGINT)
    started = time.monotonic()
    try:
        _, error = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert time.monotonic() - started < 10
    assert process.returncode == 130
    assert "Traceback" not in error and len(error.strip().splitlines()) == 1, error
    assert not (tmp_path / "tokens.txt").exists()


def test_run_on_a_folder_with_a_broken_config_exits_2_and_keeps_the_file(tmp_path, small_gbk_corpus, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    broken = "[train]\nepochs = 2\n[train]\nlstm_units = 8\n"
    (run_dir / "config.toml").write_text(broken, encoding="utf-8")
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(run_dir)]) == 2
    error = capsys.readouterr().err
    assert str(run_dir / "config.toml") in error and "line 3" in error
    assert (run_dir / "config.toml").read_text(encoding="utf-8") == broken
    assert sorted(path.name for path in run_dir.iterdir()) == ["config.toml"]


def test_run_on_an_existing_folder_keeps_its_edited_settings(tmp_path, small_gbk_corpus):
    from lstmlab.pipeline.config import run_folder_config

    run_dir = tmp_path / "run"
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(run_dir), "--until", "segment",
                 "--set", "segment.workers=1"]) == 0
    config = (run_dir / "config.toml").read_text(encoding="utf-8")
    (run_dir / "config.toml").write_text(config.replace("hmm = true", "hmm = false"), encoding="utf-8")
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(run_dir), "--until", "segment"]) == 0
    assert run_folder_config(run_dir).segment.hmm is False
    manifest = (run_dir / "manifests" / "segment.json").read_text(encoding="utf-8")
    assert '"hmm": false' in manifest


def test_a_tilde_in_the_run_folder_means_the_home_folder(tmp_path, small_gbk_corpus, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir=~/runs/x", "--until", "fix-encoding"]) == 0
    assert (tmp_path / "home" / "runs" / "x" / "text.txt").is_file()
    assert not (tmp_path / "~").exists()


@pytest.mark.parametrize("arguments, message", [
    (["--seed", "  "], "--seed is empty"),
    (["--seed", "王冕", "--rng-seed", "-1"], "generate.rng_seed = -1 is out of range"),
])
def test_generate_arguments_that_cannot_work_are_named(tmp_path, arguments, message, capsys):
    (tmp_path / "run").mkdir()
    assert main(["-q", "generate", str(tmp_path / "run"), *arguments]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", ["fix-encoding", "segment", "word2vec", "run"])
@pytest.mark.parametrize("kind", ["fifo", "device", "loop", "folder"])
def test_inputs_that_are_not_regular_files_end_with_one_line(tmp_path, command, kind, capsys):
    """A FIFO would block the read forever and /dev/zero never ends: each is refused before any
    read, with the path and what it is, exit 2."""
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
        expected = "is a FIFO (named pipe), not a regular file"
    elif kind == "device":
        path, expected = "/dev/zero", "is a character device, not a regular file"
    elif kind == "loop":
        path = tmp_path / "a"
        os.symlink(tmp_path / "b", path)
        os.symlink(path, tmp_path / "b")
        expected = "loop of symbolic links"
    else:
        path, expected = tmp_path, "is a folder, not a regular file"
    arguments = {"fix-encoding": ["fix-encoding", str(path), "-o", str(tmp_path / "out.txt")],
                 "segment": ["segment", str(path), "-o", str(tmp_path / "out.txt")],
                 "word2vec": ["word2vec", str(path), "-o", str(tmp_path / "vectors")],
                 "run": ["run", str(path), "--run-dir", str(tmp_path / "run")]}[command]
    assert main(["-q", *arguments]) == 2
    error = capsys.readouterr().err
    assert expected in error and str(path) in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, small_gbk_corpus):
    run_dir = tmp_path_factory.mktemp("hardening") / "run"
    tiny = ["--set", "word2vec.epochs=1", "--set", "word2vec.min_count=2", "--set", "segment.workers=1",
            "--set", "train.epochs=1", "--set", "train.max_train_windows=300", "--set", "train.metric_windows=100",
            "--set", "train.lstm_units=8", "--set", "train.histograms=false", "--set", "evaluate.max_windows=100",
            "--set", "evaluate.memory=false", "--set", "generate.length=3"]
    assert main(["-q", "run", str(small_gbk_corpus), "--run-dir", str(run_dir), *tiny]) == 0
    return run_dir


def _disk_full(*args, **kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.slow
def test_on_a_full_disk_a_command_with_nothing_to_do_still_works(tiny_run, monkeypatch, capsys):
    monkeypatch.setattr("pathlib.Path.write_text", _disk_full)
    monkeypatch.setattr("pathlib.Path.write_bytes", _disk_full)
    assert main(["-q", "evaluate", str(tiny_run)]) == 0  # every stage up to date: nothing written
    assert "test part" in capsys.readouterr().out


def test_a_write_that_does_not_fit_names_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    from lstmlab.pipeline.files import write_text_atomic

    monkeypatch.setattr("pathlib.Path.write_text", _disk_full)
    with pytest.raises(OSError, match=f"no space left on the device to write {tmp_path / 'out.txt'}"):
        write_text_atomic(tmp_path / "out.txt", "text")
    assert list(tmp_path.iterdir()) == []


def test_a_snapshot_that_does_not_fit_leaves_no_partial_file(tmp_path, monkeypatch):
    import keras

    from lstmlab.models.weight_averaging import EpochSnapshots

    def half_written(path, *arrays):
        open(path, "wb").write(b"half")
        _disk_full()

    callback = EpochSnapshots(tmp_path / "snapshots")
    callback.set_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
    monkeypatch.setattr(np, "savez", half_written)
    with pytest.raises(OSError):
        callback.on_epoch_end(0)
    assert list((tmp_path / "snapshots").iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("content", ["[1, 2, 3]", '"text"', '{"outputs": [1]}', "null"])
def test_a_manifest_of_the_wrong_shape_is_rebuilt(tiny_run, content, capsys):
    manifest = tiny_run / "manifests" / "generate.json"
    manifest.write_text(content, encoding="utf-8")
    assert main(["-q", "evaluate", str(tiny_run)]) == 0  # generate's manifest is not read here
    corpus = json.loads((tiny_run / "run.json").read_text(encoding="utf-8"))["corpus"]
    assert main(["-q", "run", corpus, "--run-dir", str(tiny_run)]) == 0
    assert json.loads(manifest.read_text(encoding="utf-8"))["stage"] == "generate"
    capsys.readouterr()
