"""Functions on traced values: exp, log, …, max, min and sum (chains, as in the language),
and the @function decorator that labels a Python function's nodes by call (neuron#2)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from typing import Any

from ..graph import Graph
from ..ops import FNS, FUNCTIONS, LEAVES, LITERAL, OP_INDEX, OPS
from .var import NUMBER_TYPES, TraceError, TraceGraph, Var, apply_op, as_float, current_graph, wrap


def _graph_of(args: Iterable[object]) -> TraceGraph | None:
    for x in args:
        if type(x) is Var:
            return x._g
    return None


def _node(g: TraceGraph, x: object) -> int:
    if type(x) is Var:
        if x._g is not g:
            raise TraceError("operands belong to different graphs (traced in different threads)")
        return x._i
    return g.add(LITERAL, value=as_float(x, "an operand"))


def unary(name: str) -> Callable[[object], Any]:
    """The traced function for op `name` (exp, log, …; also a user operator): on a Var it
    appends a node; on a plain number it computes the number."""
    code = OP_INDEX[name]
    fn = FNS[code]

    def apply(x: object) -> Any:
        if type(x) is Var:
            return apply_op(x._g, code, x._i)
        try:
            return fn(as_float(x, f"{name}'s argument"), 0.0, 0.0)
        except (ZeroDivisionError, OverflowError) as exc:
            raise ValueError(f"{name}: {exc}") from None

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"{name}(x): {OPS[code].doc or name}, traced on a Var."
    return apply


def binary(name: str) -> Callable[[object, object], Any]:
    code = OP_INDEX[name]
    fn = FNS[code]

    def apply(x: object, y: object) -> Any:
        g = _graph_of((x, y))
        if g is None:
            return fn(as_float(x, f"{name}'s first argument"), as_float(y, f"{name}'s second "
                                                                       "argument"), 0.0)
        a = _node(g, x)
        return apply_op(g, code, a, _node(g, y))

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"{name}(a, b): {OPS[code].doc or name}, traced on Vars."
    return apply


exp = unary("exp")
log = unary("log")
sqrt = unary("sqrt")
sin = unary("sin")
cos = unary("cos")
tan = unary("tan")
tanh = unary("tanh")
sigmoid = unary("sigmoid")
relu = unary("relu")


def abs(x: object) -> Any:  # noqa: A001  # the traced abs, as the language's abs(x)
    return x.__abs__() if type(x) is Var else builtins.abs(x)  # type: ignore[arg-type]


def pow(a: Any, b: Any) -> Any:  # noqa: A001
    """a ** b: a number exponent makes one powk node (x²), a Var exponent a pow node."""
    if type(a) is Var:
        return a.__pow__(b)
    if type(b) is Var:
        return b.__rpow__(a)
    return builtins.pow(a, b)


def _variadic(name: str, opname: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    code = OP_INDEX[opname]

    def apply(*args: Any, **kw: Any) -> Any:
        one = len(args) == 1 and not isinstance(args[0], (Var, *NUMBER_TYPES))
        items = list(args[0]) if one else list(args)  # an iterable, as the built-in takes
        g = _graph_of(items)
        if g is None or kw:
            if g is not None:
                raise TypeError(f"{name}() of traced values takes no keyword arguments")
            return fallback(items, **kw) if one else fallback(*items, **kw)
        if len(items) == 1:
            return items[0]
        # A chain of binary nodes, one call (sum#1, …) when it has more than one node, as
        # the language's sum(a, b, c) builds.
        first = len(g)
        acc = _node(g, items[0])
        for x in items[1:]:
            acc = apply_op(g, code, acc, _node(g, x))._i
        if len(items) > 2:
            _group(g, name, first)
        return wrap(g, acc)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = (f"{name}(a, b, …): traced on Vars as a chain of {opname} nodes; on plain "
                     f"numbers, the built-in {name}.")
    return apply


def _group(g: Graph, name: str, first: int) -> None:
    """Make the op nodes from `first` on that are in no call yet one call of `name`: after
    the call, so a nested call (made first) keeps its own nodes."""
    c = g.new_call(name, first)
    call_of, op = g.call_of, g.op
    for i in range(first, len(g)):
        if op[i] not in LEAVES and i not in call_of:
            call_of[i] = c


sum = _variadic("sum", "add", builtins.sum)  # noqa: A001
max = _variadic("max", "max", builtins.max)  # noqa: A001
min = _variadic("min", "min", builtins.min)  # noqa: A001


def function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A decorator: the nodes one call of fn creates are labelled as that call
    (neuron#2: tanh(…)), as a function of the language is."""
    name = getattr(fn, "__name__", "f")

    def call(*args: Any, **kw: Any) -> Any:
        g = _graph_of((*args, *kw.values())) or current_graph()
        first = len(g)
        out = fn(*args, **kw)
        if type(out) is Var and out._g is g and len(g) > first:
            _group(g, name, first)
        return out

    call.__name__, call.__qualname__, call.__doc__ = name, name, fn.__doc__
    call.__wrapped__ = fn  # type: ignore[attr-defined]
    return call


def user_function(name: str) -> Callable[..., Any]:
    """The traced callable for a registered operator (unary or binary)."""
    _, arity = FUNCTIONS[name]
    return unary(name) if arity == 1 else binary(name)
