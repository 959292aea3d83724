"""The import graph: no cycles anywhere, and the import-linter contracts (pyproject.toml) stay complete.

`make test` runs import-linter (`lint-imports`) for the layers. It has no contract against cycles between modules,
so this test finds them with grimp, import-linter's own graph library, over every package: imports inside functions
and under TYPE_CHECKING count, since a cycle dodged that way is a cycle still.
"""

from __future__ import annotations

import ast
import tomllib
from itertools import pairwise
from pathlib import Path

import grimp

PACKAGES = ("engine", "nodes", "workflows", "web", "cli", "connectors", "tests", "bench")
CONNECTORS_MAY_IMPORT = {"engine.settings", "engine.errors", "engine.clock", "engine.models"}
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The graph's strongly connected components of more than one module (Tarjan's algorithm, iterative), each
    sorted; a module that imports itself is no cycle here."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, successors = work[-1]
            successor = next(successors, None)
            if successor is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif successor not in index:
                index[successor] = low[successor] = len(index)
                stack.append(successor)
                on_stack.add(successor)
                work.append((successor, iter(sorted(graph.find_modules_directly_imported_by(successor)))))
            elif successor in on_stack:
                low[module] = min(low[module], index[successor])
    return found


def one_loop(graph: grimp.ImportGraph, component: list[str]) -> str:
    """One import loop through the component, e.g. 'a -> b -> c -> a', with where each import is."""
    first = component[0]
    shortest: tuple[str, ...] | None = None
    for imported in sorted(graph.find_modules_directly_imported_by(first) & set(component)):
        chain = graph.find_shortest_chain(importer=imported, imported=first)
        if chain is not None and (shortest is None or len(chain) < len(shortest)):
            shortest = chain
    loop = [first, *(shortest or ())]
    steps = []
    for importer, imported in pairwise(loop):
        lines = sorted(d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported))
        steps.append(f"{importer} (line {', '.join(map(str, lines))}) -> {imported}")
    return "; ".join(steps)


def test_no_import_cycles_anywhere() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)

    loops = [one_loop(graph, component) for component in cycles(graph)]

    assert loops == [], "import cycles:\n" + "\n".join(loops)


def test_the_cycle_finder_finds_and_names_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "e"), ("e", "e")]:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")

    assert cycles(graph) == [["a", "b", "c"]]
    assert one_loop(graph, ["a", "b", "c"]) == "a (line 1) -> b; b (line 1) -> c; c (line 1) -> a"


def test_the_connectors_contract_forbids_every_engine_module_but_four() -> None:
    """A new engine module is off limits to connectors/ as soon as it exists: the contract must name it."""
    contracts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    (connectors,) = [c for c in contracts if c.get("source_modules") == ["connectors"]]
    engine = grimp.build_graph("engine", cache_dir=None)

    assert set(connectors["forbidden_modules"]) == engine.find_children("engine") - CONNECTORS_MAY_IMPORT
    assert not any("ignore_imports" in contract for contract in contracts)


def test_the_unit_lane_starts_no_process() -> None:
    """tests/unit runs in-process only (no subprocess, multiprocessing or os.system): tests that start `memberflow`
    or a server live in tests/integration or tests/workflows."""
    starters = {"subprocess", "multiprocessing", "pty"}
    found = []
    for path in sorted((Path(__file__).parent / "unit").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            found += [f"{path.name}: imports {name}" for name in names if name.split(".")[0] in starters]
            if isinstance(node, ast.Attribute) and node.attr in {"system", "popen", "fork", "spawnv", "execv"}:
                found.append(f"{path.name}: calls os.{node.attr}")
    assert found == []
