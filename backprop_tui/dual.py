"""Forward-mode AD in full passes: dual numbers over the flat arrays.

A tangent pass carries, beside each node's value v, its tangent v̇ = Σ ∂v/∂u · u̇ over the
node's operands u: the directional derivative along the seed (ẋ = 1 for one input x, 0
for the others, or any vector of input tangents). One pass gives ∂f/∂x for one x, so all n
partials take n passes, where reverse mode takes one forward and one backward pass.

A zero tangent contributes nothing, even against an infinite or undefined local
derivative (pow's ∂/∂b at a negative base, sqrt′(0)): the operand does not depend on the
seed. Constants and literals have tangent 0.
"""

from __future__ import annotations

from .graph import EvalError, Graph
from .ops import LITERAL, OP_INDEX, OPS

_FNS = tuple(op.fn for op in OPS)
_DERIVS = tuple(op.deriv for op in OPS)
# add and mul are inlined, as in Graph.forward (tests/commands/test_derivs.py checks the inlined
# rules against the table).
_ADD, _MUL = OP_INDEX["add"], OP_INDEX["mul"]
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)

Seed = int | dict[int, float]


def _seeded(n: int, seed: Seed) -> list[float]:
    t = [0.0] * n
    for j, w in ({seed: 1.0} if isinstance(seed, int) else seed).items():
        t[j] = w
    return t


def dual_pass(g: Graph, output: int, seed: Seed) -> list[float]:
    """One forward-mode pass up to `output`: every value (written into g.value, as
    Graph.forward does) together with its tangent, returned. `seed` is an input (ẋ = 1)
    or {input: ẋ}. Raises EvalError (an off-cone node that fails is evaluated around, as
    gradcheck.reference does)."""
    op, a, b, k, v = g.op, g.a, g.b, g.k, g.value
    t = _seeded(len(op), seed)
    fns, derivs = _FNS, _DERIVS
    add, mul, leaf = _ADD, _MUL, LITERAL
    i = 0
    try:
        for i in range(output + 1):
            o = op[i]
            if o == mul:
                ai = a[i]
                bi = b[i]
                x = v[ai]
                y = v[bi]
                v[i] = x * y
                ta = t[ai]
                tb = t[bi]
                t[i] = (ta * y if ta else 0.0) + (x * tb if tb else 0.0)
            elif o == add:
                ai = a[i]
                bi = b[i]
                v[i] = v[ai] + v[bi]
                t[i] = t[ai] + t[bi]
            elif o > leaf:
                ai = a[i]
                bi = b[i]
                x = v[ai]
                y = v[bi]  # v[-1] for a unary op: ignored by its rules
                vi = v[i] = fns[o](x, y, k[i])
                ta = t[ai]
                tb = t[bi] if bi >= 0 else 0.0
                if ta or tb:
                    d = derivs[o](x, y, k[i], vi)
                    t[i] = (d[0] * ta if ta else 0.0) + (d[1] * tb if tb else 0.0)
                else:
                    t[i] = 0.0
    except _MATH_ERRORS:
        cone = g.cone(output)
        if cone[i]:
            g.eval_node(i)  # raises the EvalError that names the node and its operands
            raise EvalError(i, f"the derivative of {OPS[op[i]].name} failed") from None
        return _cone_pass(g, output, t, cone)
    return t


def _cone_pass(g: Graph, output: int, t: list[float], cone: bytearray) -> list[float]:
    """The same pass over output's cone only (an earlier, unrelated statement fails)."""
    v = g.value
    for i in range(output + 1):
        if cone[i] and not g.is_leaf(i):
            v[i] = g.eval_node(i)
            t[i] = node_tangent(g, i, t)
    return t


def node_tangent(g: Graph, i: int, t: list[float]) -> float:
    """v̇ᵢ = Σ ∂vᵢ/∂u · u̇ over node i's operands, at the stored values (the rule the
    stepped forward mode shows term by term)."""
    total = 0.0
    ops = g.operands(i)
    derivs = None
    for slot, j in enumerate(ops):
        tj = t[j]
        if tj:
            if derivs is None:
                derivs = g.local_derivs(i)
            total += derivs[slot] * tj
    return total


def tangent_sweep(g: Graph, output: int, seed: Seed) -> list[float]:
    """Tangents only, from the values already in g.value (a full forward pass done): the
    second half of a dual pass, for repeated passes over the same point."""
    op, a, b, k, v = g.op, g.a, g.b, g.k, g.value
    t = _seeded(len(op), seed)
    derivs = _DERIVS
    add, mul, leaf = _ADD, _MUL, LITERAL
    for i in range(output + 1):
        o = op[i]
        if o == mul:
            ta = t[a[i]]
            tb = t[b[i]]
            t[i] = (ta * v[b[i]] if ta else 0.0) + (v[a[i]] * tb if tb else 0.0)
        elif o == add:
            t[i] = t[a[i]] + t[b[i]]
        elif o > leaf:
            ai = a[i]
            bi = b[i]
            ta = t[ai]
            tb = t[bi] if bi >= 0 else 0.0
            if ta or tb:
                d = derivs[o](v[ai], v[bi], k[i], v[i])
                t[i] = (d[0] * ta if ta else 0.0) + (d[1] * tb if tb else 0.0)
    return t
