"""Reading a learner's micrograd-style engine: walk its Value graph, map its op strings.

A micrograd-style Value has `data`, `grad`, `_prev` (its children: micrograd keeps a *set*,
so `a*a` lists `a` once) and `_op` (`'+'`, `'*'`, `'**2'`, `'ReLU'`, `'tanh'`, …), and a
`_backward` closure that pushes its gradient to its children. `walk` visits the graph
without recursion and rejects what cannot be a computation (a cycle, a non-numeric data);
`classify` maps an op string onto the op table, with the operand order recovered from the
values where a set lost it (a - b and b - a are both '-' over the same two children).
"""

from __future__ import annotations

import gc
import math
import numbers
from dataclasses import dataclass, field

from ..ops import FNS, OP_INDEX
from ..textutil import clip

MAX_NODES = 2_000_000
_UNARY = {"exp", "log", "tanh", "sigmoid", "sin", "cos", "tan", "sqrt", "abs", "relu", "neg"}
_ALIASES = {"relu": "relu", "negate": "neg", "ln": "log", "σ": "sigmoid"}


class EngineError(ValueError):
    """The learner's graph cannot be checked: the message says where and why."""


def attr(v: object, name: str) -> object:
    """v.name, with a learner's property that raises turned into an EngineError."""
    try:
        return getattr(v, name)
    except AttributeError:
        raise EngineError(f"{describe(v)} has no {name}: the checker reads micrograd-style "
                          "Values (data, grad, _prev, _op and _backward)") from None
    except Exception as exc:
        raise EngineError(f"reading {name} of {describe(v)} raised {type(exc).__name__}: "
                          f"{clip(str(exc), 80)}") from None


def describe(v: object) -> str:
    """A learner node in a message: its label, else its op and data."""
    try:
        label = getattr(v, "label", "")
        if isinstance(label, str) and label.strip():
            return f"'{clip(label, 30)}'"
        data = getattr(v, "data", "?")
        op = getattr(v, "_op", "")
        kind = f"op '{clip(str(op), 12)}'" if op else "a leaf"
        return f"{type(v).__name__}(data={clip(repr(data), 30)}, {kind})"
    except Exception:
        return f"a {type(v).__name__}"


def number(v: object) -> float:
    data = attr(v, "data")
    if type(data) is float or type(data) is int:  # the common case, without the ABC check
        return float(data)
    if isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise EngineError(f"{describe(v)} has data = {clip(repr(data), 40)} "
                          f"({type(data).__name__}): the checker needs a real number")
    return float(data)


@dataclass
class Walk:
    """The learner's graph in topological order (children first, the root last)."""

    nodes: list[object]
    children: list[list[int]]  # each node's distinct children (positions), as _prev lists them
    prev_len: list[int] = field(default_factory=list)


def _kids(v: object, parent: object) -> list[object] | tuple[object, ...]:
    """v's children as _prev lists them (a set, a tuple or a list)."""
    try:
        prev = v._prev  # type: ignore[attr-defined]
    except AttributeError:
        if parent is None:
            raise EngineError(f"{describe(v)} has no _prev: the checker reads micrograd-style "
                              "Values (data, grad, _prev, _op and _backward)") from None
        raise EngineError(f"{describe(parent)} lists {clip(repr(v), 40)} among its children "
                          "(_prev), which is not a Value") from None
    except Exception as exc:
        raise EngineError(f"reading _prev of {describe(v)} raised {type(exc).__name__}: "
                          f"{clip(str(exc), 80)}") from None
    if type(prev) is tuple:
        return prev
    try:
        return list(prev)
    except TypeError:
        raise EngineError(f"{describe(v)} has _prev = {clip(repr(prev), 40)}, which is not a "
                          "collection of Values") from None


def walk(root: object, limit: int = MAX_NODES) -> Walk:
    """Post-order DFS with an explicit stack (three parallel lists: no tuple per step), so a
    1e6-deep chain needs no recursion. A child found on the current path is a cycle,
    reported with the path. Data is not read here (check_engine reads it once)."""
    enabled = gc.isenabled()
    gc.disable()  # the learner's graph is all linked objects: a full collection walks it all
    try:
        return _walk(root, limit)
    finally:
        if enabled:
            gc.enable()


