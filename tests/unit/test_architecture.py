"""The shape of the code, as docs/architecture.md draws it: layers, no import cycles, small parts.

Read from the source with `ast` (nothing is imported), so a rule broken anywhere - a lazy import
inside a function included - shows up here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500
# The window's pages may be longer modules (each is one screen); their functions may not.
LONG_MODULES_ALLOWED = ("edge_app/ui/",)

# What each layer may import of ours (a lazy import inside a function counts too).
CORE = ("edge_app.domain", "storage", "edge_app.gateway", "edge_app.sync", "edge_app.config")
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "edge_app.domain": (),
    "storage": ("edge_app.domain",),
    "edge_app.gateway": ("edge_app.domain",),
    "edge_app.sandbox": (),  # an independent implementation of the contract
    "edge_app.sync": ("edge_app.domain", "edge_app.gateway", "storage"),
    "edge_app.config": ("edge_app.domain", "edge_app.gateway", "storage"),
    "edge_app.services": (*CORE, "edge_app"),
}


def _modules() -> Iterator[tuple[str, Path]]:
    for top in ("edge_app", "storage"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in ("edge_app", "storage", "PySide6")}


def _layer(module: str) -> str | None:
    for layer in sorted(MAY_IMPORT, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


MODULES = dict(_modules())


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_layer_imports_only_the_layers_below(module: str) -> None:
    layer = _layer(module)
    imported = _imports(MODULES[module])
    if not module.startswith("edge_app.ui"):
        assert not any(name.startswith("PySide6") for name in imported), "Qt outside edge_app/ui"
    if layer is None:
        return
    allowed = (layer, *MAY_IMPORT[layer])
    wrong = sorted(n for n in imported if not n.startswith("PySide6") and not _within(n, allowed))
    if layer == "edge_app.services":  # `from edge_app import __version__` is the root itself
        wrong = [n for n in wrong if n != "edge_app.__version__"]
    assert wrong == [], f"{module} ({layer}) imports {wrong}"


def test_no_import_cycles_between_modules() -> None:
    """Module-level imports form no cycle (lazy imports inside functions are how the cheap
    start-up of the command line is kept, not a way around this)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for name in _imports(path, top_level_only=True):
            target = name if name in MODULES else name.rpartition(".")[0]
            if target in MODULES and target != module:
                graph[module].add(target)
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            raise AssertionError(" -> ".join([*stack[stack.index(node) :], node]))
        if node in done:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, [*stack, node])
        done.add(node)

    for module in sorted(MODULES):
        visit(module, [])


def _code_files() -> Iterator[Path]:
    for top in ("edge_app", "storage", "installer", "resources"):
        yield from sorted((ROOT / top).rglob("*.py"))


@pytest.mark.parametrize("path", list(_code_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_functions_and_modules_stay_small(path: Path) -> None:
    text = path.read_text("utf-8")
    relative = path.relative_to(ROOT).as_posix()
    if not relative.startswith(LONG_MODULES_ALLOWED):
        assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{relative} is over 500 lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == [], f"{relative}: {long}"


def test_every_package_says_what_it_owns() -> None:
    for module, path in MODULES.items():
        if path.name == "__init__.py":
            doc = ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""
            assert len(doc.split()) >= 12, f"{module} needs a docstring saying what it owns"
