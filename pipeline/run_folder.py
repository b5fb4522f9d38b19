"""The run folder: every file name in it, the context a stage gets, and the loaders.

A run folder (default ``runs/<corpus stem>/``) holds the files named below, one constant each;
``docs/pipeline.md`` describes each (a test checks that it names every one).

This module is the only one that knows those names; stages and commands ask it for paths
and contents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lstmlab.corpus.windows import WindowSplit, split_at_boundaries
from lstmlab.pipeline.files import sha256_of_path

if TYPE_CHECKING:  # the type only: reading a run folder does not need the settings code
    from lstmlab.pipeline.config import PipelineConfig

RUN_RECORD = "run.json"
CONFIG = "config.toml"
TEXT = "text.txt"
TOKENS = "tokens.txt"
WORD2VEC = "word2vec.kv"
C_VECTORS = "vectors.bin"
WINDOWS = "windows.npz"
MODEL = "model.keras"
PREDICTOR = "predictor.npz"
LOGS = "logs"
TRAIN_WORK = "train_work"
EVALUATION = "evaluation.json"
CONTEXT_CURVE = "context_curve.png"
SAMPLE = "sample.txt"
INSPECT = "inspect"
MANIFESTS = "manifests"
LOCK = ".lock"


class RunFolderError(ValueError):
    """A run folder is missing what a command needs (no corpus recorded, stage not run)."""


@dataclass
class RunContext:
    """What every stage gets: the run folder, the corpus path, the config, and progress on/off."""

    run_dir: Path
    corpus: Path
    config: "PipelineConfig"
    progress: bool = True

    def path(self, name: str) -> Path:
        return self.run_dir / name


@dataclass
class Windows:
    """The contents of ``windows.npz``: ``ids`` (N,) int32, the split, the window length.

    :meth:`seed_ids` is the first window of the validation part: the default seed for samples.
    """

    ids: np.ndarray
    split: WindowSplit
    length: int

    def seed_ids(self, part: str = "validation") -> list[int]:
        """The first window of the ``part`` ("validation" or "test")."""
        start = self.seed_start(part)
        return [int(i) for i in self.ids[start : start + self.length]]

    def seed_start(self, part: str = "validation") -> int:
        """Where :meth:`seed_ids` of ``part`` starts in the id stream."""
        return self.split.validation_boundary if part == "validation" else self.split.test_boundary


def default_run_dir(corpus: Path) -> Path:
    """``runs/<corpus stem>`` in the current folder (``rulinwaishi.gbk.txt`` -> ``runs/rulinwaishi.gbk``)."""
    return Path("runs") / corpus.stem


def require_run_dir(run_dir: Path) -> Path:
    """``run_dir`` if it is a run folder; else :class:`RunFolderError` saying what it is instead."""
    if run_dir.is_file():
        raise RunFolderError(f"{run_dir} is a file, not a run folder (made by: lstmlab run CORPUS --run-dir FOLDER)")
    if not run_dir.is_dir():
        raise RunFolderError(f"no run folder at {run_dir}; make one with: lstmlab run CORPUS --run-dir {run_dir}")
    return run_dir


def manifest_path(run_dir: Path, stage: str) -> Path:
    return run_dir / MANIFESTS / f"{stage}.json"


def read_manifest(run_dir: Path, stage: str) -> dict | None:
    """The stage's manifest, or None when there is none, it cannot be read, or it is not a
    manifest's shape (a JSON object whose ``outputs`` and ``inputs`` are objects): such a stage
    runs again and writes a good one."""
    try:
        manifest = json.loads(manifest_path(run_dir, stage).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or any(not isinstance(manifest.get(key, {}), dict)
                                             for key in ("outputs", "inputs", "settings", "details")):
        return None
    return manifest


def _verified(path: Path) -> Path:
    """``path``, after checking it against the hash recorded by the stage that wrote it (if a
    manifest lists it): a damaged file is named, with how to rebuild it."""
    manifests = path.parent / MANIFESTS
    for manifest_file in sorted(manifests.glob("*.json")) if manifests.is_dir() else []:
        manifest = read_manifest(path.parent, manifest_file.stem) or {}
        recorded = manifest.get("outputs", {}).get(path.name)
        if recorded is not None and sha256_of_path(path) != recorded:
            raise RunFolderError(f"{path} is damaged: it is not the file the {manifest_file.stem} stage wrote; "
                                 f"rebuild it with: lstmlab {_rebuild_command(manifest_file.stem)} {path.parent}")
    return path


def _rebuild_command(stage: str) -> str:
    return f"{stage} --force" if stage in ("windows", "train", "evaluate") else "run CORPUS --force --run-dir"


def _require(path: Path, stage_hint: str) -> Path:
    require_run_dir(path.parent)
    if not path.exists():
        raise RunFolderError(f"{path} does not exist; {stage_hint}")
    return _verified(path)


def write_windows(path: Path, ids: np.ndarray, split: WindowSplit, length: int) -> None:
    """Write ``windows.npz`` at ``path`` (a temporary name the caller renames into place)."""
    np.savez(path, ids=ids, validation_boundary=split.validation_boundary, test_boundary=split.test_boundary,
             length=length)


def load_windows(run_dir: Path) -> Windows:
    """Read ``RUN/windows.npz``."""
    path = _require(run_dir / WINDOWS, f"build it first: lstmlab windows {run_dir}")
    with np.load(path) as data:
        if "test_boundary" not in data:
            raise RunFolderError(f"{path} comes from an older lstmlab; rebuild it: lstmlab windows {run_dir} --force")
        ids, length = data["ids"], int(data["length"])
        validation_boundary, test_boundary = int(data["validation_boundary"]), int(data["test_boundary"])
    return Windows(ids, split_at_boundaries(len(ids), length, validation_boundary, test_boundary), length)


def text_lines(run_dir: Path, start: int, stop: int, ids_count: int) -> list[list[str]] | None:
    """The words of ``RUN/tokens.txt`` at positions ``start .. stop-1`` of the id stream, as the
    text writes them (a rare word as itself, not ``<unk>``), in their lines (the span's empty
    lines left out); None when the file is missing or its words do not line up one to one with
    the ``ids_count`` ids (rare words left out)."""
    path = run_dir / TOKENS
    if not path.is_file():
        return None
    lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    if sum(map(len, lines)) != ids_count:
        return None
    out, position = [], 0
    for line in lines:
        if position + len(line) > start and position < stop:
            out.append(line[max(0, start - position) : stop - position])
        position += len(line)
    return [line for line in out if line]


def text_words(run_dir: Path, start: int, stop: int, ids_count: int) -> list[str] | None:
    """:func:`text_lines`' words in one list."""
    lines = text_lines(run_dir, start, stop, ids_count)
    return None if lines is None else [word for line in lines for word in line]


