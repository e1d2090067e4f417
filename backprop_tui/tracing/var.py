"""The Python tracing API: build the graph the language builds by running Python code.

    x = Var(2, "x"); y = Var(3, "y")
    f = x**2 + 3*x*y + 1        # nodes are appended as Python evaluates: no parse
    f.backward(); x.grad        # 13.0

Every operation appends one node to a flat Graph (the same op table, the same node order
and labels as the language: `3*x` is a literal 3 then a product, `x**2` one powk node) and
computes its value at once, as micrograd does. All Vars alive in a thread share one graph;
when none is left alive, the next Var starts a new one.

A traced value is not a number: Python's `float()`, `if v > 0:` and `math.sin(v)` raise
NotANumber, which says to use backprop_tui's functions. The graph records operations, not
control flow, so a branch is fixed when the function is traced.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from ..graph import EvalError, Graph
from ..labels import fmt_val, label
from ..ops import CONST, INPUT, LITERAL, OP_INDEX

_ADD, _SUB, _MUL, _DIV = OP_INDEX["add"], OP_INDEX["sub"], OP_INDEX["mul"], OP_INDEX["div"]
_NEG, _POWK, _POW, _ABS = OP_INDEX["neg"], OP_INDEX["powk"], OP_INDEX["pow"], OP_INDEX["abs"]
_MAX_NAME = 256
NUMBER_TYPES = (int, float)


class TraceError(ValueError):
    """An operation failed while tracing (outside its domain): which, and why."""


class NotANumber(TypeError):
    """A traced value was used where Python needs a plain number."""


def _not_a_number(v: Var, what: str) -> NotANumber:
    return NotANumber(
        f"{what}: {v.name} is a traced value (backprop_tui.Var), not a number. Build the "
        "graph with backprop_tui's functions (backprop_tui.sin, exp, log, max, relu, …) "
        "instead of math's or the built-ins, and read a number with .value. Control flow "
        "is fixed at trace time: an if or a comparison on a traced value cannot be "
        "recorded in the graph (for a branch, use max, min, relu or abs).")


class TraceGraph(Graph):
    """A Graph being traced: counts unnamed inputs (v1, v2, …)."""

    def __init__(self) -> None:
        super().__init__()
        self.unnamed = 0
        self.grad_of: int | None = None  # the node the last backward() differentiated
        self.source.add("", "<traced in Python>")


_local = threading.local()


def current_graph() -> TraceGraph:
    ref = getattr(_local, "graph", None)
    g = ref() if ref is not None else None
    if g is None:
        g = TraceGraph()
        _local.graph = weakref.ref(g)
    return g


def as_float(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, NUMBER_TYPES):
        if hasattr(x, "__float__") and not isinstance(x, (str, bytes, complex)):
            try:
                return float(x)  # numpy scalars, Fraction, Decimal
            except (TypeError, ValueError):
                pass
        raise TypeError(f"{what} must be a number, not {type(x).__name__}")
    return float(x)


def _name(name: object, default: Callable[[], str]) -> str:
    if name is None:
        return default()
    if not isinstance(name, str) or not name.strip():
        raise TypeError("a name must be a non-empty string")
    if len(name) > _MAX_NAME or not name.isprintable():
        raise ValueError(f"a name is printable and at most {_MAX_NAME} characters")
    return name


def wrap(g: TraceGraph, i: int) -> Var:
    v = Var.__new__(Var)
    v._g = g
    v._i = i
    return v


class Var:
    """A traced scalar: Var(value, name) is an input (a differentiable leaf)."""

    __slots__ = ("_g", "_i", "__weakref__")
    _g: TraceGraph
    _i: int

    def __init__(self, value: float, name: str | None = None) -> None:
        g = current_graph()
        x = as_float(value, "a Var's value")

        def auto() -> str:
            g.unnamed += 1
            return f"v{g.unnamed}"

        self._g = g
        self._i = g.add(INPUT, value=x)
        g.names[self._i] = _name(name, auto)

    # -- reading --
    @property
    def value(self) -> float:
        return self._g.value[self._i]

    @property
    def grad(self) -> float:
        """∂f/∂self for the f of the last f.backward() on this graph (0 before one)."""
        g = self._g
        return g.grad[self._i] if g.takes_grad(self._i) else 0.0

    @property
    def name(self) -> str:
        """Its label: a Var's name, or an intermediate's expression (x²+3xy+1)."""
        return label(self._g, self._i)

    @property
    def node(self) -> int:
        """Its node id in the graph (#id in a session)."""
        return self._i

    @property
    def graph(self) -> Graph:
        return self._g

    def backward(self) -> None:
        """Gradients of self with respect to every node, from scratch (calling it twice
        gives the same gradients)."""
        g = self._g
        try:
            g.backward(self._i)
        except EvalError as err:
            raise TraceError(f"{label(g, err.node)}: {err.message}") from None
        g.grad_of = self._i

    def __repr__(self) -> str:
        g = self._g
        kind = "const" if g.op[self._i] in (CONST, LITERAL) else "Var"
        grad = f", grad={fmt_val(self.grad)}" if g.grad_of is not None and kind == "Var" else ""
        return f"{kind}({self.name} = {fmt_val(self.value)}{grad})"

    # -- arithmetic: one node per operation, numbers on either side --
    def _operand(self, other: object) -> int:
        if type(other) is Var:
            if other._g is not self._g:
                raise TraceError(f"{self.name} and {other.name} belong to different graphs "
                                 "(traced in different threads); trace a function in one thread")
            return other._i
        return self._g.add(LITERAL, value=as_float(other, "an operand"))

    def __add__(self, other: object) -> Var:
        g = self._g
        j = self._operand(other)
        v = g.value
        return wrap(g, g.add(_ADD, self._i, j, value=v[self._i] + v[j]))

    def __radd__(self, other: object) -> Var:
        g = self._g
        j = self._operand(other)
        v = g.value
        return wrap(g, g.add(_ADD, j, self._i, value=v[j] + v[self._i]))

    def __mul__(self, other: object) -> Var:
        g = self._g
        j = self._operand(other)
        v = g.value
        return wrap(g, g.add(_MUL, self._i, j, value=v[self._i] * v[j]))

    def __rmul__(self, other: object) -> Var:
        g = self._g
        j = self._operand(other)
        v = g.value
        return wrap(g, g.add(_MUL, j, self._i, value=v[j] * v[self._i]))

    def __sub__(self, other: object) -> Var:
        return apply_op(self._g, _SUB, self._i, self._operand(other))

    def __rsub__(self, other: object) -> Var:
        return apply_op(self._g, _SUB, self._operand(other), self._i)

    def __truediv__(self, other: object) -> Var:
        return apply_op(self._g, _DIV, self._i, self._operand(other))

    def __rtruediv__(self, other: object) -> Var:
        return apply_op(self._g, _DIV, self._operand(other), self._i)

    def __pow__(self, other: object) -> Var:
        if type(other) is Var:
            return apply_op(self._g, _POW, self._i, self._operand(other))
        # A number exponent is baked into one node, as x^2 in the language.
        return apply_op(self._g, _POWK, self._i, -1, as_float(other, "an exponent"))

    def __rpow__(self, other: object) -> Var:
        return apply_op(self._g, _POW, self._operand(other), self._i)

    def __neg__(self) -> Var:
        return apply_op(self._g, _NEG, self._i)

    def __pos__(self) -> Var:
        return self

    def __abs__(self) -> Var:
        return apply_op(self._g, _ABS, self._i)

    # -- not a number --
    def __float__(self) -> float:
        raise _not_a_number(self, "float() or a math function")

    def __int__(self) -> int:
        raise _not_a_number(self, "int()")

    def __index__(self) -> int:
        raise _not_a_number(self, "an index")

    def __complex__(self) -> complex:
        raise _not_a_number(self, "complex()")

    def __round__(self, ndigits: int | None = None) -> Any:
        raise _not_a_number(self, "round()")

    def __trunc__(self) -> int:
        raise _not_a_number(self, "math.trunc()")

    def __floor__(self) -> int:
        raise _not_a_number(self, "math.floor()")

    def __ceil__(self) -> int:
        raise _not_a_number(self, "math.ceil()")

    def __bool__(self) -> bool:
        raise _not_a_number(self, "if/while/and/or")

    def __lt__(self, other: object) -> bool:
        raise _not_a_number(self, "a comparison (<)")

    def __le__(self, other: object) -> bool:
        raise _not_a_number(self, "a comparison (<=)")

    def __gt__(self, other: object) -> bool:
        raise _not_a_number(self, "a comparison (>)")

    def __ge__(self, other: object) -> bool:
        raise _not_a_number(self, "a comparison (>=)")


def apply_op(g: TraceGraph, code: int, a: int, b: int = -1, k: float = 0.0) -> Var:
    """Append node (code, a, b, k) and evaluate it; a domain error removes it and raises."""
    i = g.add(code, a, b, k)
    try:
        g.value[i] = g.eval_node(i)
    except EvalError as err:
        where = label(g, i)
        g.truncate(i)
        raise TraceError(f"{where}: {err.message}") from None
    return wrap(g, i)


def const(value: float, name: str | None = None) -> Var:
    """A constant: no gradient, and the finite-difference check never perturbs it. Named,
    it shows as its name; unnamed, as its number (a literal)."""
    g = current_graph()
    x = as_float(value, "a constant's value")
    if name is None:
        return wrap(g, g.add(LITERAL, value=x))
    i = g.add(CONST, value=x)
    g.names[i] = _name(name, str)
    return wrap(g, i)
