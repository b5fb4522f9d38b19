"""The project's own import graph, read from the source (nothing is imported to find it).

A stage's cache key covers the code it runs: the module that defines the stage and every
project module it imports, transitively, found here by walking ``import`` statements
(function-level ones included). Only explicit imports count, not the ``__init__`` of the
packages on the way, so the stage table in :mod:`pipeline.stages` does not make every
stage depend on every other::

    >>> "corpus.windows" in project_imports("pipeline.stages.windows")
    True
    >>> "models.next_word" in project_imports("pipeline.stages.windows")
    False
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path

PROJECT_PACKAGES = ("corpus", "models", "pipeline")


def source_file(module: str) -> Path:
    """The source file of a project module (a package's ``__init__.py``); raises ValueError."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        raise ValueError(f"cannot find the source of module {module}")
    return Path(spec.origin)


def _is_project(module: str) -> bool:
    return module.split(".")[0] in PROJECT_PACKAGES


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@functools.lru_cache(maxsize=None)
def direct_imports(module: str) -> frozenset[str]:
    """Project modules that ``module``'s source imports anywhere in the file."""
    tree = ast.parse(source_file(module).read_text(encoding="utf-8"), filename=str(source_file(module)))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if _is_project(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and _is_project(node.module):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if _module_exists(submodule) else node.module)
    found.discard(module)
    return frozenset(found)


def project_imports(module: str) -> list[str]:
    """``module`` and every project module it reaches through imports, sorted."""
    seen: set[str] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending.extend(direct_imports(name))
    return sorted(seen)


def import_cycles(modules: list[str]) -> list[list[str]]:
    """Every import cycle among ``modules`` (each as a list of module names), by depth-first search."""
    cycles: list[list[str]] = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = "open"
        stack.append(name)
        for imported in sorted(direct_imports(name)):
            if state.get(imported) == "open":
                cycles.append(stack[stack.index(imported):] + [imported])
            elif imported not in state:
                visit(imported)
        stack.pop()
        state[name] = "done"

    for module in modules:
        if module not in state:
            visit(module)
    return cycles


def all_project_modules(root: Path) -> list[str]:
    """Dotted names of every module under the project packages in ``root`` (the checkout)."""
    names = []
    for package in PROJECT_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names