def load_vectors(run_dir: Path):
    """Read ``RUN/word2vec.kv`` as gensim ``KeyedVectors``."""
    from gensim.models import KeyedVectors  # heavy: imported only when vectors are read

    path = _require(run_dir / WORD2VEC, f"train word vectors first: lstmlab run CORPUS --run-dir {run_dir}")
    return KeyedVectors.load(str(path))


def predictor_path(run_dir: Path) -> Path:
    """``RUN/predictor.npz``, which must exist (read it with ``NumpyNextWordPredictor.load``)."""
    return _require(run_dir / PREDICTOR, f"train first: lstmlab train {run_dir}")


def recorded_corpus(run_dir: Path) -> Path:
    """The corpus path a run folder was made from; raises :class:`RunFolderError` if unknown."""
    require_run_dir(run_dir)
    try:
        return Path(json.loads((run_dir / RUN_RECORD).read_text(encoding="utf-8"))["corpus"])
    except (OSError, ValueError, KeyError):
        raise RunFolderError(f"{run_dir} is not a run folder (no {RUN_RECORD}); "
                             f"start it with: lstmlab run CORPUS --run-dir {run_dir}") from None


def record_corpus_text(corpus: Path) -> str:
    """The text of ``run.json`` for a folder made from ``corpus``."""
    return json.dumps({"corpus": str(corpus)}, ensure_ascii=False) + "\n"


def read_json(run_dir: Path, name: str) -> dict:
    """A JSON file of the run folder (e.g. :data:`EVALUATION`)."""
    return json.loads(_require(run_dir / name, f"run the stage that writes it: lstmlab run CORPUS --run-dir {run_dir}")
                      .read_text(encoding="utf-8"))
