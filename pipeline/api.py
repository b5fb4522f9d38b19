"""The Python API: run the pipeline, load a run folder, and use what it holds.

What ``import lstmlab`` offers (the command line calls the same code)::

    import lstmlab
    run = lstmlab.run_pipeline("novel.txt", overrides={"train.epochs": 3})   # every stage, as `lstmlab run`
    run = lstmlab.load("runs/novel")                                           # a finished run folder
    print(run.generate("宝玉道", length=30))                                   # numpy only, no TensorFlow
    run.similar("宝玉")                # [(word, cosine), ...] in the run's word2vec space
    run.inspect()["cells"]            # the cells that track features of the text; RUN/inspect/*.html
    run.evaluate()["rows"][0]          # the test-part table as evaluation.json holds it
    run.settings.train.epochs          # the settings the folder was made with

Errors are the clear exceptions the command line prints (all ``ValueError``s): a config key
that does not exist, a run folder that is not one, a word outside the vocabulary::

    >>> lstmlab_settings = settings(preset="blog", overrides={"train.epochs": 2})
    >>> lstmlab_settings.train.loss, lstmlab_settings.train.epochs
    ('mse', 2)
    >>> settings(overrides={"train.epoch": 2})
    Traceback (most recent call last):
    ...
    lstmlab.pipeline.config.ConfigError: unknown setting train.epoch; [train] has: ...
    >>> load("no/such/folder")
    Traceback (most recent call last):
    ...
    lstmlab.pipeline.run_folder.RunFolderError: no run folder at no/such/folder; make one with: lstmlab run CORPUS --run-dir no/such/folder
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from lstmlab.pipeline import run_folder
from lstmlab.pipeline.config import PipelineConfig, load_config, run_folder_config
from lstmlab.pipeline.runner import run_pipeline as run_stages


class VocabularyError(ValueError):
    """A word is not in a run's vocabulary; the message suggests words that share characters."""


def settings(preset: str = "default", overrides: Mapping[str, Any] | None = None,
             config_file: str | Path | None = None) -> PipelineConfig:
    """The pipeline's settings: ``preset`` ("default" or "blog"), then ``config_file`` (TOML), then
    ``overrides`` such as ``{"train.epochs": 3}``. Raises ``ConfigError`` / ``SettingsError``."""
    return load_config(config_file, _override_texts(overrides), preset)


def _override_texts(overrides: Mapping[str, Any] | None) -> list[str]:
    """``{"train.epochs": 3, "generate.seed_text": "宝玉"}`` as ``--set`` texts (TOML values)."""
    from lstmlab.pipeline.config import toml_value

    return [f"{key}={toml_value(value)}" for key, value in (overrides or {}).items()]


@dataclass
class Run:
    """A run folder and what it holds. ``run_dir``: the folder; ``settings``: its effective settings."""

    run_dir: Path
    settings: PipelineConfig

    def generate(self, seed: str = "", length: int = 60, **decoding: Any):
        """``length`` words after the seed text (segmented over the run's vocabulary); keyword
        arguments override the run's decoding settings (method, temperature, top_p, rng_seed,
        ...). Returns a ``Sample`` whose ``str`` is the seed and the new text."""
        from lstmlab.pipeline.stages.generate import load_generator

        return load_generator(self.run_dir).generate(seed, length, **decoding)

    def evaluate(self, force: bool = False) -> dict[str, Any]:
        """The test-part evaluation (``evaluation.json``), running the evaluate stage first when it
        is missing or out of date (``force``: run it again)."""
        run_stages(run_folder.recorded_corpus(self.run_dir), self.run_dir, self.settings, until="evaluate",
                   force_stage="evaluate" if force else None, progress=False)
        return run_folder.read_json(self.run_dir, run_folder.EVALUATION)

    def inspect(self, text: str | None = None, words: int = 400, name: str = "inspection",
                compare: bool = True) -> dict[str, Any]:
        """See inside the LSTM over ``text`` (default: ``words`` words of the test part): the
        cells that track features of the text, gate saturation, the comparison with Kneser-Ney.
        Writes ``RUN/inspect/NAME.html`` (its path is the result's ``page``), ``NAME.json`` and
        an LSTMVis export (:func:`lstmlab.pipeline.inspect.inspect_run`)."""
        from lstmlab.pipeline.inspect import inspect_run

        return inspect_run(self.run_dir, text, words, name, compare)

    def similar(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` words nearest to ``word`` by cosine in the run's word2vec space, with their
        cosines. Raises :class:`VocabularyError` for a word the run does not know."""
        from lstmlab.corpus.text import close_matches

        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        vectors = run_folder.load_vectors(self.run_dir)
        if word not in vectors.key_to_index:
            hints = close_matches(vectors.index_to_key, word) if word else []
            hint = f"; words sharing characters: {' '.join(hints)}" if hints else ""
            raise VocabularyError(f"{word!r} is not in the vocabulary of {self.run_dir}{hint}")
        return [(other, float(cosine)) for other, cosine in vectors.most_similar(word, topn=k)]


def load(run_dir: str | Path) -> Run:
    """The run folder ``run_dir`` (made by ``lstmlab run`` or :func:`run_pipeline`) with its settings."""
    run_dir = run_folder.require_run_dir(Path(run_dir).expanduser())
    return Run(run_dir, run_folder_config(run_dir))


def run_pipeline(corpus: str | Path, run_dir: str | Path | None = None, preset: str = "default",
                 overrides: Mapping[str, Any] | None = None, config_file: str | Path | None = None,
                 until: str | None = None, force: bool = False, progress: bool = False) -> Run:
    """Run every stage (up to ``until``) on ``corpus`` into ``run_dir`` (default
    ``runs/<corpus stem>``), skipping the stages that are up to date, as ``lstmlab run`` does.
    Returns the :class:`Run`."""
    corpus = Path(corpus).expanduser()
    run_dir = Path(run_dir).expanduser() if run_dir is not None else run_folder.default_run_dir(corpus)
    config = settings(preset, overrides, config_file)
    run_stages(corpus, run_dir, config, until=until, force=force, progress=progress)
    return Run(run_dir, config)
