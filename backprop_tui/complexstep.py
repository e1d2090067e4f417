"""Complex-step differentiation: f′(x) ≈ Im f(x + ih) / h.

No subtraction, so no cancellation: the error stays at machine precision for every
h ≤ 1e-8 (h = 1e-20 by default), where central differences lose half their digits to
round-off. Each operator's complex rule is its ``cfn`` in the op table; domains are checked
on the real parts (the step leaves them unchanged), so an operator fails exactly where it
fails in real arithmetic, and abs and relu branch on the real part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .graph import EvalError, Graph
from .ops import OPS, DomainError

H = 1e-20
_CFNS = tuple(op.cfn for op in OPS)
_DOMAINS = tuple(op.domain for op in OPS)
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError, TypeError)


def eval_complex(g: Graph, i: int, over: Mapping[int, complex]) -> complex:
    """Node i from its operands' values: complex ones from `over`, the rest the graph's
    stored real values. Raises EvalError."""
    o = g.op[i]
    ai, bi = g.a[i], g.b[i]
    x = over.get(ai, g.value[ai])
    y = over.get(bi, g.value[bi]) if bi >= 0 else 0.0
    x, y = complex(x), complex(y)
    k = g.k[i]
    check = _DOMAINS[o]
    try:
        if check is not None:
            check(x.real, y.real, k)
        fn = _CFNS[o]
        if fn is None:
            raise EvalError(i, f"{OPS[o].name} has no complex rule in the op table")
        return fn(x, y, k)
    except DomainError as err:
        raise EvalError(i, str(err)) from None
    except _MATH_ERRORS as exc:
        raise EvalError(i, f"{OPS[o].name} failed on complex operands ({exc})") from None


def derivative(g: Graph, j: int, output: int, down: Sequence[int], h: float = H) -> float:
    """∂output/∂(node j) by one complex evaluation of the nodes `down` (those downstream
    of j, in topological order) with j's stored value moved to v + ih: O(len(down)), the
    other values are read from the graph."""
    if j == output:
        return 1.0
    if not down:
        return 0.0
    over = {j: complex(g.value[j], h)}
    for i in down:
        over[i] = eval_complex(g, i, over)
    return over[output].imag / h
