"""Reference pages made from the code, so they cannot drift from it: ``docs/settings.md`` from
the settings dataclasses (key, default, range or choices, the one-line comment beside the field)
and the stage table from :data:`lstmlab.pipeline.stages.STAGES`.

``lstmlab config reference > docs/settings.md`` rewrites the settings page; a test fails when
the page in the checkout differs from :func:`settings_reference`'s text::

    >>> print(settings_reference().splitlines()[0])
    # Settings reference
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any

from lstmlab.pipeline.config import PRESETS, PipelineConfig, toml_value
from lstmlab.pipeline.stages import STAGES

_FIELD_LINE = re.compile(r"\s+(\w+): [^=]+=.*?#\s*(.*)$")


def field_comments(settings_class: type) -> dict[str, str]:
    """The comment written beside each field of ``settings_class`` and its bases: name -> text."""
    comments: dict[str, str] = {}
    for klass in reversed(settings_class.__mro__[:-1]):
        for line in inspect.getsource(klass).splitlines():
            match = _FIELD_LINE.match(line)
            if match:
                comments[match.group(1)] = match.group(2).strip()
    return comments


def _allowed(settings_class: type, name: str) -> str:
    for klass in settings_class.__mro__:
        if name in vars(klass).get("RANGES", {}):
            return str(vars(klass)["RANGES"][name])
        if name in vars(klass).get("CHOICES", {}):
            return " / ".join(vars(klass)["CHOICES"][name])
    return ""


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|")


def settings_reference() -> str:
    """The text of ``docs/settings.md``: one table per config section."""
    lines = ["# Settings reference", "",
             "Made by `lstmlab config reference` from the settings dataclasses (`models/settings.py`,",
             "`pipeline/config.py`); `tests/test_docs.py` fails when this page is stale. Set a key in a",
             "TOML file (`[train]` then `epochs = 3`, passed with `--config FILE`) or on the command line",
             "(`--set train.epochs=3`). Keys marked *not in the cache key* change where or how fast a",
             "stage runs, not what it writes.", ""]
    presets = {name: sections for name, sections in PRESETS.items() if any(sections.values())}
    for name, sections in presets.items():
        for section, values in sections.items():
            changed = ", ".join(f"`{key} = {toml_value(value)}`" for key, value in values.items())
            lines += [f"Preset `{name}` (`--preset {name}`) sets in `[{section}]`: {changed}.", ""]
    for section_field in dataclasses.fields(PipelineConfig):
        settings_class = section_field.default_factory
        section = section_field.name.replace("_", "-")
        comments = field_comments(settings_class)
        lines += [f"## [{section}]", "", "| key | default | allowed | what it is |", "|---|---|---|---|"]
        for field in dataclasses.fields(settings_class):
            meaning = comments.get(field.name, "")
            if not field.metadata.get("hashed", True):
                meaning += " (not in the cache key)"
            lines.append(f"| `{field.name}` | `{_cell(toml_value(getattr(settings_class(), field.name)))}` | "
                         f"{_cell(_allowed(settings_class, field.name))} | {_cell(meaning)} |")
        lines.append("")
    return "\n".join(lines)


def stage_table() -> str:
    """The stage table as Markdown: stage, what it reads, what it writes, its command."""
    lines = ["| stage | reads | writes | what | command on its own |", "|---|---|---|---|---|"]
    for stage in STAGES:
        reads = ", ".join(f"`{name}`" for name in stage.reads) or "the corpus"
        writes = ", ".join(f"`{name}`" for name in stage.outputs)
        lines.append(f"| {stage.name} | {reads} | {writes} | {_cell(stage.summary)} | `{stage.command}` |")
    return "\n".join(lines)


def stage_lines() -> str:
    """The stage table as plain text for ``lstmlab --help``: one stage a line."""
    width = max(len(stage.name) for stage in STAGES)
    return "\n".join(f"  {stage.name:<{width}}  {stage.summary}" for stage in STAGES)


def replace_generated(page: str, name: str, text: str) -> str:
    """``page`` with the part between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``
    replaced by ``text``; raises ValueError when the markers are missing::

        >>> replace_generated("a\\n<!-- generated: t -->\\nold\\n<!-- end: t -->\\nb", "t", "new")
        'a\\n<!-- generated: t -->\\nnew\\n<!-- end: t -->\\nb'
    """
    start, end = f"<!-- generated: {name} -->", f"<!-- end: {name} -->"
    if start not in page or end not in page:
        raise ValueError(f"the page has no {start} ... {end} markers")
    return page[: page.index(start) + len(start)] + "\n" + text + "\n" + page[page.index(end):]
