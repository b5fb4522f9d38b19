"""The layout: no import cycle, data flows pipeline -> models -> corpus, cache keys cover all code run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.imports import all_project_modules, direct_imports, import_cycles, project_imports
from pipeline.stages import STAGES

ROOT = Path(__file__).resolve().parents[1]
LAYER = {"corpus": 0, "models": 1, "pipeline": 2}


def test_no_import_cycle_among_project_modules():
    modules = all_project_modules(ROOT)
    assert len(modules) > 30
    assert import_cycles(modules) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    package = tmp_path / "corpus"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "first.py").write_text("from corpus import second\n", encoding="utf-8")
    (package / "second.py").write_text("def f():\n    import corpus.first\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n == "corpus" or n.startswith("corpus.")]:
        monkeypatch.delitem(sys.modules, name)
    direct_imports.cache_clear()
    try:
        assert import_cycles(["corpus.first"]) == [["corpus.first", "corpus.second", "corpus.first"]]
    finally:
        direct_imports.cache_clear()


def test_imports_only_point_down_the_layers():
    upward = [(module, imported) for module in all_project_modules(ROOT) for imported in direct_imports(module)
              if LAYER[imported.split(".")[0]] > LAYER[module.split(".")[0]]]
    assert upward == []


def test_stage_code_covers_what_the_stage_reaches():
    train = project_imports(next(s for s in STAGES if s.name == "train").code_module)
    # the held-out metric that picks the saved checkpoint, and what it uses
    for module in ("models.callbacks", "models.predictor", "models.decoding", "models.numpy_lstm",
                   "corpus.scoring", "corpus.windows", "models.generation"):
        assert module in train
    windows = project_imports("pipeline.stages.windows")
    assert "corpus.windows" in windows and "models.training" not in windows
    assert "corpus.segment" in project_imports("pipeline.stages.generate")


TINY = ["--set", "word2vec.epochs=1", "--set", "word2vec.min_count=2", "--set", "segment.workers=1",
        "--set", "train.epochs=1", "--set", "train.max_train_windows=400", "--set", "train.metric_windows=100",
        "--set", "train.lstm_units=8", "--set", "train.histograms=false", "--set", "generate.length=3",
        "--set", "evaluate.max_windows=200"]


def _run_copy(source: Path, corpus: Path, run_dir: Path) -> dict[str, str]:
    """``lstmlab run`` from the source copy in ``source``; returns each stage's status."""
    code = ("import sys, pipeline; from pipeline.cli import main; print('source', pipeline.__file__); "
            "sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run([sys.executable, "-c", code, "run", str(corpus), "--run-dir", str(run_dir), *TINY],
                          cwd=source, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"source {source}" in done.stdout
    statuses = {}
    for line in done.stdout.splitlines():
        if line.startswith("[") and "]" in line:
            statuses[line[1 : line.index("]")]] = "skipped" if "skipped" in line else "ran"
    return statuses


@pytest.mark.slow
def test_editing_a_module_train_reaches_indirectly_reruns_train_and_later(tmp_path, small_gbk_corpus):
    source = tmp_path / "src"
    for package in ("corpus", "models", "pipeline"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    run_dir = tmp_path / "run"
    first = _run_copy(source, small_gbk_corpus, run_dir)
    assert set(first.values()) == {"ran"} and len(first) == 7
    manifest = json.loads((run_dir / "manifests" / "train.json").read_text(encoding="utf-8"))
    assert "models.callbacks" in manifest["code_modules"]

    callbacks = source / "models" / "callbacks.py"
    callbacks.write_text(callbacks.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    second = _run_copy(source, small_gbk_corpus, run_dir)
    assert second == {"fix-encoding": "skipped", "segment": "skipped", "word2vec": "skipped", "windows": "skipped",
                      "train": "ran", "evaluate": "ran", "generate": "ran"}
