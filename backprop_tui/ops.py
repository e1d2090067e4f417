"""The op table: every operator is defined here once.

Parser, engine, labels, formulas, symbolic differentiation and DOT export all read this
table. Each entry keeps an operator's forward rule beside its local derivatives (the
micrograd habit), plus what the display needs: symbol, precedence and derivative text,
and what the other differentiation methods need: the symbolic rule, the complex-valued
rule (complex step) and the second derivatives (Hessian-vector products).

Conventions: operands are called ``a`` and ``b``; ``k`` is a constant parameter (the
literal exponent of ``x^k``); ``out`` is the node's own value, reused by derivatives
such as exp' = exp.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from dataclasses import dataclass

# Precedence levels for display (higher binds tighter).
P_SUM, P_PRODUCT, P_UNARY, P_POWER, P_ATOM = 1, 2, 3, 4, 5


class DomainError(ValueError):
    """An operand outside the operator's domain; the message says which and why."""


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    kind: str  # "leaf", "infix", "prefix", "call", "powk"
    symbol: str  # display symbol or function name
    prec: int
    fn: Callable[[float, float, float], float]
    # Local derivatives d out / d operand, as a tuple with one entry per operand.
    deriv: Callable[[float, float, float, float], tuple[float, ...]]
    # Text of each local derivative in terms of operand labels {a}, {b} and {k}.
    deriv_text: tuple[str, ...] = ()
    # Raises DomainError for operands the operator cannot take.
    domain: Callable[[float, float, float], None] | None = None
    # True where the operator is not differentiable (a kink); derivative is a convention.
    kink: Callable[[float, float, float], bool] | None = None
    doc: str = ""
    # The same local derivatives as expressions, for symbolic.py: (S, a, b, k, out) -> one
    # expression per operand, built with S's constructors (S.num, S.add, S.mul, S.call, ...)
    # from operand expressions a, b and the node's own expression out.
    sym: Callable[..., tuple] | None = None
    # The same operator on complex operands (cmath), for the complex-step check: holomorphic
    # where fn is smooth; abs and relu branch on the real part. The caller checks `domain`
    # on the real parts first, so cfn need not.
    cfn: Callable[[complex, complex, float], complex] | None = None
    # Second derivatives at (a, b, k, out), for forward-over-reverse Hessian-vector products:
    # (∂²/∂a²,) for a unary op, (∂²/∂a², ∂²/∂a∂b, ∂²/∂b²) for a binary one.
    d2: Callable[[float, float, float, float], tuple[float, ...]] | None = None


def _no_deriv(a: float, b: float, k: float, out: float) -> tuple[float, ...]:
    return ()


def _leaf(name: str, doc: str) -> Op:
    return Op(name, 0, "leaf", "", P_ATOM, lambda a, b, k: k, _no_deriv, doc=doc)


def _div_domain(a: float, b: float, k: float) -> None:
    if b == 0.0:
        raise DomainError("division by zero")


def _log_domain(a: float, b: float, k: float) -> None:
    if a <= 0.0:
        raise DomainError(f"log needs a positive argument, got {a!r}")


def _sqrt_domain(a: float, b: float, k: float) -> None:
    if a < 0.0:
        raise DomainError(f"sqrt needs a non-negative argument, got {a!r}")


def _pow_domain(a: float, b: float, k: float) -> None:
    if a == 0.0 and b < 0.0:
        raise DomainError("0 raised to a negative power (division by zero)")
    if a < 0.0 and b != math.floor(b):
        raise DomainError(f"negative base {a!r} needs an integer exponent, got {b!r}")


def _powk_domain(a: float, b: float, k: float) -> None:
    _pow_domain(a, k, 0.0)


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        # Only an odd integer power of a negative base overflows to -inf.
        return -math.inf if a < 0 and b % 2 == 1 else math.inf


def _pow_da(a: float, b: float) -> float:
    if b == 0.0:
        return 0.0
    if a == 0.0 and b < 1.0:
        # 0^(b-1) with b-1 < 0: an infinite slope, as sqrt'(0); math.pow would raise.
        return b * math.inf
    return b * _pow(a, b - 1.0)


