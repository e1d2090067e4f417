"""Finding the suspicious node in a big graph: :find (and /TEXT), :filter, :top, :sort,
:path. Each returns an event carrying node ids, for a view to list, keep in its node table
or highlight in its graph; the functions below are what the TUI's node table asks too.

Rankings use full forward and backward passes (stepping is untouched), cached until the
program, f or an input value changes; labels are computed once per graph size. Each query is
one pass over the graph (a sort: n log n), never recursive.
"""

from __future__ import annotations

import heapq
import math
import weakref
from dataclasses import dataclass
from typing import Literal, cast

from .. import gradcheck
from ..events import Event, Info
from ..events_search import Found, PathEvent, Sorted, SortKey, Top, TopRow
from ..graph import EvalError, Graph
from ..labels import label
from ..ops import OP_INDEX, OPS
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import clip
from .stepping import count_arg

FILTERS = ("fail", "kink", "nan", "in:", "op:")
SORT_KEYS: tuple[SortKey, ...] = ("grad", "value", "error", "op", "id")
_PATH_SHOWN = 12  # labels of a shortest path shown whole; longer ones are elided
PATHS_CAP = 10**18  # path counts saturate here (they grow exponentially with depth)
_LABEL_WIDTH = 60

_labels: weakref.WeakKeyDictionary[Graph, tuple[tuple[int, int], list[str]]] = \
    weakref.WeakKeyDictionary()
_passes: weakref.WeakKeyDictionary[Graph, tuple[tuple, Graph]] = weakref.WeakKeyDictionary()
# Per session: the last search (its text, the match :find alone went to) and the sort order.
_searches: weakref.WeakKeyDictionary[Session, tuple[str, int]] = weakref.WeakKeyDictionary()
_sorts: weakref.WeakKeyDictionary[Session, SortKey] = weakref.WeakKeyDictionary()
_orders: weakref.WeakKeyDictionary[Session, tuple[tuple, list[int]]] = weakref.WeakKeyDictionary()


def normalise(text: str) -> str:
    """Label text as typed: no spaces or product signs, ASCII minus, ^ for superscripts."""
    text = text.replace("**", "^")
    for ch in " \t*×·":
        text = text.replace(ch, "")
    return text.replace("−", "-").lower()


def _normalised_labels(g: Graph) -> list[str]:
    """Every node's label, normalised; extended as the graph grows (a node's label is
    fixed once its statement is complete), rebuilt when names were added."""
    key = (len(g), len(g.names))
    cached = _labels.get(g)
    if cached is not None and cached[0] == key:
        return cached[1]
    keep = cached[1] if cached is not None and cached[0][1] == key[1] and cached[0][0] <= key[0] else []
    out = keep + [normalise(label(g, i, _LABEL_WIDTH)) for i in range(len(keep), len(g))]
    _labels[g] = (key, out)
    return out


def full_passes(s: Session) -> Graph:
    """A scratch graph with complete forward and backward passes of f (raises EvalError);
    cached until the program, f or one of f's input values changes."""
    out = s.require_program()
    g = s.prog.graph
    key = (len(g), out, tuple(g.value[i] for _, i in s.inputs_of_f()))
    cached = _passes.get(g)
    if cached is not None and cached[0] == key:
        return cached[1]
    ref = gradcheck.reference(g, out)
    _passes[g] = (key, ref)
    return ref


# ------------------------------------------------------------------ queries
def find(s: Session, text: str) -> list[int]:
    """Nodes whose name or label contains text (spaces, product signs and case ignored),
    f's own nodes first, each group in creation order."""
    needle = normalise(text)
    if not needle:
        raise CommandError("what to find? e.g. :find tanh, :find w1 or /w1")
    g = s.prog.graph
    hits = {i for i, name in g.names.items() if needle in name.lower()}
    hits.update(i for i, lab in enumerate(_normalised_labels(g)) if needle in lab)
    return sorted(hits, key=lambda i: (not s.in_cone(i), i))


def filter_nodes(s: Session, what: str) -> list[int]:
    """The nodes of f's graph that failed the last check ('fail'), sit at a kink ('kink'),
    have a value or gradient that is not finite ('nan': full passes), use an operation
    ('op:NAME'), or belong to NODE's subexpression ('in:NODE': what it reads)."""
    g = s.prog.graph
    s.require_program()
    if what == "fail":
        if s.last_check is None:
            raise CommandError("no :check has run yet (or f or an input changed since): "
                               ":check all checks every node")
        return sorted(r.id for r in s.last_check.rows if r.verdict == "fail")
    nodes = s.nodes_of_f()
    if what in ("nan", "kink"):
        ref = full_passes(s)
        if what == "kink":
            return [i for i in nodes if not g.is_leaf(i) and ref.is_kink(i)]
        return [i for i in nodes if not math.isfinite(ref.value[i])
                or (g.takes_grad(i) and not math.isfinite(ref.grad[i]))]
    if what.startswith("op:"):
        name = what[3:]
        if name not in OP_INDEX or OPS[OP_INDEX[name]].arity == 0:
            ops = ", ".join(op.name for op in OPS if op.arity > 0)
            raise CommandError(f"unknown operation '{clip(name)}'; operations are {ops}")
        code = OP_INDEX[name]
        return [i for i in nodes if g.op[i] == code]
    if what.startswith("in:"):
        if not what[3:]:
            raise CommandError("in: needs a node, e.g. :filter in:h1 (a named subexpression)")
        root = s.resolve(what[3:])
        mark = g.cone(root)
        return [i for i in range(len(mark)) if mark[i]]
    raise CommandError(f"unknown filter '{clip(what)}': expected fail, kink, nan, op:NAME or "
                       "in:NODE")


