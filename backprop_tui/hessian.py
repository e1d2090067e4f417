"""Second order: Hessian-vector products by forward-over-reverse, the Hessian, its check.

H·u is the tangent of the gradient along u. A dual pass (dual.py) gives every value and
its tangent v̇ along u; the backward pass then carries, beside each adjoint ḡ = ∂f/∂v, its
tangent ġ. For node i, operand j and local derivative dⱼ = ∂vᵢ/∂vⱼ:

    ḡⱼ += ḡᵢ·dⱼ        ġⱼ += ġᵢ·dⱼ + ḡᵢ·ḋⱼ,   ḋⱼ = Σₘ ∂²vᵢ/∂vⱼ∂vₘ · v̇ₘ

with the second derivatives from the op table (Op.d2). At the inputs, ġ = H·u. One product
costs a dual pass and a backward pass with about twice the arithmetic, whatever the number
of inputs n; the Hessian's n columns cost n products.

The check compares H with finite differences of the gradient (torch's gradgradcheck idea):
column j ≈ (∇f(x + h·eⱼ) − ∇f(x − h·eⱼ)) / 2h, h = ∛ε·max(1, |xⱼ|), two full gradient
evaluations per input; pass when |a − n| ≤ 1e-6 + 1e-4·|n| (central) or 1e-4 + 1e-2·|n|
(forward differences of the gradient).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .dual import dual_pass
from .gradcheck import default_h, downstream, reference, scratch
from .graph import EvalError, Graph
from .ops import LITERAL, OP_INDEX, OPS
from .records import CheckMode, Verdict

# :hessian computes n products of n entries each: refuse beyond these (say :hvp instead).
MAX_HESSIAN_INPUTS = 100
MAX_HESSIAN_WORK = 5_000_000  # inputs × nodes in f's graph: 1–2 µs each, a few seconds
TOLERANCES2: dict[CheckMode, tuple[float, float]] = {"central": (1e-6, 1e-4),
                                                     "forward": (1e-4, 1e-2)}



def _no_d2(a: float, b: float, k: float, out: float) -> tuple[float, ...]:
    raise ValueError("no second derivatives in the op table")


_DERIVS = tuple(op.deriv for op in OPS)
_D2 = tuple(op.d2 or _no_d2 for op in OPS)
_KINKS = tuple(op.kink for op in OPS)
_ADD, _MUL = OP_INDEX["add"], OP_INDEX["mul"]
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


@dataclass
class Product:
    """The gradient and H·u over every node of the graph (indices are node ids)."""

    value: float  # f
    grad: list[float]
    hvp: list[float]
    kinks: list[int]  # nodes of f's graph at a kink: f is not twice differentiable there


def hvp(g: Graph, output: int, vector: dict[int, float]) -> Product:
    """∇f and H·u for the input tangents `vector` ({input: uᵢ}), on a scratch copy (the
    caller's values and gradients are untouched). Raises EvalError."""
    s = scratch(g)
    t = dual_pass(s, output, vector)
    op, a, b, k, v = s.op, s.a, s.b, s.k, s.value
    n = len(op)
    gr = [0.0] * n
    gd = [0.0] * n
    gr[output] = 1.0
    cone = bytearray(n)
    cone[output] = 1
    derivs, d2s, kinkfs = _DERIVS, _D2, _KINKS
    add, mul, leaf = _ADD, _MUL, LITERAL
    kinks = []
    i = output
    try:
        for i in range(output, -1, -1):
            if not cone[i]:
                continue
            o = op[i]
            if o <= leaf:
                continue
            gi = gr[i]
            gdi = gd[i]
            ai = a[i]
            bi = b[i]
            if o == mul:
                x = v[ai]
                y = v[bi]
                ta = t[ai]
                tb = t[bi]
                gr[ai] += gi * y
                gr[bi] += gi * x
                gd[ai] += gdi * y + (gi * tb if tb else 0.0)
                gd[bi] += gdi * x + (gi * ta if ta else 0.0)
                cone[ai] = cone[bi] = 1
            elif o == add:
                gr[ai] += gi
                gr[bi] += gi
                gd[ai] += gdi
                gd[bi] += gdi
                cone[ai] = cone[bi] = 1
            else:
                x = v[ai]
                y = v[bi] if bi >= 0 else 0.0
                d = derivs[o](x, y, k[i], v[i])
                h = d2s[o](x, y, k[i], v[i])
                ta = t[ai]
                kf = kinkfs[o]
                if kf is not None and kf(x, y, k[i]):
                    kinks.append(i)
                if bi < 0:
                    dda = h[0] * ta if ta else 0.0
                    gr[ai] += gi * d[0]
                    gd[ai] += gdi * d[0] + gi * dda
                    cone[ai] = 1
                else:
                    tb = t[bi]
                    dda = (h[0] * ta if ta else 0.0) + (h[1] * tb if tb else 0.0)
                    ddb = (h[1] * ta if ta else 0.0) + (h[2] * tb if tb else 0.0)
                    gr[ai] += gi * d[0]
                    gr[bi] += gi * d[1]
                    gd[ai] += gdi * d[0] + gi * dda
                    gd[bi] += gdi * d[1] + gi * ddb
                    cone[ai] = cone[bi] = 1
    except _MATH_ERRORS as exc:
        raise EvalError(i, f"the second derivative of {OPS[op[i]].name} failed ({exc})") from None
    return Product(v[output], gr, gd, kinks)


class Cancelled(Exception):
    """The caller's cancelled() said stop (the TUI's Esc during a long :hessian)."""


def hessian(g: Graph, output: int, inputs: list[int],
            cancelled: Callable[[], bool] | None = None) -> tuple[list[list[float]], list[int]]:
    """(H over `inputs`, kink nodes): column j is H·eⱼ, one product per input."""
    cols: list[list[float]] = []
    kinks: list[int] = []
    for j in inputs:
        if cancelled is not None and cancelled():
            raise Cancelled(f"cancelled after {len(cols)} of {len(inputs)} products")
        p = hvp(g, output, {j: 1.0})
        cols.append([p.hvp[i] for i in inputs])
        kinks = p.kinks
    return [[cols[c][r] for c in range(len(inputs))] for r in range(len(inputs))], kinks


def asymmetry(h: list[list[float]]) -> float:
    """max |Hᵢⱼ − Hⱼᵢ| / max(1, |Hᵢⱼ|): zero in exact arithmetic, rounding here."""
    n = len(h)
    worst = 0.0
    for r in range(n):
        for c in range(r + 1, n):
            worst = max(worst, abs(h[r][c] - h[c][r]) / max(1.0, abs(h[r][c])))
    return worst


@dataclass
class Row:
    """One Hessian entry ∂²f/∂(row)∂(col) against finite differences of the gradient."""

    row: int
    col: int  # the perturbed input
    analytic: float
    numeric: float
    abs_err: float
    rel_err: float
    h: float
    verdict: Verdict


def _gradient_at(ref: Graph, output: int, j: int, x: float) -> list[float]:
    s = scratch(ref)
    s.value[j] = x
    try:
        return reference(s, output).grad
    except EvalError:  # the perturbation left the domain
        return [math.nan] * len(ref.value)


def check(g: Graph, output: int, inputs: list[int], mode: CheckMode = "central",
          h: float | None = None, cancelled: Callable[[], bool] | None = None,
          ) -> tuple[list[Row], int, bool]:
    """Check every Hessian entry over `inputs`; (rows, gradient evaluations, cancelled)."""
    if mode not in TOLERANCES2:
        raise ValueError(f"order 2 checks central or forward differences of the gradient, not {mode}")
    atol, rtol = TOLERANCES2[mode]
    ref = reference(g, output)
    hess, _ = hessian(ref, output, inputs)
    rows: list[Row] = []
    evals = 1 if mode == "forward" else 0
    g0 = ref.grad
    for c, j in enumerate(inputs):
        if cancelled is not None and cancelled():
            return rows, evals, True
        v = ref.value[j]
        step = h if h is not None else default_h(v, mode)
        plus = _gradient_at(ref, output, j, v + step)
        if mode == "central":
            minus = _gradient_at(ref, output, j, v - step)
            evals += 2
            col = [(plus[i] - minus[i]) / (2 * step) for i in inputs]
        else:
            evals += 1
            col = [(plus[i] - g0[i]) / step for i in inputs]
        kink = downstream(ref, j, output).kink
        for r, i in enumerate(inputs):
            a, num = hess[r][c], col[r]
            err = abs(a - num)
            rel = err / abs(num) if num else (0.0 if err == 0 else math.inf)
            verdict: Verdict = ("kink" if kink else
                                "pass" if err <= atol + rtol * abs(num) else "fail")
            rows.append(Row(i, j, a, num, err, rel, step, verdict))
    return rows, evals, False
