"""lstmlab run: manifests, skipping unchanged stages, re-running changed ones."""

from __future__ import annotations

import json

from lstmlab.pipeline.config import load_config
from lstmlab.pipeline.runner import run_pipeline

FAST = ["word2vec.epochs=1", "word2vec.min_count=2", "segment.workers=1"]


def _statuses(outcomes):
    return {o.stage: o.status for o in outcomes}


def test_second_run_skips_and_changed_setting_reruns_only_later_stages(tmp_path, small_gbk_corpus, caplog):
    run_dir = tmp_path / "run"
    config = load_config(overrides=FAST)
    first = run_pipeline(small_gbk_corpus, run_dir, config, until="windows", progress=False)
    assert set(_statuses(first).values()) == {"ran"}
    manifest = json.loads((run_dir / "manifests" / "segment.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["tokens.txt"] and manifest["settings"]["hmm"] is True
    assert manifest["version"] and "seconds" in manifest

    again = run_pipeline(small_gbk_corpus, run_dir, config, until="windows", progress=False)
    assert set(_statuses(again).values()) == {"skipped"}

    more_workers = load_config(overrides=[*FAST, "segment.workers=2"])
    assert set(_statuses(run_pipeline(small_gbk_corpus, run_dir, more_workers, until="windows",
                                      progress=False)).values()) == {"skipped"}

    changed = load_config(overrides=[*FAST, "segment.hmm=false"])
    with caplog.at_level("INFO", logger="lstmlab.pipeline.runner"):
        statuses = _statuses(run_pipeline(small_gbk_corpus, run_dir, changed, until="windows", progress=False))
    assert statuses == {"fix-encoding": "skipped", "segment": "ran", "word2vec": "ran", "windows": "ran"}
    reasons = [record.getMessage() for record in caplog.records if "runs again" in record.getMessage()]
    assert reasons[0].startswith("segment runs again: its settings changed: hmm True -> False (it took ")
    assert reasons[1].startswith("word2vec runs again: its input changed: tokens.txt")


def test_a_damaged_output_is_rebuilt(tmp_path, small_gbk_corpus, caplog):
    run_dir = tmp_path / "run"
    config = load_config(overrides=FAST)
    run_pipeline(small_gbk_corpus, run_dir, config, until="segment", progress=False)
    (run_dir / "tokens.txt").write_text("damaged", encoding="utf-8")
    with caplog.at_level("INFO", logger="lstmlab.pipeline.runner"):
        statuses = _statuses(run_pipeline(small_gbk_corpus, run_dir, config, until="segment", progress=False))
    assert statuses == {"fix-encoding": "skipped", "segment": "ran"}
    assert any("segment runs again: its outputs were changed or removed" in r.getMessage() for r in caplog.records)
    assert (run_dir / "tokens.txt").read_text(encoding="utf-8") != "damaged"
