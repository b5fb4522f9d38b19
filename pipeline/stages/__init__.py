"""The stage table of ``lstmlab run``: each stage's config section, inputs, outputs and code.

=============  ==========================  =========================================
stage          reads                       writes
=============  ==========================  =========================================
fix-encoding   the corpus file             text.txt (UTF-8, ``\\n`` line endings)
segment        text.txt                    tokens.txt (words separated by one space)
word2vec       tokens.txt                  word2vec.kv (gensim KeyedVectors), vectors.bin (C format)
windows        tokens.txt, word2vec.kv     windows.npz (int32 ids, split boundary, window length)
train          windows.npz, word2vec.kv    model.keras, predictor.npz; logs/ (TensorBoard); train_work/ (resume)
evaluate       predictor.npz, windows.npz  evaluation.json (model vs n-gram models; generation measures)
generate       predictor.npz, windows.npz  sample.txt (generated text)
=============  ==========================  =========================================

Each stage is one module of this package with a ``run(context) -> details`` function. The
code a stage's cache key covers is that module and every project module it imports,
transitively (:func:`pipeline.imports.project_imports`), derived, never listed by hand.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pipeline import run_folder
from pipeline.run_folder import RunContext


@dataclass(frozen=True)
class Stage:
    """One row of the stage table: its name, config section, files and implementation module.

    ``module`` is the stage module's short name in this package; it is imported only when the
    stage runs, so reading the table (the CLI does, to list stages) does not load Keras.
    """

    name: str
    section: str
    inputs: Callable[[RunContext], list[Path]]
    outputs: tuple[str, ...]
    module: str

    @property
    def code_module(self) -> str:
        """The dotted name of the module whose import closure the cache key covers."""
        return f"{__name__}.{self.module}"

    def run(self, context: RunContext) -> dict[str, Any]:
        """Run the stage; returns the details its manifest records."""
        return importlib.import_module(self.code_module).run(context)


def _optional(path: str) -> list[Path]:
    return [Path(path)] if path else []


def _paths(*names: str) -> Callable[[RunContext], list[Path]]:
    return lambda context: [context.path(name) for name in names]


STAGES: tuple[Stage, ...] = (
    Stage("fix-encoding", "fix_encoding", lambda c: [c.corpus], (run_folder.TEXT,), "fix_encoding"),
    Stage("segment", "segment", lambda c: [c.path(run_folder.TEXT), *_optional(c.config.segment.user_dictionary)],
          (run_folder.TOKENS,), "segment"),
    Stage("word2vec", "word2vec", lambda c: [c.path(run_folder.TOKENS), *_optional(c.config.word2vec.vectors)],
          (run_folder.WORD2VEC, run_folder.C_VECTORS), "word2vec"),
    Stage("windows", "windows", _paths(run_folder.TOKENS, run_folder.WORD2VEC), (run_folder.WINDOWS,), "windows"),
    Stage("train", "train", _paths(run_folder.WINDOWS, run_folder.WORD2VEC), (run_folder.MODEL, run_folder.PREDICTOR),
          "train"),
    Stage("evaluate", "evaluate", _paths(run_folder.WINDOWS, run_folder.PREDICTOR), (run_folder.EVALUATION,),
          "evaluate"),
    Stage("generate", "generate", _paths(run_folder.PREDICTOR, run_folder.WINDOWS), (run_folder.SAMPLE,), "generate"),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def stage_by_name(name: str) -> Stage:
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise ValueError(f"unknown stage {name!r}; stages: {', '.join(STAGE_NAMES)}")
