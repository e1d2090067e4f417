"""The package's import structure: no cycles anywhere, and the core loads without a view."""

from __future__ import annotations

import subprocess
import sys

import grimp

CORE = ["ops", "graph", "language", "labels", "gradcheck", "symbolic", "compare", "events",
        "registry", "session", "replay", "dot", "commands", "textutil", "handout", "confine"]


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)
                                                    & modules))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_import_cycle_anywhere_in_the_package():
    graph = grimp.build_graph("backprop_tui", exclude_type_checking_imports=True)
    # A package's __init__ importing its own submodules is not a cycle between modules.
    modules = {m for m in graph.modules if m.startswith("backprop_tui.")}
    edges = {m: graph.find_modules_directly_imported_by(m) for m in modules}
    assert sum(len(v) for v in edges.values()) > 50  # the scan sees the package's imports
    cycles = _cycles(graph, modules - {m for m in modules if graph.find_children(m)})
    assert cycles == []


def test_the_cycle_finder_finds_a_cycle():
    class Fake:
        def find_modules_directly_imported_by(self, m: str) -> set[str]:
            return {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}[m]

    assert _cycles(Fake(), {"a", "b", "c", "d"}) == [["a", "b", "c"]]  # type: ignore[arg-type]


def test_the_core_imports_no_view_and_no_textual_or_rich():
    # (render_text may load: the public API in backprop_tui/__init__ prints check reports
    # with it; it imports rich only inside the :compare renderer.)
    code = ("import sys\n"
            + "".join(f"import backprop_tui.{m}\n" for m in CORE)
            + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') "
              "or m.startswith(('backprop_tui.tui', 'backprop_tui.headless')))\n"
              "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
