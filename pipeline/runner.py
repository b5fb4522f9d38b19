"""Run the stage table in order into one run folder, skipping stages whose key is unchanged.

``run_pipeline`` is what ``lstmlab run`` and the run-folder commands call. Besides each
stage's outputs and manifest it keeps ``RUN/run.json`` (the corpus path) and
``RUN/config.toml`` (the effective config of the latest run), so later commands on the
folder need only its path.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline import run_folder
from pipeline.config import PipelineConfig, hashed_settings, to_toml
from pipeline.files import run_folder_lock, sha256_of_path, write_text_atomic
from pipeline.manifest import code_hash, outputs_intact, read_manifest, stage_key, write_manifest
from pipeline.run_folder import RunContext, RunFolderError
from pipeline.stages import STAGE_NAMES, STAGES, Stage

logger = logging.getLogger(__name__)


@dataclass
class StageOutcome:
    """What happened to one stage: ``"ran"`` or ``"skipped"``, with seconds and details."""

    stage: str
    status: str
    seconds: float
    details: dict


def _stage_key(stage: Stage, context: RunContext, upstream: list[str]) -> tuple[str, dict, dict, str, list[str]]:
    inputs = {}
    for path in stage.inputs(context):
        if not path.exists():
            raise RunFolderError(f"{stage.name} needs {path}, which does not exist")
        inputs[str(path) if not path.is_relative_to(context.run_dir) else path.name] = sha256_of_path(path)
    settings = hashed_settings(getattr(context.config, stage.section))
    code, modules = code_hash(stage.code_module)
    return stage_key(inputs, settings, code, upstream), inputs, settings, code, modules


def run_pipeline(corpus: str | Path, run_dir: str | Path, config: PipelineConfig, until: str | None = None,
                 force: bool = False, force_stage: str | None = None, progress: bool = True,
                 report: Callable[[StageOutcome], None] | None = None) -> list[StageOutcome]:
    """Run the stages up to and including ``until`` (all by default) and return their outcomes.

    ``force`` re-runs every stage; ``force_stage`` re-runs that stage (and so every later one).
    ``report`` is called after each stage. Holds the run folder's lock throughout
    (:class:`pipeline.files.RunFolderLocked` if another run has it).
    """
    corpus, run_dir = Path(corpus).resolve(), Path(run_dir)
    if until is not None and until not in STAGE_NAMES:
        raise ValueError(f"unknown stage {until!r}; stages: {', '.join(STAGE_NAMES)}")
    if not corpus.is_file():
        raise RunFolderError(f"corpus file {corpus} does not exist")
    outcomes: list[StageOutcome] = []
    with run_folder_lock(run_dir / run_folder.LOCK):
        write_text_atomic(run_dir / run_folder.RUN_RECORD, run_folder.record_corpus_text(corpus))
        write_text_atomic(run_dir / run_folder.CONFIG, to_toml(config))
        context = RunContext(run_dir, corpus, config, progress)
        upstream: list[str] = []
        for stage in STAGES:
            key, inputs, settings, code, modules = _stage_key(stage, context, upstream)
            manifest = read_manifest(run_dir, stage.name)
            if stage.name == force_stage:
                force = True
            if not force and manifest and manifest.get("key") == key and outputs_intact(run_dir, manifest):
                outcome = StageOutcome(stage.name, "skipped", manifest.get("seconds", 0.0), manifest.get("details", {}))
            else:
                started = time.perf_counter()
                details = stage.run(context)
                seconds = round(time.perf_counter() - started, 3)
                outputs = {name: sha256_of_path(run_dir / name) for name in stage.outputs}
                write_manifest(run_dir, stage.name, {"stage": stage.name, "key": key, "inputs": inputs,
                                                     "settings": settings, "code": code, "code_modules": modules,
                                                     "outputs": outputs, "seconds": seconds, "details": details})
                outcome = StageOutcome(stage.name, "ran", seconds, details)
            outcomes.append(outcome)
            upstream.append(key)
            if report:
                report(outcome)
            if stage.name == until:
                break
    return outcomes
