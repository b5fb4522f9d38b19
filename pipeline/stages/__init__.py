"""The stage table of ``lstmlab run``: each stage's config section, the files it reads and
writes, its command and its code. The CLI's help and the stage table in ``docs/pipeline.md``
are made from :data:`STAGES` (:mod:`lstmlab.pipeline.reference`).

Each stage is one module of this package with a ``run(context) -> details`` function; stages
do not import each other. The code a stage's cache key covers is that module and every project
module it imports, transitively (:func:`lstmlab.pipeline.imports.code_hash`), derived, never
listed by hand.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from lstmlab.pipeline import run_folder
from lstmlab.pipeline.run_folder import RunContext


@dataclass(frozen=True)
class Stage:
    """One row of the stage table.

    ``name``: the stage (and its command); ``section``: its config section; ``reads``: the
    run-folder files it reads; ``outside``: the files outside the folder it reads (the corpus, a
    user dictionary), from the context; ``outputs``: the files it writes; ``module``: its
    implementation's short name in this package, imported only when the stage runs, so reading
    the table (the CLI does) does not load Keras; ``summary`` and ``command``: for the help.
    """

    name: str
    section: str
    reads: tuple[str, ...]
    outside: Callable[[RunContext], list[Path]]
    outputs: tuple[str, ...]
    module: str
    summary: str
    command: str

    @property
    def code_module(self) -> str:
        """The dotted name of the module whose import closure the cache key covers."""
        return f"{__name__}.{self.module}"

    def inputs(self, context: RunContext) -> list[Path]:
        """Every file the stage reads: the outside ones first, then the run folder's."""
        return [*self.outside(context), *(context.path(name) for name in self.reads)]

    def run(self, context: RunContext) -> dict[str, Any]:
        """Run the stage; returns the details its manifest records."""
        return importlib.import_module(self.code_module).run(context)


def _optional(path: str) -> list[Path]:
    return [Path(path)] if path else []


def _nothing(context: RunContext) -> list[Path]:
    return []


F = run_folder
STAGES: tuple[Stage, ...] = (
    Stage("fix-encoding", "fix_encoding", (), lambda c: [c.corpus], (F.TEXT,), "fix_encoding",
          "the corpus (UTF-8 ± BOM, GBK, GB18030, Big5, UTF-16; CRLF or CR) -> clean UTF-8 with \\n",
          "lstmlab fix-encoding IN -o OUT"),
    Stage("segment", "segment", (F.TEXT,), lambda c: _optional(c.config.segment.user_dictionary), (F.TOKENS,),
          "segment", "jieba words separated by one space, one line per input line", "lstmlab segment IN -o OUT"),
    Stage("word2vec", "word2vec", (F.TOKENS,), lambda c: _optional(c.config.word2vec.vectors),
          (F.WORD2VEC, F.C_VECTORS), "word2vec",
          "gensim word vectors (rare words as one `<unk>`), also in word2vec.c's binary format",
          "lstmlab word2vec TOKENS -o DIR"),
    Stage("windows", "windows", (F.TOKENS, F.WORD2VEC), _nothing, (F.WINDOWS,), "windows",
          "int32 word ids; training / validation / test split by position (test: the last 5%)",
          "lstmlab windows RUN"),
    Stage("train", "train", (F.WINDOWS, F.WORD2VEC, F.TOKENS), _nothing, (F.MODEL, F.PREDICTOR), "train",
          "the next-word LSTM (Keras) and its weights for numpy; TensorBoard logs in logs/", "lstmlab train RUN"),
    Stage("evaluate", "evaluate", (F.WINDOWS, F.PREDICTOR, F.TOKENS), _nothing, (F.EVALUATION, F.CONTEXT_CURVE),
          "evaluate", "perplexity, top-1, top-10 on the test part beside n-gram models, from windows and with the "
          "state carried; the context-length curve; generation measures",
          "lstmlab evaluate RUN"),
    Stage("generate", "generate", (F.PREDICTOR, F.WINDOWS, F.TOKENS), _nothing, (F.SAMPLE,), "generate",
          "text generated word by word from the seed text", "lstmlab generate RUN --seed 王冕"),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)
