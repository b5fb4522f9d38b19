"""The layout: no import cycle, data flows pipeline -> models -> corpus, cache keys cover all code run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lstmlab.pipeline.imports import all_project_modules, direct_imports, import_cycles, project_imports
from lstmlab.pipeline.stages import STAGES

ROOT = Path(__file__).resolve().parents[1]
# The layers, bottom up; the package root and the bench sit on top and may import any of them.
LAYER = {"corpus": 0, "models": 1, "pipeline": 2, "bench": 2}


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYER.get(parts[1], 3) if len(parts) > 1 else 3


def test_no_import_cycle_among_project_modules():
    modules = all_project_modules()
    assert len(modules) > 60
    assert import_cycles(modules) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    package = tmp_path / "lstmlab_cycle"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "first.py").write_text("from lstmlab.pipeline import second\n", encoding="utf-8")
    (package / "second.py").write_text("def f():\n    import lstmlab.pipeline.first\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import lstmlab.pipeline

    monkeypatch.setattr(lstmlab.pipeline, "__path__", [*lstmlab.pipeline.__path__, str(package)])
    direct_imports.cache_clear()
    try:
        assert import_cycles(["lstmlab.pipeline.first"]) == [
            ["lstmlab.pipeline.first", "lstmlab.pipeline.second", "lstmlab.pipeline.first"]]
    finally:
        direct_imports.cache_clear()


def test_imports_only_point_down_the_layers():
    upward = [(module, imported) for module in all_project_modules() for imported in direct_imports(module)
              if _layer(imported) > _layer(module)]
    assert upward == []


def test_stages_do_not_import_each_other():
    stage_modules = {stage.code_module for stage in STAGES}
    for stage in STAGES:
        assert set(project_imports(stage.code_module)) & stage_modules == {stage.code_module}


def test_stage_code_covers_what_the_stage_reaches():
    train = project_imports(next(s for s in STAGES if s.name == "train").code_module)
    # the held-out metric that picks the saved checkpoint, and what it uses
    for module in ("callbacks", "predictor", "decoding", "numpy_lstm", "generation"):
        assert f"lstmlab.models.{module}" in train
    assert "lstmlab.corpus.scoring" in train and "lstmlab.corpus.windows" in train
    windows = project_imports("lstmlab.pipeline.stages.windows")
    assert "lstmlab.corpus.windows" in windows and "lstmlab.models.training" not in windows
    assert "lstmlab.corpus.segment" in project_imports("lstmlab.pipeline.stages.generate")
    # the settings' code is not fix-encoding's: their values are in its key
    fix = project_imports("lstmlab.pipeline.stages.fix_encoding")
    assert "lstmlab.pipeline.config" not in fix and "lstmlab.models.settings" not in fix


TINY = ["--set", "word2vec.epochs=1", "--set", "word2vec.min_count=2", "--set", "segment.workers=1",
        "--set", "train.epochs=1", "--set", "train.max_train_windows=400", "--set", "train.metric_windows=100",
        "--set", "train.lstm_units=8", "--set", "train.histograms=false", "--set", "generate.length=3",
        "--set", "evaluate.max_windows=200"]


def _run_copy(source: Path, corpus: Path, run_dir: Path) -> dict[str, str]:
    """``lstmlab run`` from the source copy in ``source`` (``source/lstmlab`` is the package);
    returns each stage's status."""
    code = ("import sys, lstmlab.pipeline; from lstmlab.pipeline.cli import main; "
            "print('source', lstmlab.pipeline.__file__); sys.exit(main(sys.argv[1:]))")
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


def _copy_package(source: Path) -> None:
    """The package as a wheel lays it out: ``source/lstmlab/{corpus,models,pipeline,bench}``."""
    shutil.copytree(ROOT / "lstmlab", source / "lstmlab", ignore=shutil.ignore_patterns("__pycache__"))
    for package, folder in (("corpus", "corpus"), ("models", "models"), ("pipeline", "pipeline"),
                            ("bench", "benchmarks")):
        shutil.copytree(ROOT / folder, source / "lstmlab" / package, ignore=shutil.ignore_patterns("__pycache__"))


@pytest.mark.slow
def test_a_docstring_edit_reruns_nothing_and_a_code_edit_reruns_train_and_later(tmp_path, small_gbk_corpus):
    source = tmp_path / "src"
    _copy_package(source)
    run_dir = tmp_path / "run"
    first = _run_copy(source, small_gbk_corpus, run_dir)
    assert set(first.values()) == {"ran"} and len(first) == 7
    manifest = json.loads((run_dir / "manifests" / "train.json").read_text(encoding="utf-8"))
    assert "lstmlab.models.callbacks" in manifest["code_modules"]

    callbacks = source / "lstmlab" / "models" / "callbacks.py"
    text = callbacks.read_text(encoding="utf-8")
    first_docstring_line = text.index('"""') + 3
    callbacks.write_text(text[:first_docstring_line] + "An edited docstring. " + text[first_docstring_line:]
                         + "\n# an edited comment\n", encoding="utf-8")
    assert set(_run_copy(source, small_gbk_corpus, run_dir).values()) == {"skipped"}

    callbacks.write_text(callbacks.read_text(encoding="utf-8") + "\nUNUSED_CONSTANT = 1\n", encoding="utf-8")
    third = _run_copy(source, small_gbk_corpus, run_dir)
    assert third == {"fix-encoding": "skipped", "segment": "skipped", "word2vec": "skipped", "windows": "skipped",
                     "train": "ran", "evaluate": "ran", "generate": "ran"}