def _pow_db(a: float, out: float) -> float:
    # d(a^b)/db = a^b · log a; undefined (nan, with a warning) for a <= 0.
    return out * math.log(a) if a > 0.0 else math.nan


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf


def _sigmoid(a: float) -> float:
    # Two branches so that neither exp overflows.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)
    return z / (1.0 + z)


def _tan_domain(a: float, b: float, k: float) -> None:
    if math.cos(a) == 0.0:
        raise DomainError(f"tan is undefined at {a!r}")


def _sign(a: float) -> float:
    return 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)


# -- complex rules (complex step) and second derivatives --

def _cpow(a: complex, b: complex) -> complex:
    if b.imag == 0.0 or a.real > 0.0:
        # An integral real exponent takes Python's repeated multiplication: the polar form
        # would round the argument of a negative base (π − h/a) to π and lose the step.
        return complex(a) ** complex(b)
    # d(a^b)/db at a <= 0 is undefined (nan in deriv): the perturbation carries no derivative.
    return complex(_pow(a.real, b.real), math.nan)


def _cexp(a: complex) -> complex:
    try:
        return cmath.exp(a)
    except OverflowError:
        return complex(math.inf, math.nan)


def _csigmoid(a: complex) -> complex:
    if a.real >= 0:
        return 1.0 / (1.0 + _cexp(-a))
    z = _cexp(a)
    return z / (1.0 + z)


def _pow_d2(a: float, b: float) -> float:
    """d²(a^b)/da² = b(b-1)·a^(b-2), infinite at a = 0 when b < 2 (as _pow_da)."""
    c = b * (b - 1.0)
    if c == 0.0:
        return 0.0
    if a == 0.0 and b < 2.0:
        return c * math.inf
    return c * _pow(a, b - 2.0)


def _pow_dab(a: float, b: float) -> float:
    # d²(a^b)/da db = a^(b-1)·(1 + b·log a); undefined for a <= 0, like d/db.
    return _pow(a, b - 1.0) * (1.0 + b * math.log(a)) if a > 0.0 else math.nan


def _pow_dbb(a: float, out: float) -> float:
    return out * math.log(a) ** 2 if a > 0.0 else math.nan


def _sqrt_d2(out: float) -> float:
    return -0.25 / (out * out * out) if out else -math.inf


def _sigmoid_d2(a: float, out: float) -> float:
    # σ'' = σ(1-σ)(1-2σ), with 1-σ = σ(-a) and 1-2σ = σ(-a) - σ(a) at full precision.
    s_neg = _sigmoid(-a)
    return out * s_neg * (s_neg - out)


_ZERO1 = (0.0,)
_ZERO2 = (0.0, 0.0, 0.0)


