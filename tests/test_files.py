"""Atomic outputs and the run-folder lock."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lstmlab.pipeline.files import atomic_output, run_folder_lock


def test_atomic_output_leaves_nothing_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as temporary:
            temporary.write_text("half", encoding="utf-8")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_keeps_the_old_file_until_the_new_one_is_complete(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as temporary:
            temporary.write_text("new", encoding="utf-8")
            raise RuntimeError
    assert target.read_text(encoding="utf-8") == "old"
    with atomic_output(target) as temporary:
        temporary.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_second_process_is_refused_the_lock(tmp_path):
    code = ("import sys; from pipeline.files import run_folder_lock, RunFolderLocked\n"
            "try:\n    with run_folder_lock(sys.argv[1] + '/.lock'): print('got it')\n"
            "except RunFolderLocked as e: print('refused:', e)")
    with run_folder_lock(tmp_path / '.lock'):
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True).stdout
    assert out.startswith("refused:") and "in use by pid" in out
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True).stdout
    assert out.strip() == "got it"


def test_a_killed_writers_partial_file_is_removed_by_the_next_run(tmp_path, small_gbk_corpus):
    from lstmlab.pipeline.config import load_config
    from lstmlab.pipeline.runner import run_pipeline

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    leftover = run_dir / ".model.keras.x1y2z3.partial.keras"  # what kill -9 inside atomic_output leaves
    leftover.write_bytes(b"half a model")
    keep = run_dir / "notes.partial.txt"  # not one of ours: no leading dot
    keep.write_text("mine", encoding="utf-8")
    run_pipeline(small_gbk_corpus, run_dir, load_config(), until="fix-encoding", progress=False)
    assert not leftover.exists() and keep.read_text(encoding="utf-8") == "mine"
    assert (run_dir / "text.txt").is_file()
