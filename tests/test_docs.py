"""The docs made from the code are current, the README stays short, and no docstring carries a
measurement (measurements live in docs/, with the command and the date)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from lstmlab.pipeline import run_folder
from lstmlab.pipeline.reference import replace_generated, settings_reference, stage_table

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# A figure with a unit of time or speed, a date, or "Nx faster": what a measurement looks like.
MEASUREMENT = re.compile(r"\d[\d,.]*\s*(ms|windows/s|words/s|GFLOP/s|MB/s|minutes)\b|\b20\d\d-\d\d-\d\d\b"
                         r"|\d(\.\d+)?x (faster|slower)")


def test_settings_reference_is_current():
    page = (DOCS / "settings.md").read_text(encoding="utf-8")
    assert page == settings_reference(), "docs/settings.md is stale: lstmlab config reference > docs/settings.md"


def test_every_setting_has_a_one_line_meaning():
    rows = [line for line in settings_reference().splitlines() if line.startswith("| `")]
    assert len(rows) > 50
    assert [row for row in rows if row.rstrip(" |").endswith("|")] == []


def test_stage_table_in_the_docs_is_current():
    page = (DOCS / "pipeline.md").read_text(encoding="utf-8")
    assert page == replace_generated(page, "stages", stage_table()), "docs/pipeline.md's stage table is stale"


def test_every_run_folder_file_is_in_the_run_folder_table():
    page = (DOCS / "pipeline.md").read_text(encoding="utf-8")
    names = [value for name, value in vars(run_folder).items() if name.isupper() and isinstance(value, str)]
    assert len(names) > 10
    assert [name for name in names if f"`{name}" not in page] == []


def test_readme_is_short_and_links_every_docs_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    assert [page.name for page in DOCS.glob("*.md") if f"docs/{page.name}" not in readme] == []


def _docstrings(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            docstring = ast.get_docstring(node)
            if docstring:
                yield getattr(node, "name", path.name), docstring


def test_no_docstring_carries_a_measurement():
    found = [f"{path.relative_to(ROOT)}:{name}: {match.group(0)}"
             for folder in ("corpus", "models", "pipeline", "benchmarks", "lstmlab")
             for path in sorted((ROOT / folder).rglob("*.py"))
             for name, docstring in _docstrings(path) for match in MEASUREMENT.finditer(docstring)]
    assert found == []


def test_the_measurement_pattern_finds_measurements():
    assert MEASUREMENT.search("took 162 ms") and MEASUREMENT.search("on 2026-11-29")
    assert MEASUREMENT.search("1.7x faster") and MEASUREMENT.search("3,361 windows/s")
    assert not MEASUREMENT.search("a (1024, 800) batch of 20 words")
