"""No module of btxh imports a module that imports it back (issue 12 Part A).

The graph is built with ``ast`` over btxh/**/*.py: absolute and relative imports, at module
level and inside functions (a function-level import is still a dependency), ``from pkg
import name`` counting as an import of ``pkg.name`` when that is a module, else of ``pkg``.
A package depends on its ``__init__``'s imports only; importing ``pkg.mod`` does not make
``pkg`` depend on ``mod``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "btxh"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _resolve(name: str, mods) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path, mods) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {_resolve(a.name, mods) for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module
            for a in node.names:
                full = f"{origin}.{a.name}"
                found.add(full if full in mods else _resolve(origin, mods))
    return {m for m in found if m and m != module and m.startswith("btxh")}


def graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: _imports(m, p, mods) for m, p in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("g,expected", [
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
], ids=["two-module-cycle", "chain-without-cycle", "three-module-cycle"])
def test_cycle_finder_finds_the_cycle_it_is_given(g, expected):
    assert cycles(g) == expected


def test_graph_sees_function_level_and_relative_imports():
    g = graph()
    assert "btxh.store" in g["btxh.migrations"] or "btxh.rules" in g["btxh.engines"]
    assert "btxh.payroll.registry" in g["btxh.decision_doc"]  # a function-level relative import


def test_no_module_imports_a_module_that_imports_it_back():
    assert cycles(graph()) == []


@pytest.mark.parametrize("forbidden", ["btxh.payroll", "btxh.reports.summary", "btxh.engines"],
                         ids=["payroll", "report-summary", "engines"])
def test_migrations_never_run_payroll_or_report_code(forbidden):
    assert not {m for m in graph()["btxh.migrations"] if m == forbidden or m.startswith(forbidden + ".")}
