"""Shared test fixtures: the sample corpus beside the checkout, and small cuts of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARED = Path(os.environ.get("LSTMLAB_SHARED", Path(__file__).resolve().parents[2] / "shared"))
CORPUS = SHARED / "corpus"


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"sample corpus {path} is not here (set LSTMLAB_SHARED to the shared folder)")
    return path


@pytest.fixture(scope="session")
def rulinwaishi_text() -> str:
    return corpus_file("rulinwaishi.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def hongloumeng_text() -> str:
    return corpus_file("hongloumeng.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def small_gbk_corpus(tmp_path_factory, rulinwaishi_text) -> Path:
    """The first 60,000 characters of 儒林外史 (whole lines) in GBK with CRLF line endings (about 120 KB)."""
    lines = rulinwaishi_text[: rulinwaishi_text.index("\n", 60_000)].split("\n")
    path = tmp_path_factory.mktemp("corpus") / "rulin-small.txt"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    return path
