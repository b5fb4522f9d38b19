"""The project's own import graph and code hashes, read from the source (nothing is imported).

A stage's cache key covers the code it runs: the module that defines the stage and every
project module it imports, transitively, found here by walking ``import`` statements
(function-level ones included). Only explicit imports count, not the ``__init__`` of the
packages on the way, so the stage table in :mod:`lstmlab.pipeline.stages` does not make every
stage depend on every other; imports under ``if TYPE_CHECKING:`` are for type names only and
do not count::

    >>> "lstmlab.corpus.windows" in project_imports("lstmlab.pipeline.stages.windows")
    True
    >>> "lstmlab.models.next_word" in project_imports("lstmlab.pipeline.stages.windows")
    False

:func:`code_digest` hashes what a module computes, not how it is written down: its syntax tree
with comments, docstrings and line numbers left out, so correcting a docstring re-runs nothing::

    >>> code_digest("x = 1  # one") == code_digest('"A docstring."\\nx = 1')
    True
    >>> code_digest("x = 1") == code_digest("x = 2")
    False
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import pkgutil
from pathlib import Path

ROOT_PACKAGE = "lstmlab"
SUBPACKAGES = ("lstmlab.corpus", "lstmlab.models", "lstmlab.pipeline", "lstmlab.bench")


def source_file(module: str) -> Path:
    """The source file of a project module (a package's ``__init__.py``); raises ValueError."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        raise ValueError(f"cannot find the source of module {module}")
    return Path(spec.origin)


def _is_project(module: str) -> bool:
    return module.split(".")[0] == ROOT_PACKAGE


def _is_package(module: str) -> bool:
    return source_file(module).name == "__init__.py"


def _module_exists(module: str) -> bool:
    """Whether ``module`` exists, found without importing it (only its parent package, which
    must be a package: a name imported from a plain module is not a module)."""
    parent = module.rpartition(".")[0]
    if parent and not _is_package(parent):
        return False
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _is_type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
                                         or isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every import statement in ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not _is_type_checking_block(node):
            pending.extend(ast.iter_child_nodes(node))


@functools.lru_cache(maxsize=None)
def direct_imports(module: str) -> frozenset[str]:
    """Project modules that ``module``'s source imports anywhere in the file."""
    tree = ast.parse(source_file(module).read_text(encoding="utf-8"), filename=str(source_file(module)))
    found: set[str] = set()
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if _is_project(alias.name))
        elif node.module and node.level == 0 and _is_project(node.module):
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


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body \
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return tree


def code_digest(source: str) -> str:
    """SHA-256 of what ``source`` computes: its syntax tree without docstrings, comments or positions."""
    tree = _without_docstrings(ast.parse(source))
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode("utf-8")).hexdigest()


def code_hash(module: str) -> tuple[str, list[str]]:
    """SHA-256 over the code (:func:`code_digest`) of ``module`` and every project module it
    imports, transitively. Returns ``(hash, module names)``; the names go into the manifest so a
    reader can see what the key covers."""
    modules = project_imports(module)
    digest = hashlib.sha256()
    for name in modules:
        digest.update(name.encode("utf-8"))
        digest.update(code_digest(source_file(name).read_text(encoding="utf-8")).encode("ascii"))
    return digest.hexdigest(), modules


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


def all_project_modules() -> list[str]:
    """Dotted names of every module of the ``lstmlab`` package, sorted. The subpackages are listed
    (:data:`SUBPACKAGES`): in a checkout installed for development they live in folders beside
    ``lstmlab/``, not inside it. Packages are imported to find their modules; modules are not."""
    names = {ROOT_PACKAGE}
    for package_name in SUBPACKAGES:
        package = importlib.import_module(package_name)
        names.add(package_name)
        names.update(info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."))
    root = importlib.import_module(ROOT_PACKAGE)
    names.update(info.name for info in pkgutil.iter_modules(root.__path__, prefix=f"{ROOT_PACKAGE}.")
                 if info.name not in SUBPACKAGES)
    return sorted(names)
