"""The package's imports flow one way (issue 15, STYLE §6): no import circles, no upward imports.

The graph is read from the source with `ast` (nothing is imported), so every import
counts: module level, inside functions (lazy) and under `if TYPE_CHECKING:`.

* A circle is a cycle among the imports a module runs when it is loaded (module level,
  outside `TYPE_CHECKING`). Type-only ties are listed separately, below.
* Layers: the engine imports nothing from the layers above it (api, server, http, cli,
  embedding functions); the server does not import the HTTP client; nothing inside the
  package imports the package root (`chromadb/__init__.py` only re-exports); production
  code does not import the test helper `chromadb.server.testing`.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "chromadb"

# Edges that break a rule and are being removed by work in flight. Each entry must still
# exist (a stale entry fails too), so the list only shrinks. (Empty: the last one, the
# engine's filters reading the regex dialect from api/, went with chromadb/model/where.py.)
ALLOWED_UNTIL_MERGE: set[tuple[str, str]] = set()

# Ties that exist only for type annotations (`if TYPE_CHECKING:`), hence no import circle
# at run time, but still two modules that cannot be read apart (review of 727496c, §2):
#  * a Collection handle holds its Client: cut by building Collection from a backend.
# (The indexer's tie to the Engine went with engine/index_files.py: it takes the collection
# runtimes, a lock, the store and the index files.)
KNOWN_TYPE_ONLY_TIES: set[tuple[str, str]] = {
    ("chromadb.api.collection", "chromadb.api.client"),
}

UPPER_LAYERS_FOR_ENGINE = ("api", "server", "http", "cli", "embedding_functions", "utils", "execution")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    lazy: bool  # inside a function: runs on first call, not at load
    type_only: bool  # under `if TYPE_CHECKING:`


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package modules one import statement loads (`from pkg import sub` counts as pkg.sub)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
    return submodules if len(submodules) == len(node.names) else [base, *submodules]


def _imports(module: str, source: str | None = None) -> list[Import]:
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for statement in child.body:
                    visit_one(statement, lazy, True)
                for statement in child.orelse:
                    visit_one(statement, lazy, type_only)
            else:
                visit_one(child, lazy, type_only)

    def visit_one(node: ast.AST, lazy: bool, type_only: bool) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in _imported_names(module, node):
                if name == PACKAGE or name.startswith(PACKAGE + "."):
                    found.append(Import(module, name, node.lineno, lazy, type_only))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            visit(node, True, type_only)
        else:
            visit(node, lazy, type_only)

    path = MODULES[module]
    visit(ast.parse(path.read_text() if source is None else source, str(path)), False, False)
    return found


IMPORTS = [imp for module in MODULES for imp in _imports(module)]


def _layer(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    graph: dict[str, list[str]] = {m: [] for m in MODULES}
    for a, b in edges:
        if b in graph and a != b:
            graph[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    return components


def _where(imports: list[Import]) -> list[str]:
    return sorted(f"{i.importer} -> {i.imported} ({MODULES[i.importer].relative_to(SRC)}:{i.line})" for i in imports)


def test_the_graph_is_read_from_every_module():
    assert len(MODULES) > 50
    assert ("chromadb.api.local", "chromadb.engine.engine") in {(i.importer, i.imported) for i in IMPORTS}
    lazy = [i for i in IMPORTS if i.lazy]
    assert any(i.importer == "chromadb.cli" and i.imported.startswith("chromadb.server") for i in lazy)


def test_no_import_circles_at_load_time():
    edges = {(i.importer, i.imported) for i in IMPORTS if not i.lazy and not i.type_only}
    assert _cycles(edges) == []


def test_type_only_ties_are_the_known_ones():
    edges = {(i.importer, i.imported) for i in IMPORTS if not i.lazy}
    in_cycles = {(a, b) for a, b in edges for cycle in _cycles(edges) if a in cycle and b in cycle}
    type_only = {(i.importer, i.imported) for i in IMPORTS if i.type_only and (i.importer, i.imported) in in_cycles}
    assert type_only == KNOWN_TYPE_ONLY_TIES, "a new type-only tie, or a known one was cut: update the list"


def _violations(rule) -> list[Import]:
    return [i for i in IMPORTS if rule(i) and (i.importer, i.imported) not in ALLOWED_UNTIL_MERGE]


def test_the_engine_imports_nothing_from_the_layers_above():
    assert _where(_violations(lambda i: _layer(i.importer) == "engine" and _layer(i.imported) in UPPER_LAYERS_FOR_ENGINE)) == []


def test_the_model_types_import_nothing_but_each_other_and_the_errors():
    # chromadb/model is what every layer speaks: it sits below all of them
    allowed = {"model", "errors"}
    assert _where(_violations(lambda i: _layer(i.importer) == "model" and _layer(i.imported) not in allowed)) == []


# The engine core, top to bottom: the Engine routes to runtimes, a runtime feeds the indexer,
# the indexer works on views. No import (even lazy or type-only) points up this list.
ENGINE_CORE = ("chromadb.engine.engine", "chromadb.engine.runtime", "chromadb.engine.indexer", "chromadb.engine.view")


def test_the_engine_core_imports_only_downwards():
    rank = {module: i for i, module in enumerate(ENGINE_CORE)}
    upward = [i for i in IMPORTS if i.importer in rank and i.imported in rank and rank[i.imported] < rank[i.importer]]
    assert _where(upward) == []
    assert ("chromadb.engine.engine", "chromadb.engine.runtime") in {(i.importer, i.imported) for i in IMPORTS}


def test_inside_the_engine_only_maintenance_holds_an_engine():
    # the runtimes, the indexer, fork and the store do their job without the Engine object
    holders = {i.importer for i in IMPORTS if i.imported == "chromadb.engine.engine" and _layer(i.importer) == "engine"}
    assert holders == {"chromadb.engine.maintenance"}


def test_the_server_does_not_import_the_http_client():
    assert _where(_violations(lambda i: _layer(i.importer) == "server" and _layer(i.imported) == "http")) == []


def test_nothing_inside_the_package_imports_its_root():
    assert _where(_violations(lambda i: i.importer != PACKAGE and i.imported == PACKAGE)) == []


def test_production_code_does_not_import_the_test_server():
    testing = "chromadb.server.testing"
    assert _where(_violations(lambda i: i.imported == testing and i.importer != testing)) == []


def test_importing_the_package_loads_no_server_client_or_model_code():
    """`import chromadb` (which the engine's import runs first) stays light: the server, the
    HTTP client and the embedding model load only when used."""
    heavy = ["starlette", "uvicorn", "httpx", "onnxruntime", "tokenizers", "chromadb.server.app", "chromadb.http.backend"]
    code = f"import sys, chromadb, chromadb.engine.engine; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("edge", sorted(ALLOWED_UNTIL_MERGE))
def test_each_allowed_edge_still_exists(edge):
    assert edge in {(i.importer, i.imported) for i in IMPORTS}, f"{edge} is gone: remove it from ALLOWED_UNTIL_MERGE"


def test_the_reader_and_the_cycle_finder_on_a_hand_made_module():
    """An import of the root, a type-only one and a lazy relative one, read as the engine's view.py."""
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import chromadb\n"
        "if TYPE_CHECKING:\n"
        "    from chromadb.api import client\n"
        "def f():\n"
        "    from . import store\n"
    )
    found = {(i.imported, i.lazy, i.type_only) for i in _imports("chromadb.engine.view", source)}
    assert found == {
        ("chromadb", False, False),
        ("chromadb.api.client", False, True),
        ("chromadb.engine.store", True, False),
    }
    assert _cycles({("chromadb.engine.view", "chromadb.engine.store"), ("chromadb.engine.store", "chromadb.engine.view")}) == [
        ["chromadb.engine.store", "chromadb.engine.view"]
    ]