def _walk(root: object, limit: int) -> Walk:
    nodes: list[object] = []
    children: list[list[int]] = []
    prev_len: list[int] = []
    pos: dict[int, int] = {}  # id(node) -> position, once finished (nodes keeps it alive)
    path: set[int] = set()  # ids on the current path (the stack keeps them alive)
    sv: list[object] = [root]
    sk = [_kids(root, None)]
    si = [0]
    path.add(id(root))
    while sv:
        kids = sk[-1]
        k = si[-1]
        if k < len(kids):
            si[-1] = k + 1
            c = kids[k]
            cid = id(c)
            if cid in pos:
                continue
            if cid in path:
                at = next(j for j, x in enumerate(sv) if x is c)
                shown = [describe(x) for x in sv[at:at + 6]]
                raise EngineError("the Value graph has a cycle: " + " → ".join(shown)
                                  + (" → …" if len(sv) - at > 6 else "") + f" → {describe(c)}; "
                                  "arithmetic never builds one (was _prev set by hand?)")
            if len(pos) + len(sv) >= limit:
                raise EngineError(f"the Value graph has more than {limit:,} nodes; the checker "
                                  "stops there")
            path.add(cid)
            sk.append(_kids(c, sv[-1]))
            sv.append(c)
            si.append(0)
            continue
        v = sv.pop()
        sk.pop()
        si.pop()
        path.discard(id(v))
        pos[id(v)] = len(nodes)
        nodes.append(v)
        n = len(kids)
        if n == 1:
            children.append([pos[id(kids[0])]])
        elif n == 2:
            a, b = pos[id(kids[0])], pos[id(kids[1])]
            children.append([a] if a == b else [a, b])
        else:
            distinct: list[int] = []
            for c in kids:
                p = pos[id(c)]
                if p not in distinct:
                    distinct.append(p)
            children.append(distinct)
        prev_len.append(n)
    return Walk(nodes, children, prev_len)


@dataclass(frozen=True)
class Mapped:
    """A learner op on the op table: op code, operand positions (a, b; b may be -1 or
    repeat a), the literal exponent k, and what was inferred to get there."""

    code: int
    a: int
    b: int
    k: float = 0.0
    note: str = ""


def _close(x: float, y: float) -> bool:
    return x == y or (math.isfinite(x) and math.isfinite(y)
                      and abs(x - y) <= 1e-9 + 1e-9 * max(abs(x), abs(y)))


def _value(code: int, a: float, b: float, k: float) -> float:
    try:
        return FNS[code](a, b, k)
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan


def _ordered(code: int, kids: list[int], data: list[float], out: float) -> Mapped:
    """A non-commutative binary op over two children: the order that gives the node's data."""
    p, q = kids
    forward = _value(code, data[p], data[q], 0.0)
    backward = _value(code, data[q], data[p], 0.0)
    if _close(forward, out) or not _close(backward, out):
        return Mapped(code, p, q)
    return Mapped(code, q, p, note="operand order recovered from the values")


def classify(op: str, kids: list[int], data: list[float], out: float) -> Mapped | None:
    """The op table's reading of a learner's op string, or None (an unknown op)."""
    s = op.strip()
    n = len(kids)
    one = "_prev lists one child for two operands (a set): rebuilt with it in both slots"
    if n == 0 or n > 2:
        return None
    if s in ("+", "*"):
        code = OP_INDEX["add" if s == "+" else "mul"]
        return Mapped(code, kids[0], kids[-1], note=one if n == 1 else "")
    if s in ("-", "/"):
        code = OP_INDEX["sub" if s == "-" else "div"]
        if n == 2:
            return _ordered(code, kids, data, out)
        if s == "-" and not _close(out, 0.0):
            return Mapped(OP_INDEX["neg"], kids[0], -1)
        return Mapped(code, kids[0], kids[0], note=one)
    if s.startswith("**") or s.startswith("^"):
        tail = s[2:] if s.startswith("**") else s[1:]
        if tail and n == 1:
            try:
                k = float(tail)
            except ValueError:
                return None
            return Mapped(OP_INDEX["powk"], kids[0], -1, k) if math.isfinite(k) else None
        if not tail and n == 2:
            return _ordered(OP_INDEX["pow"], kids, data, out)
        return None
    word = _ALIASES.get(s.lower(), s.lower())
    if word in _UNARY and n == 1:
        return Mapped(OP_INDEX[word], kids[0], -1)
    if word in ("max", "min"):
        return Mapped(OP_INDEX[word], kids[0], kids[-1], note=one if n == 1 else "")
    return None
