"""Every op of the op table at the edges of float64 (issue 16, item 1 and its class).

Table-driven: the test iterates over OPS, so a new op inherits it. For each op and every
operand (a, b and the literal exponent k) at ±0, ±1, ±inf, nan, denormals, ±1e308 and just
outside each op's domain, the contract of ops.py holds:

- ``fn`` returns a float or raises one of the math errors the graph turns into EvalError;
- ``domain`` returns None or raises DomainError (never ValueError from its own arithmetic);
- ``deriv`` and ``kink`` are total: they return, whatever the operands;
- through the graph (``eval_node``, ``forward``, ``backward``, a finite-difference check and
  a stepping session) the only exception is EvalError, with a message that names the op.
"""

from __future__ import annotations

import itertools
import math

import pytest

from backprop_tui import gradcheck
from backprop_tui.graph import EvalError, Graph
from backprop_tui.language import Program
from backprop_tui.ops import INPUT, OPS, DomainError
from backprop_tui.session import Session

TINY = 5e-324  # the smallest denormal
SUBNORMAL = 2.2250738585072014e-308 / 2
EDGES = [0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, TINY, -TINY, SUBNORMAL,
         -SUBNORMAL, 1e308, -1e308]
# Just outside (and on the edge of) each op's domain: log and sqrt below 0, 0 to a negative
# power, a negative base to a non-integer power, tan at π/2, sin/cos/tan of inf, an integer
# power that overflows.
OUTSIDE = [-1e-300, 0.5, -0.5, 2.0, 3.0, -3.0, math.pi / 2, -math.pi / 2, 1e300, 710.0, -745.0]
VALUES = EDGES + OUTSIDE
MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
OP_NODES = [op for op in OPS if op.arity > 0]


def _readable(message: str) -> bool:
    """An error message of ours, not Python's ("math domain error", "float division")."""
    return bool(message) and not any(t in message for t in ("math domain", "math range",
                                                              "float division", "convert float"))


def operands(op):
    """(a, b, k) triples: every value for each operand the op reads."""
    bs = VALUES if op.arity == 2 else [0.0]
    ks = VALUES if op.kind == "powk" else [0.0]
    return list(itertools.product(VALUES, bs, ks))


def ids(op):
    return op.name


@pytest.mark.parametrize("op", OP_NODES, ids=ids)
def test_every_op_rule_is_total_or_raises_its_documented_error(op):
    for a, b, k in operands(op):
        where = f"{op.name}(a={a!r}, b={b!r}, k={k!r})"
        try:
            out = op.fn(a, b, k)
        except MATH_ERRORS:
            out = math.nan
        else:
            assert isinstance(out, float), where
        if op.domain is not None:
            try:
                op.domain(a, b, k)
            except DomainError as err:
                assert str(err) and "math domain error" not in str(err), where
        d = op.deriv(a, b, k, out)
        assert len(d) == op.arity and all(isinstance(x, float) for x in d), where
        if op.kink is not None:
            assert op.kink(a, b, k) in (True, False), where


def _graph(op, a, b, k):
    g = Graph()
    g.source.add("x")
    x = g.add(INPUT, value=a)
    y = g.add(INPUT, value=b)
    out = g.add(OPS.index(op), x, y if op.arity == 2 else -1, k)
    g.names.update({x: "x", y: "y"})
    return g, out


@pytest.mark.parametrize("op", OP_NODES, ids=ids)
def test_every_op_through_the_graph_raises_only_evalerror(op):
    for a, b, k in operands(op):
        where = f"{op.name}(a={a!r}, b={b!r}, k={k!r})"
        g, out = _graph(op, a, b, k)
        try:
            g.eval_node(out)
        except EvalError as err:
            assert err.node == out and _readable(err.message), where
            with pytest.raises(EvalError):
                g.forward()
            continue
        g.forward()
        g.backward(out)  # never raises: the derivatives are total
        g.local_derivs(out)
        g.is_kink(out)


@pytest.mark.parametrize("op", OP_NODES, ids=ids)
def test_finite_difference_checks_at_the_edges_never_raise(op):
    """A perturbation that leaves the domain (tan near π/2, log near 0, h = 1e308 pushing a
    value to inf) gives a nan estimate, never an exception."""
    for a, b, k in operands(op)[:: 7 if op.arity == 2 or op.kind == "powk" else 1]:
        g, out = _graph(op, a, b, k)
        try:
            g.eval_node(out)
        except EvalError:
            continue
        for mode, h in (("central", None), ("forward", 1e308), ("central", 1e308)):
            rows, _, _ = gradcheck.check(g, out, [0, 1] if op.arity == 2 else [0], mode, h)
            assert all(r.verdict in ("pass", "fail", "kink") for r in rows)


def test_tan_of_inf_is_a_domain_error_like_sin():
    """Regression (issue 16, item 1): _tan_domain called math.cos(inf) inside the error path:
    `internal error: ValueError: math domain error`, exit 2, the rest of the run dropped."""
    s = Session()
    for text, want in (("tan(1e308*10)", "tan is undefined at inf"),
                       ("sin(1e308*10)", "sin is undefined at inf")):
        (ev,) = [e for e in s.run_line(text) if e.kind == "error"]
        assert want in ev.message


def test_tan_check_with_a_huge_h():
    """Regression: `x = 1e308; tan(x); :check h=1e308` raised from the error path."""
    s = Session()
    s.run_line("x = 1e308; tan(x)")
    (ev,) = s.run_line(":check h=1e308")
    assert ev.kind == "check" and ev.rows[0].verdict == "fail" and math.isnan(ev.rows[0].numeric)
    assert s.run_line("x^2")[0].kind == "statement"  # the session carries on


@pytest.mark.parametrize("op", OP_NODES, ids=ids)
def test_stepping_an_op_at_the_edges_never_raises(op):
    """The stepping session evaluates and differentiates node by node (not the passes)."""
    for a, b, k in operands(op)[:: 5 if op.arity == 2 or op.kind == "powk" else 1]:
        g, out = _graph(op, a, b, k)
        prog = Program()
        prog.graph = g
        prog.bindings = {"x": 0, "y": 1}
        prog.output = out
        s = Session(prog)
        events = s.step(10)
        assert all(e.kind != "error" or _readable(e.message) for e in events)