def _keyed(s: Session, key: SortKey) -> list[tuple[int, float]]:
    g = s.prog.graph
    if key == "error":
        if s.last_check is None or s.last_check.order != 1:
            raise CommandError("no :check has run yet (or f or an input changed since): "
                               ":check all checks every node")
        return [(r.id, r.abs_err) for r in s.last_check.rows]
    ref = full_passes(s)
    if key == "grad":
        return [(i, abs(ref.grad[i])) for i in s.nodes_of_f() if g.takes_grad(i)]
    return [(i, abs(ref.value[i])) for i in s.nodes_of_f()]


def _largest(p: tuple[int, float]) -> float:
    return math.inf if p[1] != p[1] else p[1]  # nan first: it is what one looks for


def ranked(s: Session, key: SortKey, n: int | None = None) -> tuple[list[tuple[int, float]], int]:
    """((node, key) largest first: the n first, or all; how many were ranked). 'op' and
    'id' order by operation name or creation (key nan)."""
    if key in ("op", "id"):
        g = s.prog.graph
        ids = s.nodes_of_f()
        if key == "op":
            ids.sort(key=lambda i: (OPS[g.op[i]].name, i))
        return [(i, math.nan) for i in (ids if n is None else ids[:n])], len(ids)
    pairs = _keyed(s, key)
    if n is None:
        return sorted(pairs, key=_largest, reverse=True), len(pairs)
    return heapq.nlargest(n, pairs, key=_largest), len(pairs)


def table_order(s: Session, key: SortKey) -> list[int]:
    """Every node of the program in `key` order (f's nodes that have the key first, the
    rest after them in creation order): what the node table shows when sorted. Cached
    until the program, f, an input or the check changes: :sort computes it (in the TUI's
    worker on a big graph), so the table's redraw on the UI thread finds it ready."""
    g = s.prog.graph
    if key == "id":
        return list(range(len(g)))
    state = (len(g), s.output, id(s.last_check), key,
             tuple(g.value[i] for _, i in s.inputs_of_f()))
    cached = _orders.get(s)
    if cached is not None and cached[0] == state:
        return cached[1]
    first = [i for i, _ in ranked(s, key)[0]]
    seen = bytearray(len(g))
    for i in first:
        seen[i] = 1
    order = first + [i for i in range(len(g)) if not seen[i]]
    _orders[s] = (state, order)
    return order


@dataclass(frozen=True)
class Paths:
    """The nodes on some path from source to target (both included), the number of
    distinct paths (an edge counts once per operand slot: x·x reaches x twice; saturating
    at PATHS_CAP), and one shortest path, source first."""

    source: int
    target: int
    nodes: list[int]
    count: int
    shortest: list[int]


def paths(s: Session, source: int, target: int) -> Paths:
    """One forward sweep from source over target's cone."""
    g = s.prog.graph
    if source > target:
        return Paths(source, target, [], 0, [])
    up = g.cone(target)
    a, b = g.a, g.b
    count = {source: 1}
    dist = {source: 0}
    nodes = [source]
    for i in range(source + 1, target + 1):
        if not up[i] or g.is_leaf(i):
            continue
        ways = count.get(a[i], 0) + (count.get(b[i], 0) if b[i] >= 0 else 0)
        if ways:
            count[i] = min(ways, PATHS_CAP)
            dist[i] = 1 + min(dist[j] for j in (a[i], b[i]) if j in dist)
            nodes.append(i)
    if target not in count:
        return Paths(source, target, [], 0, [])
    path = [target]
    while path[-1] != source:
        i = path[-1]
        path.append(min((j for j in (a[i], b[i]) if j in dist), key=dist.__getitem__))
    return Paths(source, target, nodes, count[target], path[::-1])


# ------------------------------------------------------------------ commands
def found(s: Session, what: Literal["find", "filter"], query: str, ids: list[int]) -> Found:
    g = s.prog.graph
    return Found(what, query, ids, [label(g, i, 40) for i in ids[: Found.SHOWN]])


def _rows(s: Session, pairs: list[tuple[int, float]]) -> list[TopRow]:
    g = s.prog.graph
    ref = full_passes(s)
    return [TopRow(i, label(g, i), OPS[g.op[i]].name, ref.value[i],
                   ref.grad[i] if g.takes_grad(i) else None, key) for i, key in pairs]


