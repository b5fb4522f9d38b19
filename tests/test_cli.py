"""The lstmlab command line: single-stage commands, exit codes, no half-written outputs."""

from __future__ import annotations

import pytest

from lstmlab.pipeline.cli import main
from tests.conftest import corpus_file


def test_fix_encoding_command_is_byte_identical(tmp_path, capsys):
    out = tmp_path / "out.txt"
    assert main(["-q", "fix-encoding", str(corpus_file("rulinwaishi.gbk.txt")), "-o", str(out)]) == 0
    assert out.read_bytes() == corpus_file("rulinwaishi.txt").read_bytes()
    assert "gb18030" in capsys.readouterr().out


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    ("王冕放牛。".encode("gbk") * 600 + b"\xff\xfe\xff" + "好".encode("gbk") * 10, "byte offset 6000 (line 1)"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, content, message):
    source = tmp_path / "bad.txt"
    source.write_bytes(content)
    out = tmp_path / "out.txt"
    assert main(["-q", "fix-encoding", str(source), "-o", str(out)]) == 2
    error = capsys.readouterr().err
    assert message in error and "bad.txt" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt"]


def test_errors_replace_goes_on_and_reports(tmp_path, capsys):
    source = tmp_path / "bad.txt"
    source.write_bytes("王冕放牛。".encode("gbk") * 600 + b"\xff\xfe\xff" + "好".encode("gbk") * 10)
    out = tmp_path / "out.txt"
    assert main(["-q", "fix-encoding", str(source), "-o", str(out), "--errors", "replace"]) == 0
    assert "replaced" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").startswith("王冕放牛。" * 600 + "\ufffd")


def test_segment_command(tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_text("我来到北京清华大学\n范进中举\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    assert main(["-q", "segment", str(source), "-o", str(out), "--workers", "1"]) == 0
    assert out.read_text(encoding="utf-8").split("\n")[0] == "我 来到 北京 清华大学"


def test_config_show_prints_effective_settings(capsys):
    assert main(["config", "show", "--preset", "blog", "--set", "train.epochs=2"]) == 0
    out = capsys.readouterr().out
    assert 'loss = "mse"' in out and "epochs = 2" in out


def test_unknown_config_key_exits_2(capsys):
    assert main(["config", "show", "--set", "train.epoch=2"]) == 2
    assert "unknown setting train.epoch" in capsys.readouterr().err
