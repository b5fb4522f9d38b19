"""One way to write presets for every command: a preset is a dict of overrides of a
settings dataclass's defaults, kept beside the dataclass (``PRESETS`` in each module)::

    >>> from models.demos.adder import PRESETS, AdderSettings
    >>> settings_for(AdderSettings, PRESETS, "default").learning_rate
    1.0
"""

from __future__ import annotations

from typing import Any, TypeVar

Settings = TypeVar("Settings")


def settings_for(settings_class: type[Settings], presets: dict[str, dict[str, Any]], name: str,
                 **overrides: Any) -> Settings:
    """``settings_class`` with the preset ``name`` applied, then the non-None ``overrides``."""
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; known presets: {', '.join(presets)}")
    values = {**presets[name], **{key: value for key, value in overrides.items() if value is not None}}
    return settings_class(**values)
