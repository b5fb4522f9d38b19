"""Stage manifests: what a stage read, with which settings and code, and what it wrote.

A manifest is ``RUN/manifests/<stage>.json``::

    {"stage": "segment", "key": "...", "inputs": {"text.txt": "<sha256>"},
     "settings": {...}, "version": "0.1.0", "code": "<sha256>", "code_modules": [...],
     "outputs": {"tokens.txt": "<sha256>"}, "seconds": 2.4, "details": {...}}

``key`` hashes everything that decides the output (inputs, settings, the source of every
project module the stage's code reaches (:func:`lstmlab.pipeline.imports.code_hash`), version, and the keys of the stages before it), so a stage is skipped exactly when its key is unchanged
and its outputs are still the files it wrote.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from lstmlab.pipeline import __version__
from lstmlab.pipeline.files import sha256_of_path, write_text_atomic
from lstmlab.pipeline.run_folder import manifest_path


def stage_key(inputs: dict[str, str], settings: dict[str, Any], code: str, upstream: list[str]) -> str:
    """The cache key of a stage run: a hash of everything that decides its outputs."""
    payload = json.dumps(
        {"inputs": inputs, "settings": settings, "code": code, "upstream": upstream, "version": __version__},
        sort_keys=True, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def outputs_intact(run_dir: Path, manifest: dict[str, Any]) -> bool:
    """True when every output the manifest lists exists with the hash it recorded."""
    for name, recorded in manifest.get("outputs", {}).items():
        path = run_dir / name
        if not path.exists() or sha256_of_path(path) != recorded:
            return False
    return True


def write_manifest(run_dir: Path, stage: str, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically (it is written last, after every output is in place)."""
    text = json.dumps({**manifest, "version": __version__}, indent=2, ensure_ascii=False, sort_keys=True)
    write_text_atomic(manifest_path(run_dir, stage), text + "\n")
