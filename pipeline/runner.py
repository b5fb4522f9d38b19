"""Run the stage table in order into one run folder, skipping stages whose key is unchanged.

``run_pipeline`` is what ``lstmlab run`` and the run-folder commands call. Besides each
stage's outputs and manifest it keeps ``RUN/run.json`` (the corpus path) and
``RUN/config.toml`` (the effective config of the latest run), so later commands on the
folder need only its path.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lstmlab.pipeline import run_folder
from lstmlab.pipeline.config import DistributeConfig, PipelineConfig, hashed_settings, load_config, to_toml
from lstmlab.pipeline.files import remove_partial_files, run_folder_lock, sha256_of_path, write_text_atomic
from lstmlab.pipeline.imports import code_hash
from lstmlab.pipeline.inputs import check_input_file
from lstmlab.pipeline.machine import default_workers
from lstmlab.pipeline.manifest import outputs_intact, stage_key, write_manifest
from lstmlab.pipeline.run_folder import RunContext, RunFolderError, read_manifest
from lstmlab.pipeline.stages import STAGE_NAMES, STAGES, Stage

logger = logging.getLogger(__name__)


@dataclass
class StageOutcome:
    """What happened to one stage: ``"ran"`` or ``"skipped"``, with seconds and details."""

    stage: str
    status: str
    seconds: float
    details: dict


def _input_hashes(stage: Stage, context: RunContext) -> dict[str, str]:
    """Content hashes of the stage's inputs: run-folder files by name, outside files (the corpus,
    a user dictionary) by position only, so the same bytes at another path are the same input.

    An outside file that has gone (a moved corpus) keeps the hash the stage's manifest recorded
    while the stage's outputs are intact, so later commands work from the run folder's copy.
    """
    inputs = {}
    recorded = (read_manifest(context.run_dir, stage.name) or {})
    for index, path in enumerate(stage.inputs(context)):
        name = path.name if path.is_relative_to(context.run_dir) else f"outside-{index}"
        if path.is_file() or path.is_dir():
            inputs[name] = sha256_of_path(path)
        elif name in recorded.get("inputs", {}) and outputs_intact(context.run_dir, recorded):
            logger.warning("%s is gone; %s keeps its outputs made from it", path, stage.name)
            inputs[name] = recorded["inputs"][name]
        else:
            raise RunFolderError(f"{stage.name} needs {path}, which does not exist")
    return inputs


def _stage_key(stage: Stage, context: RunContext, upstream: list[str]) -> tuple[str, dict, dict, str, list[str]]:
    inputs = _input_hashes(stage, context)
    settings = hashed_settings(getattr(context.config, stage.section))
    code, modules = code_hash(stage.code_module)
    return stage_key(inputs, settings, code, upstream), inputs, settings, code, modules


def _run_or_skip(stage: Stage, context: RunContext, upstream: list[str], force: bool) -> tuple[StageOutcome, str]:
    """Run ``stage`` unless its manifest matches its key and its outputs are intact."""
    key, inputs, settings, code, modules = _stage_key(stage, context, upstream)
    manifest = read_manifest(context.run_dir, stage.name)
    if not force and manifest and manifest.get("key") == key and outputs_intact(context.run_dir, manifest):
        return StageOutcome(stage.name, "skipped", manifest.get("seconds", 0.0), manifest.get("details", {})), key
    if manifest:
        logger.info("%s runs again: %s (it took %.1f s last time)", stage.name,
                    "forced" if force else rerun_reason(manifest, key, inputs, settings, code),
                    manifest.get("seconds", 0.0))
    started = time.perf_counter()
    details = stage.run(context)
    seconds = round(time.perf_counter() - started, 3)
    outputs = {name: sha256_of_path(context.path(name)) for name in stage.outputs}
    write_manifest(context.run_dir, stage.name, {"stage": stage.name, "key": key, "inputs": inputs,
                                                 "settings": settings, "code": code, "code_modules": modules,
                                                 "outputs": outputs, "seconds": seconds, "details": details,
                                                 "reproducible": run_is_reproducible(context.config)})
    return StageOutcome(stage.name, "ran", seconds, details), key


def run_is_reproducible(config: PipelineConfig) -> bool:
    """Whether running the stages again with the same settings gives the same files on this
    machine and backend: not when gensim trains word2vec on several threads."""
    return bool(config.word2vec.vectors) or default_workers(config.word2vec.workers) == 1


def rerun_reason(manifest: dict, key: str, inputs: dict, settings: dict, code: str) -> str:
    """Why a stage with this ``manifest`` (what it recorded last time) is not skipped now, given
    its new ``key``, input hashes, settings and code hash: the first difference, in words.

        >>> rerun_reason({"key": "k", "inputs": {"a.txt": "1"}, "settings": {"hmm": True}, "code": "c"},
        ...              "k2", {"a.txt": "1"}, {"hmm": False}, "c")
        'its settings changed: hmm True -> False'
    """
    recorded = manifest.get("settings", {})
    changed = [f"{name} {recorded.get(name)!r} -> {value!r}" for name, value in settings.items()
               if recorded.get(name) != value]
    if changed:
        return "its settings changed: " + ", ".join(changed)
    inputs_changed = [name for name, digest in inputs.items() if manifest.get("inputs", {}).get(name) != digest]
    if inputs_changed:
        return "its input changed: " + ", ".join(inputs_changed)
    if manifest.get("code") != code:
        return "its code changed (lstmlab was updated or edited)"
    if manifest.get("key") != key:
        return "a stage before it changed"
    return "its outputs were changed or removed"


def stage_is_current(corpus: str | Path, run_dir: str | Path, config: PipelineConfig, name: str) -> bool:
    """True when :func:`run_pipeline` would skip stage ``name`` now: its key (and those of the
    stages before it) match their manifests and its outputs are intact. Reads, writes nothing."""
    context = RunContext(Path(run_dir), Path(corpus).resolve(), config, False)
    upstream: list[str] = []
    for stage in STAGES:
        key = _stage_key(stage, context, upstream)[0]
        manifest = read_manifest(context.run_dir, stage.name)
        if stage.name == name:
            return bool(manifest) and manifest.get("key") == key and outputs_intact(context.run_dir, manifest)
        upstream.append(key)
    raise ValueError(f"unknown stage {name!r}; stages: {', '.join(STAGE_NAMES)}")


def _refuse_to_overwrite_a_broken_config(path: Path) -> None:
    """Raise :class:`ConfigError` (naming the file and line) when ``path`` exists and does not
    read as a config: it holds a user's edits, which writing the run's settings would lose."""
    if path.is_file():
        load_config(path)


def run_pipeline(corpus: str | Path, run_dir: str | Path, config: PipelineConfig, until: str | None = None,
                 force: bool = False, force_stage: str | None = None, progress: bool = True,
                 report: Callable[[StageOutcome], None] | None = None) -> list[StageOutcome]:
    """Run the stages up to and including ``until`` (all by default) and return their outcomes.

    ``force`` re-runs every stage; ``force_stage`` re-runs that stage (and so every later one).
    ``report`` is called after each stage. Holds the run folder's lock throughout
    (:class:`pipeline.files.RunFolderLocked` if another run has it). A run folder this call
    created is removed again if its first stage fails.
    """
    corpus, run_dir = Path(corpus), Path(run_dir)
    if until is not None and until not in STAGE_NAMES:
        raise ValueError(f"unknown stage {until!r}; stages: {', '.join(STAGE_NAMES)}")
    if corpus.exists() or corpus.is_symlink() or not (run_dir / run_folder.TEXT).is_file():
        check_input_file(corpus, "corpus")  # a moved corpus is fine while the folder holds its text
    corpus = corpus.resolve()
    new_folder = not run_dir.exists()
    outcomes: list[StageOutcome] = []
    try:
        with run_folder_lock(run_dir / run_folder.LOCK):
            for leftover in remove_partial_files(run_dir):
                logger.info("removed %s, left by a killed write", leftover.name)
            _refuse_to_overwrite_a_broken_config(run_dir / run_folder.CONFIG)
            write_text_atomic(run_dir / run_folder.RUN_RECORD, run_folder.record_corpus_text(corpus))
            # [distribute] says where this call trains, not what the folder holds: not recorded
            write_text_atomic(run_dir / run_folder.CONFIG, to_toml(dataclasses.replace(config,
                                                                                   distribute=DistributeConfig())))
            context = RunContext(run_dir, corpus, config, progress)
            upstream: list[str] = []
            for stage in STAGES:
                force = force or stage.name == force_stage
                outcome, key = _run_or_skip(stage, context, upstream, force)
                outcomes.append(outcome)
                upstream.append(key)
                if report:
                    report(outcome)
                if stage.name == until:
                    break
    except BaseException:
        if new_folder and not outcomes:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return outcomes
