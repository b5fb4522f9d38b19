"""The pipeline's settings: one dataclass per stage, a TOML file, presets and ``--set`` overrides.

A config file has one table per stage (``[segment]``, ``[train]``, ...) plus an optional
top-level ``preset = "blog"``. Every key must exist in the stage's dataclass and have the
right type; anything else is a :class:`ConfigError` that names the key::

    preset = "default"
    [train]
    epochs = 3
    batch_size = 256

Overrides from the command line look like ``--set train.epochs=3`` and use TOML syntax for
the value (bare words are taken as strings).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable

from lstmlab.models.settings import (AT_LEAST_ONE, BELOW_ONE, NOT_NEGATIVE, TRAIN_PRESETS, Bound, check_settings,)
from lstmlab.pipeline import run_folder
from lstmlab.models.settings import DecodingSettings, NextWordSettings, TrainingSchedule, Word2VecSettings


class ConfigError(ValueError):
    """A config file or override names an unknown key or gives a value of the wrong type."""


def _not_hashed(default: Any) -> Any:
    """A setting that never changes a stage's output (e.g. worker counts): left out of cache keys."""
    return field(default=default, metadata={"hashed": False})


@dataclass
class FixEncodingConfig:
    encoding: str = ""  # "" detects it; else a Python codec name such as "gb18030" or "big5hkscs"
    errors: str = "strict"  # strict: an invalid byte is an error naming its offset and line; replace: it becomes U+FFFD
    fullwidth_to_halfwidth: bool = False  # map full-width ASCII forms (ＡＢ１，！) to ASCII; off: the novel's own punctuation stays
    unify_quotes: bool = False  # turn corner brackets 「」『』 into curly quotes “” ‘’, for texts that mix both
    strip_indentation: bool = False  # remove leading ideographic spaces, spaces and tabs from each line
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"errors": ("strict", "replace")}


@dataclass
class SegmentConfig:
    hmm: bool = True  # jieba's HMM guesses words missing from its dictionary (names, rare compounds)
    user_dictionary: str = _not_hashed("")  # a file of extra words for jieba, "word [frequency] [tag]" a line (its content is a stage input)
    keep_punctuation: bool = True  # punctuation marks are words: the model learns where sentences and quotations end
    workers: int = _not_hashed(0)  # segmenting processes (0 = one per core)

    RANGES: ClassVar[dict[str, Bound]] = {"workers": NOT_NEGATIVE}


@dataclass
class Word2VecConfig(Word2VecSettings):
    """gensim settings (defaults: the blog's) plus an optional existing vectors file to use instead."""

    vectors: str = _not_hashed("")  # an existing word2vec file (C binary or text) to use instead of training
    rare_as_unknown: bool = True  # words under min_count become one "<unk>" word with a vector (False: left out, the blog's way)
    workers: int = _not_hashed(Word2VecSettings.workers)  # gensim threads (0 = one per core); 1 is reproducible


@dataclass
class WindowsConfig:
    length: int = 20  # words of context per training window (the mission's 20)
    validation_fraction: float = 0.05  # the part before the test part: checkpoints and settings are chosen on it
    test_fraction: float = 0.05  # the last part of the text: the reported figures, touched by no choice

    RANGES: ClassVar[dict[str, Bound]] = {"length": AT_LEAST_ONE, "validation_fraction": BELOW_ONE,
                                          "test_fraction": BELOW_ONE}


@dataclass
class TrainConfig(NextWordSettings, TrainingSchedule):
    """The ``[train]`` section: the model's settings (:class:`models.next_word.NextWordSettings`)
    and the schedule's (:class:`models.training.TrainingSchedule`), one set of defaults, plus
    whether TensorBoard gets weight histograms."""

    histograms: bool = True  # TensorBoard weight histograms each epoch (off saves a little time per epoch)
