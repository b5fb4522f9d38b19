"""The run folder: every file name in it, the context a stage gets, and the loaders.

A run folder (default ``runs/<corpus stem>/``) holds::

    run.json           the corpus path the folder was made from
    config.toml        the effective settings of the latest run
    text.txt           fix-encoding: the corpus as UTF-8 with \\n line endings
    tokens.txt         segment: words separated by one space, one line per input line
    word2vec.kv        word2vec: gensim KeyedVectors (plus vectors.bin, the C binary format)
    windows.npz        windows: int32 ids of the whole text and the split boundaries
    model.keras        train: the chosen epoch's model; logs/ TensorBoard; train_work/ resume state
    evaluation.json    evaluate: the held-out table
    sample.txt         generate: generated text
    manifests/<stage>.json, .lock

This module is the only one that knows those names; stages and commands ask it for paths
and contents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.windows import WindowSplit, split_at_boundary
from pipeline.config import PipelineConfig, load_config

RUN_RECORD = "run.json"
CONFIG = "config.toml"
TEXT = "text.txt"
TOKENS = "tokens.txt"
WORD2VEC = "word2vec.kv"
C_VECTORS = "vectors.bin"
WINDOWS = "windows.npz"
MODEL = "model.keras"
LOGS = "logs"
TRAIN_WORK = "train_work"
EVALUATION = "evaluation.json"
SAMPLE = "sample.txt"
MANIFESTS = "manifests"
LOCK = ".lock"


class RunFolderError(ValueError):
    """A run folder is missing what a command needs (no corpus recorded, stage not run)."""


@dataclass
class RunContext:
    """What every stage gets: the run folder, the corpus path, the config, and progress on/off."""

    run_dir: Path
    corpus: Path
    config: PipelineConfig
    progress: bool = True

    def path(self, name: str) -> Path:
        return self.run_dir / name


@dataclass
class Windows:
    """The contents of ``windows.npz``: ``ids`` (N,) int32, the split, the window length."""

    ids: np.ndarray
    split: WindowSplit
    length: int


def default_run_dir(corpus: Path) -> Path:
    """``runs/<corpus stem>`` in the current folder (``rulinwaishi.gbk.txt`` -> ``runs/rulinwaishi.gbk``)."""
    return Path("runs") / corpus.stem


def _require(path: Path, stage_hint: str) -> Path:
    if not path.exists():
        raise RunFolderError(f"{path} does not exist; {stage_hint}")
    return path


def write_windows(path: Path, ids: np.ndarray, boundary: int, length: int) -> None:
    """Write ``windows.npz`` at ``path`` (a temporary name the caller renames into place)."""
    np.savez(path, ids=ids, boundary=boundary, length=length)


def load_windows(run_dir: Path) -> Windows:
    """Read ``RUN/windows.npz``."""
    path = _require(run_dir / WINDOWS, f"build it first: lstmlab windows {run_dir}")
    with np.load(path) as data:
        ids, boundary, length = data["ids"], int(data["boundary"]), int(data["length"])
    return Windows(ids, split_at_boundary(len(ids), length, boundary), length)


def load_vectors(run_dir: Path):
    """Read ``RUN/word2vec.kv`` as gensim ``KeyedVectors``."""
    from gensim.models import KeyedVectors  # heavy: imported only when vectors are read

    path = _require(run_dir / WORD2VEC, f"train word vectors first: lstmlab run CORPUS --run-dir {run_dir}")
    return KeyedVectors.load(str(path))


def model_path(run_dir: Path) -> Path:
    """``RUN/model.keras``, which must exist (read it with :func:`models.next_word.load_next_word_model`)."""
    return _require(run_dir / MODEL, f"train first: lstmlab train {run_dir}")


def recorded_corpus(run_dir: Path) -> Path:
    """The corpus path a run folder was made from; raises :class:`RunFolderError` if unknown."""
    try:
        return Path(json.loads((run_dir / RUN_RECORD).read_text(encoding="utf-8"))["corpus"])
    except (OSError, ValueError, KeyError):
        raise RunFolderError(f"{run_dir} is not a run folder (no {RUN_RECORD}); "
                             f"start it with: lstmlab run CORPUS --run-dir {run_dir}") from None


def record_corpus_text(corpus: Path) -> str:
    """The text of ``run.json`` for a folder made from ``corpus``."""
    return json.dumps({"corpus": str(corpus)}, ensure_ascii=False) + "\n"


def run_folder_config(run_dir: Path, config_file: str | None = None, overrides: list[str] | tuple = (),
                      preset: str | None = None) -> PipelineConfig:
    """The config of an existing run folder, with a config file, preset and overrides on top."""
    if config_file is None and preset is None and (run_dir / CONFIG).is_file():
        config_file = str(run_dir / CONFIG)
    return load_config(config_file, overrides, preset)


def read_json(run_dir: Path, name: str) -> dict:
    """A JSON file of the run folder (e.g. :data:`EVALUATION`)."""
    return json.loads(_require(run_dir / name, f"run the stage that writes it: lstmlab run CORPUS --run-dir {run_dir}")
                      .read_text(encoding="utf-8"))