@command("find", ":find [TEXT]", "Nodes whose name or label contains TEXT (spaces, product "
         "signs and case ignored), f's own first: :find tanh, :find w1. A line /TEXT does the "
         "same; the TUI's node table goes to the first match. :find alone (Ctrl+G) goes to the "
         "next match.",
         args=(Arg("text"),), raw=True)
def _cmd_find(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    text = args[0].strip() if args else ""
    if not text:
        return [_next_match(s)]
    ids = find(s, text)
    _searches[s] = (text, 0)
    return [found(s, "find", clip(text, 40), ids)]


def _next_match(s: Session) -> Event:
    last = _searches.get(s)
    if last is None:
        return Info("find: type /TEXT (or :find TEXT) and Enter: the nodes whose label or name "
                    "contains TEXT; then :find alone (Ctrl+G in the TUI) goes to the next match")
    text, k = last
    ids = find(s, text)  # again: the graph may have grown since
    if not ids:
        return found(s, "find", clip(text, 40), [])
    k = (k + 1) % len(ids)
    _searches[s] = (text, k)
    return Found("find", clip(text, 40), [ids[k]], [label(s.prog.graph, ids[k], 40)], k, len(ids))


@command("filter", ":filter fail|kink|nan|op:NAME|in:NODE|off", "Keep the nodes of f's graph "
         "that failed the last :check, sit at a kink, have a value or gradient that is not "
         "finite (full passes), use an operation, or belong to NODE's subexpression (in:h1); "
         "the TUI's node table shows only them until :filter off.",
         args=(Arg("word", choices=("fail", "kink", "nan", "off",
                                    *(f"op:{op.name}" for op in OPS if op.arity > 0), "in:")),))
def _cmd_filter(s: Session, args: list[str]) -> list[Event]:
    if len(args) != 1:
        raise CommandError("usage: :filter fail|kink|nan|op:NAME|in:NODE|off")
    if args[0] == "off":
        return [Found("filter", "off", [], [])]
    try:
        ids = filter_nodes(s, args[0])
    except EvalError as err:
        return [s.eval_error(err)]
    return [found(s, "filter", clip(args[0], 60), ids)]


@command("top", ":top [N] grad|value|error", "The N nodes (default 10) with the largest "
         "|∂f/∂node| or |value| from full passes (stepping is untouched), or the largest "
         "finite-difference error of the last :check; nan and inf come first.",
         args=(Arg("count"), Arg("word", choices=("grad", "value", "error"))))
def _cmd_top(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    words = list(args)
    n = 10
    if words and words[0].lstrip("-").isdigit():
        n = count_arg(words[:1])
        words = words[1:]
    if len(words) != 1 or words[0] not in ("grad", "value", "error"):
        raise CommandError("usage: :top [N] grad|value|error (e.g. :top 10 grad)")
    what = cast(SortKey, words[0])
    try:
        pairs, total = ranked(s, what, n)
        return [Top(what, _rows(s, pairs), total)]
    except EvalError as err:
        return [s.eval_error(err)]


@command("sort", ":sort [grad|value|error|op|id]", "Order f's nodes by |∂f/∂node| or |value| "
         "(full passes), the last check's error, the operation, or creation (id, the default): "
         "the first rows here, and the TUI's node table in that order. :sort alone (Ctrl+S) "
         "takes the next order.",
         args=(Arg("word", choices=SORT_KEYS),))
def _cmd_sort(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    if len(args) > 1 or args and args[0] not in SORT_KEYS:
        raise CommandError("usage: :sort [grad|value|error|op|id]")
    if args:
        key = cast(SortKey, args[0])
    else:  # the next order; by error only once a check has run
        keys = [k for k in SORT_KEYS if k != "error" or s.last_check is not None]
        now = _sorts.get(s, "id")
        key = keys[(keys.index(now) + 1) % len(keys)] if now in keys else "grad"
    try:
        table_order(s, key)  # the whole order, cached for a view's table
        pairs, total = ranked(s, key, Sorted.SHOWN)
        ev = Sorted(key, _rows(s, pairs), total)
    except EvalError as err:
        return [s.eval_error(err)]
    _sorts[s] = key
    return [ev]


@command("path", ":path NODE [NODE2]", "The paths from NODE (an input, say) to f, or to NODE2: "
         "how many nodes lie on them, how many paths there are, and a shortest one; the TUI's "
         "graph highlights them.",
         args=(Arg("node"), Arg("node")))
def _cmd_path(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    if not args or len(args) > 2:
        raise CommandError("usage: :path NODE [NODE2] (e.g. :path x)")
    source = s.resolve(args[0])
    target = s.resolve(args[1]) if len(args) == 2 else out
    p = paths(s, source, target)
    g = s.prog.graph
    shown = p.shortest
    labels = [label(g, i, 30) for i in shown] if len(shown) <= _PATH_SHOWN else (
        [label(g, i, 30) for i in shown[:6]] + [f"… {len(shown) - 11:,} nodes …"]
        + [label(g, i, 30) for i in shown[-5:]])
    return [PathEvent(source, label(g, source, 40), target, label(g, target, 40), p.nodes, p.count,
                      p.shortest, labels)]