@dataclass
class EvaluateConfig:
    max_windows: int = 30_000  # windows scored in each of the test and validation parts, evenly spread over it (0 = every one): a row's cost is windows x vocabulary
    memory: bool = True  # also score the model mixed with its nearest training contexts (models.memory)
    memory_search: str = "approximate"  # the memory's search: "approximate" (a faiss index, tuned to find 97% of the exact neighbours; time grows with the text) or "exact" (every key; time grows with its square)

    RANGES: ClassVar[dict[str, Bound]] = {"max_windows": NOT_NEGATIVE}
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"memory_search": ("approximate", "exact")}


@dataclass
class GenerateConfig(DecodingSettings):
    """The ``[generate]`` section: the seed and length, and the decoding settings
    (:class:`models.settings.DecodingSettings`)."""

    seed_text: str = ""  # the text generation starts from ("" = the test part's first window, as the text writes it)
    length: int = 60  # words generated by the generate stage and `lstmlab generate`
    RANGES: ClassVar[dict[str, Bound]] = {"length": AT_LEAST_ONE}


@dataclass
class DistributeConfig:
    """The ``[distribute]`` section: data-parallel training on the JAX backend (see
    :mod:`models.distributed`). Never part of a cache key: it changes where training runs,
    not what it learns. The ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` / ``_NUM_PROCESSES`` /
    ``_PROCESS_ID`` environment variables, when set, fill the last three and switch it on."""

    enabled: bool = _not_hashed(False)  # shard every batch over all devices of all processes
    coordinator: str = _not_hashed("")  # host:port of process 0 (several processes only)
    num_processes: int = _not_hashed(1)  # how many processes train together
    process_id: int = _not_hashed(0)  # 0 writes the model, logs and manifest

    RANGES: ClassVar[dict[str, Bound]] = {"num_processes": AT_LEAST_ONE, "process_id": NOT_NEGATIVE}

    def from_environment(self, environ: dict[str, str]) -> "DistributeConfig":
        """These settings with the Keras distribution variables of ``environ`` applied."""
        names = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                 "KERAS_DISTRIBUTION_PROCESS_ID")
        if not any(name in environ for name in names):
            return self
        try:
            return DistributeConfig(
                True, environ.get(names[0], self.coordinator).split(",")[0],
                int(environ.get(names[1], self.num_processes)), int(environ.get(names[2], self.process_id)))
        except ValueError:
            raise ConfigError(f"{names[1]} and {names[2]} must be whole numbers") from None


