"""A traced function as a Program: f's cone copied into a graph that a session can step."""

from __future__ import annotations

import builtins

from ..graph import Graph
from ..language import Program
from .var import Var


def cone_graph(g: Graph, out: int) -> tuple[Graph, dict[int, int]]:
    """f's cone as a new graph (renumbered, values, names and calls kept): a session can
    step it without touching the traced graph's values."""
    mark = g.cone(out)
    sub = Graph()
    sub.source.add("", "<traced in Python>")
    idx: dict[int, int] = {}
    op, a, b, k, value, names, call_of = g.op, g.a, g.b, g.k, g.value, g.names, g.call_of
    calls: dict[int, int] = {}
    for i in range(out + 1):
        if not mark[i]:
            continue
        ai, bi = a[i], b[i]
        j = sub.add(op[i], idx[ai] if ai >= 0 else -1, idx[bi] if bi >= 0 else -1, k[i],
                    value[i])
        idx[i] = j
        name = names.get(i)
        if name is not None:
            sub.names[j] = name
        c = call_of.get(i)
        if c is not None:
            if c not in calls:
                calls[c] = len(sub.calls)
                cname, ordinal, _ = g.calls[c]
                sub.calls.append((cname, ordinal, j))
                sub.call_counts[cname] = builtins.max(sub.call_counts.get(cname, 0), ordinal)
            sub.call_of[j] = calls[c]
    return sub, idx


def program_of(v: Var) -> Program:
    """A Program on v's cone, v its output; inputs and named constants bound by name."""
    sub, idx = cone_graph(v._g, v._i)
    return Program.from_graph(sub, idx[v._i])