OPS: tuple[Op, ...] = (
    _leaf("input", "an input: a differentiable leaf"),
    _leaf("const", "a declared constant: no gradient, never perturbed"),
    _leaf("literal", "a number written in the program"),
    Op("add", 2, "infix", "+", P_SUM, lambda a, b, k: a + b,
       lambda a, b, k, o: (1.0, 1.0), ("1", "1"), doc="a + b",
       sym=lambda S, a, b, k, o: (S.num(1), S.num(1)),
       cfn=lambda a, b, k: a + b, d2=lambda a, b, k, o: _ZERO2),
    Op("sub", 2, "infix", "-", P_SUM, lambda a, b, k: a - b,
       lambda a, b, k, o: (1.0, -1.0), ("1", "-1"), doc="a - b",
       sym=lambda S, a, b, k, o: (S.num(1), S.num(-1)),
       cfn=lambda a, b, k: a - b, d2=lambda a, b, k, o: _ZERO2),
    Op("mul", 2, "infix", "·", P_PRODUCT, lambda a, b, k: a * b,
       lambda a, b, k, o: (b, a), ("{b}", "{a}"), doc="a · b",
       sym=lambda S, a, b, k, o: (b, a),
       cfn=lambda a, b, k: a * b, d2=lambda a, b, k, o: (0.0, 1.0, 0.0)),
    Op("div", 2, "infix", "/", P_PRODUCT, lambda a, b, k: a / b,
       # -o/b is -a/b² without b·b, which underflows to 0 (and divides by it) for tiny b.
       lambda a, b, k, o: (1.0 / b, -o / b), ("1/{b}", "-{a}/{b}²"),
       domain=_div_domain, doc="a / b",
       sym=lambda S, a, b, k, o: (S.div(S.num(1), b), S.neg(S.div(a, S.powk(b, 2)))),
       cfn=lambda a, b, k: a / b, d2=lambda a, b, k, o: (0.0, -1.0 / b / b, 2.0 * o / b / b)),
    Op("neg", 1, "prefix", "-", P_UNARY, lambda a, b, k: -a,
       lambda a, b, k, o: (-1.0,), ("-1",), doc="-a",
       sym=lambda S, a, b, k, o: (S.num(-1),),
       cfn=lambda a, b, k: -a, d2=lambda a, b, k, o: _ZERO1),
    Op("powk", 1, "powk", "^", P_POWER, lambda a, b, k: _pow(a, k),
       lambda a, b, k, o: (_pow_da(a, k),), ("{k}·{a}^{k-1}",),
       domain=_powk_domain, doc="a^k for a number k written in the program",
       sym=lambda S, a, b, k, o: (S.mul(S.num(k), S.powk(a, k - 1)),),
       cfn=lambda a, b, k: _cpow(a, complex(k)), d2=lambda a, b, k, o: (_pow_d2(a, k),)),
    Op("pow", 2, "infix", "^", P_POWER, lambda a, b, k: _pow(a, b),
       lambda a, b, k, o: (_pow_da(a, b), _pow_db(a, o)), ("{b}·{a}^({b}-1)", "{a}^{b}·log {a}"),
       domain=_pow_domain, doc="a^b; d/db = a^b·log a is nan for a <= 0",
       sym=lambda S, a, b, k, o: (S.mul(b, S.pow(a, S.sub(b, S.num(1)))), S.mul(o, S.call("log", a))),
       cfn=lambda a, b, k: _cpow(a, b),
       d2=lambda a, b, k, o: (_pow_d2(a, b), _pow_dab(a, b), _pow_dbb(a, o))),
    Op("exp", 1, "call", "exp", P_ATOM, lambda a, b, k: _exp(a),
       lambda a, b, k, o: (o,), ("exp({a})",), doc="e^a",
       sym=lambda S, a, b, k, o: (o,),
       cfn=lambda a, b, k: _cexp(a), d2=lambda a, b, k, o: (o,)),
    Op("log", 1, "call", "log", P_ATOM, lambda a, b, k: math.log(a),
       lambda a, b, k, o: (1.0 / a,), ("1/{a}",), domain=_log_domain, doc="natural logarithm",
       sym=lambda S, a, b, k, o: (S.div(S.num(1), a),),
       cfn=lambda a, b, k: cmath.log(a), d2=lambda a, b, k, o: (-1.0 / a / a,)),
    Op("sqrt", 1, "call", "sqrt", P_ATOM, lambda a, b, k: math.sqrt(a),
       lambda a, b, k, o: (0.5 / o if o else math.inf,), ("1/(2·sqrt({a}))",),
       domain=_sqrt_domain, doc="square root",
       sym=lambda S, a, b, k, o: (S.div(S.num(1), S.mul(S.num(2), o)),),
       cfn=lambda a, b, k: cmath.sqrt(a), d2=lambda a, b, k, o: (_sqrt_d2(o),)),
    Op("sin", 1, "call", "sin", P_ATOM, lambda a, b, k: math.sin(a),
       lambda a, b, k, o: (math.cos(a),), ("cos({a})",), doc="sine",
       sym=lambda S, a, b, k, o: (S.call("cos", a),),
       cfn=lambda a, b, k: cmath.sin(a), d2=lambda a, b, k, o: (-o,)),
    Op("cos", 1, "call", "cos", P_ATOM, lambda a, b, k: math.cos(a),
       lambda a, b, k, o: (-math.sin(a),), ("-sin({a})",), doc="cosine",
       sym=lambda S, a, b, k, o: (S.neg(S.call("sin", a)),),
       cfn=lambda a, b, k: cmath.cos(a), d2=lambda a, b, k, o: (-o,)),
    Op("tan", 1, "call", "tan", P_ATOM, lambda a, b, k: math.tan(a),
       lambda a, b, k, o: (1.0 + o * o,), ("1+tan({a})²",), domain=_tan_domain, doc="tangent",
       sym=lambda S, a, b, k, o: (S.add(S.num(1), S.powk(o, 2)),),
       cfn=lambda a, b, k: cmath.tan(a), d2=lambda a, b, k, o: (2.0 * o * (1.0 + o * o),)),
    Op("tanh", 1, "call", "tanh", P_ATOM, lambda a, b, k: math.tanh(a),
       lambda a, b, k, o: (1.0 - o * o,), ("1-tanh({a})²",), doc="hyperbolic tangent",
       sym=lambda S, a, b, k, o: (S.sub(S.num(1), S.powk(o, 2)),),
       cfn=lambda a, b, k: cmath.tanh(a), d2=lambda a, b, k, o: (-2.0 * o * (1.0 - o * o),)),
    Op("sigmoid", 1, "call", "sigmoid", P_ATOM, lambda a, b, k: _sigmoid(a),
       # σ(a)·σ(-a), not o·(1 - o): for large a, 1 - o cancels to a few digits (σ(20) is
       # 1 - 2e-9), while σ(-a) is computed to full precision.
       lambda a, b, k, o: (o * _sigmoid(-a),), ("σ({a})(1-σ({a}))",), doc="1/(1+e^-a)",
       sym=lambda S, a, b, k, o: (S.mul(o, S.sub(S.num(1), o)),),
       cfn=lambda a, b, k: _csigmoid(a), d2=lambda a, b, k, o: (_sigmoid_d2(a, o),)),
    Op("relu", 1, "call", "relu", P_ATOM, lambda a, b, k: a if a > 0 else 0.0,
       lambda a, b, k, o: (1.0 if a > 0 else 0.0,), ("[{a}>0]",),
       kink=lambda a, b, k: a == 0.0, doc="max(a, 0); relu'(0) = 0 by convention",
       sym=lambda S, a, b, k, o: (S.call("step", a),),
       cfn=lambda a, b, k: a if a.real > 0 else 0j, d2=lambda a, b, k, o: _ZERO1),
    Op("abs", 1, "call", "abs", P_ATOM, lambda a, b, k: abs(a),
       lambda a, b, k, o: (_sign(a),), ("sign({a})",),
       kink=lambda a, b, k: a == 0.0, doc="|a|; abs'(0) = 0 by convention",
       sym=lambda S, a, b, k, o: (S.call("sign", a),),
       cfn=lambda a, b, k: a if a.real > 0 else -a if a.real < 0 else 0j,
       d2=lambda a, b, k, o: _ZERO1),
)

OP_INDEX: dict[str, int] = {op.name: i for i, op in enumerate(OPS)}
INPUT, CONST, LITERAL = OP_INDEX["input"], OP_INDEX["const"], OP_INDEX["literal"]
LEAVES = frozenset((INPUT, CONST, LITERAL))

# What the parser's operator tokens and call names mean.
INFIX_TOKENS: dict[str, str] = {"+": "add", "-": "sub", "−": "sub", "*": "mul", "×": "mul",
                                "·": "mul", "/": "div", "^": "pow", "**": "pow"}
# Functions callable by name: name -> (op name, arity). pow(a, b) is the infix op.
FUNCTIONS: dict[str, tuple[str, int]] = {
    op.name: (op.name, 1) for op in OPS if op.kind == "call"
}
FUNCTIONS["pow"] = ("pow", 2)
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