@dataclass
class PipelineConfig:
    fix_encoding: FixEncodingConfig = field(default_factory=FixEncodingConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    word2vec: Word2VecConfig = field(default_factory=Word2VecConfig)
    windows: WindowsConfig = field(default_factory=WindowsConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    generate: GenerateConfig = field(default_factory=GenerateConfig)
    distribute: DistributeConfig = field(default_factory=DistributeConfig)


SECTION_NAMES = {f.name.replace("_", "-"): f.name for f in dataclasses.fields(PipelineConfig)}

# Presets: for each preset name, overrides per config section (written beside the settings
# they override, in models.settings).
PRESETS: dict[str, dict[str, dict[str, Any]]] = {name: {"train": values} for name, values in TRAIN_PRESETS.items()}


def _section_key(name: str) -> str:
    """Map ``fix-encoding`` or ``fix_encoding`` to the dataclass field name, or raise."""
    key = name.replace("-", "_")
    if key not in SECTION_NAMES.values():
        known = ", ".join(sorted(SECTION_NAMES))
        raise ConfigError(f"unknown config section [{name}]; known sections: {known}")
    return key


def _coerce(section: str, key: str, value: Any, expected: type) -> Any:
    """Check ``value`` against the field type ``expected``; ints are accepted for floats."""
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is not bool and isinstance(value, bool) or not isinstance(value, expected):
        raise ConfigError(
            f"{section}.{key} must be {expected.__name__}, got {type(value).__name__} {value!r}"
        )
    return value


def apply_values(config: PipelineConfig, section: str, values: dict[str, Any]) -> None:
    """Set ``values`` on one section of ``config`` in place, checking keys and types."""
    section_key = _section_key(section)
    if not isinstance(values, dict):
        raise ConfigError(f"[{section}] must be a table of settings")
    target = getattr(config, section_key)
    field_types = {f.name: f.type for f in dataclasses.fields(target)}
    types = {"int": int, "float": float, "bool": bool, "str": str}
    for key, value in values.items():
        if key not in field_types:
            known = ", ".join(field_types)
            raise ConfigError(f"unknown setting {section}.{key}; [{section}] has: {known}")
        expected = types[field_types[key]] if isinstance(field_types[key], str) else field_types[key]
        setattr(target, key, _coerce(section, key, value, expected))


def parse_override(text: str) -> tuple[str, str, Any]:
    """Parse ``section.key=value`` (value in TOML syntax, bare words as strings)."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ConfigError(f"--set expects section.key=value, got {text!r}")
    dotted, raw_value = text.split("=", 1)
    section, key = dotted.strip().split(".", 1)
    try:
        value = tomllib.loads(f"v = {raw_value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw_value.strip()
    return section, key.strip(), value


def load_config(
    path: str | Path | None = None,
    overrides: Iterable[str] = (),
    preset: str | None = None,
) -> PipelineConfig:
    """Build the effective config: dataclass defaults, then the preset, the file, the overrides.

    ``preset`` (if given) wins over a ``preset`` key in the file. Raises :class:`ConfigError`
    for unknown sections, keys, presets or mistyped values, and for an unreadable file.
    """
    file_values: dict[str, Any] = {}
    if path is not None:
        try:
            file_values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"cannot read config file {path}: {error}") from None
    preset_name = preset or file_values.pop("preset", "default")
    file_values.pop("preset", None)
    if preset_name not in PRESETS:
        raise ConfigError(f"unknown preset {preset_name!r}; known presets: {', '.join(PRESETS)}")
    config = PipelineConfig()
    for section, values in PRESETS[preset_name].items():
        apply_values(config, section, values)
    for section, values in file_values.items():
        apply_values(config, section, values)
    for text in overrides:
        section, key, value = parse_override(text)
        apply_values(config, section, {key: value})
    check_config(config)
    return config


def check_config(config: PipelineConfig) -> None:
    """Check every setting of every section against its range and choices (before anything is
    written); raises :class:`lstmlab.models.settings.SettingsError` naming ``section.key``."""
    for section_field in dataclasses.fields(config):
        check_settings(getattr(config, section_field.name), section_field.name.replace("_", "-"))
    user_dictionary = config.segment.user_dictionary
    if user_dictionary:
        config.segment.user_dictionary = str(Path(user_dictionary).expanduser().resolve())
    if config.word2vec.vectors:
        config.word2vec.vectors = str(Path(config.word2vec.vectors).expanduser().resolve())


def hashed_settings(section: Any) -> dict[str, Any]:
    """The settings of one section that change its output (those not marked ``hashed=False``)."""
    return {
        f.name: getattr(section, f.name)
        for f in dataclasses.fields(section)
        if f.metadata.get("hashed", True)
    }


def toml_value(value: Any) -> str:
    """``value`` (bool, int, float or str) written as a TOML value::

        >>> toml_value(True), toml_value(0.5), toml_value('他说"好"')
        ('true', '0.5', '"他说\\\\"好\\\\""')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def to_toml(config: PipelineConfig) -> str:
    """Render ``config`` as TOML text that :func:`load_config` reads back to an equal config."""
    lines: list[str] = []
    for section_field in dataclasses.fields(config):
        lines.append(f"[{section_field.name.replace('_', '-')}]")
        section = getattr(config, section_field.name)
        for f in dataclasses.fields(section):
            lines.append(f"{f.name} = {toml_value(getattr(section, f.name))}")
        lines.append("")
    return "\n".join(lines)


def run_folder_config(run_dir: Path, config_file: str | None = None, overrides: Iterable[str] = (),
                      preset: str | None = None) -> PipelineConfig:
    """The config of an existing run folder (its ``config.toml``), or a config file, preset and
    overrides given instead or on top."""
    saved = Path(run_dir) / run_folder.CONFIG
    if config_file is None and preset is None and saved.is_file():
        config_file = str(saved)
    return load_config(config_file, overrides, preset)
