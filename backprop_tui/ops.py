"""The op table: every operator is defined here once.

Parser, engine, labels, formulas, symbolic differentiation and DOT export all read this
table. Each entry keeps an operator's forward rule beside its local derivatives (the
micrograd habit), plus what the display needs: symbol, precedence and derivative text,
and what the other differentiation methods need: the symbolic rule, the complex-valued
rule (complex step) and the second derivatives (Hessian-vector products).

Conventions: operands are called ``a`` and ``b``; ``k`` is a constant parameter (the
literal exponent of ``x^k``); ``out`` is the node's own value, reused by derivatives
such as exp' = exp.

The contract each entry keeps at every float64 operand (±0, ±inf, nan, denormals, ±1e308;
tests/core/test_op_table.py checks it for every op, so a new op inherits the test):
- ``fn`` returns a float, or raises one of ValueError, ZeroDivisionError, OverflowError
  outside its domain; the graph turns that into an EvalError with the domain's message;
- ``domain`` returns None or raises DomainError, never an error of its own arithmetic (it
  runs inside the graph's error path);
- ``deriv`` and ``kink`` are total: nan or ±inf where a derivative is undefined, never raise.
"""

from __future__ import annotations

import cmath
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    # What a backward step says at a kink (the convention used there).
    kink_text: str = ""
    # Operand order does not matter (the DOT export labels the edges of the others).
    commutative: bool = False
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


def _quot(x: float, y: float) -> float:
    """x / y for derivatives: ±inf or nan at y = 0 instead of ZeroDivisionError."""
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0.0 or x != x:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)


def _total(f: Callable[[float], float]) -> Callable[[float], float]:
    """f, returning nan where math raises (cos(inf)): for derivatives, which must not raise."""

    def g(x: float) -> float:
        try:
            return f(x)
        except (ValueError, OverflowError):
            return math.nan

    return g


_cos, _sin = _total(math.cos), _total(math.sin)


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
    if a < 0.0 and math.isfinite(b) and b != math.floor(b):
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
    try:
        return b * _pow(a, b - 1.0)
    except ValueError:  # a negative base to a non-integer power: outside the domain
        return math.nan


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
    # Not math.cos(a) alone: cos(inf) raises ValueError, and this runs in the error path.
    if not math.isfinite(a) or math.cos(a) == 0.0:
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


def _kink_at_zero(name: str) -> str:
    return f"{name} is not differentiable at 0; backprop uses the convention {name}'(0) = 0"


# The table is append-only: backprop_tui.op() registers user operators after the built-ins
# (register() below). Op codes index it and the parallel lists after it, so a code never
# changes meaning, and the engine's loops read the lists as they are now.
OPS: list[Op] = [
    _leaf("input", "an input: a differentiable leaf"),
    _leaf("const", "a declared constant: no gradient, never perturbed"),
    _leaf("literal", "a number written in the program"),
    Op("add", 2, "infix", "+", P_SUM, lambda a, b, k: a + b,
       lambda a, b, k, o: (1.0, 1.0), ("1", "1"), doc="a + b",
       sym=lambda S, a, b, k, o: (S.num(1), S.num(1)), commutative=True,
       cfn=lambda a, b, k: a + b, d2=lambda a, b, k, o: _ZERO2),
    Op("sub", 2, "infix", "-", P_SUM, lambda a, b, k: a - b,
       lambda a, b, k, o: (1.0, -1.0), ("1", "-1"), doc="a - b",
       sym=lambda S, a, b, k, o: (S.num(1), S.num(-1)),
       cfn=lambda a, b, k: a - b, d2=lambda a, b, k, o: _ZERO2),
    Op("mul", 2, "infix", "·", P_PRODUCT, lambda a, b, k: a * b,
       lambda a, b, k, o: (b, a), ("{b}", "{a}"), doc="a · b",
       sym=lambda S, a, b, k, o: (b, a), commutative=True,
       cfn=lambda a, b, k: a * b, d2=lambda a, b, k, o: (0.0, 1.0, 0.0)),
    Op("div", 2, "infix", "/", P_PRODUCT, lambda a, b, k: a / b,
       # -o/b is -a/b² without b·b, which underflows to 0 (and divides by it) for tiny b.
       lambda a, b, k, o: (_quot(1.0, b), _quot(-o, b)), ("1/{b}", "-{a}/{b}²"),
       domain=_div_domain, doc="a / b",
       sym=lambda S, a, b, k, o: (S.div(S.num(1), b), S.neg(S.div(a, S.powk(b, 2)))),
       cfn=lambda a, b, k: a / b, d2=lambda a, b, k, o: (0.0, -1.0 / b / b, 2.0 * o / b / b)),
    Op("neg", 1, "prefix", "-", P_UNARY, lambda a, b, k: -a,
       lambda a, b, k, o: (-1.0,), ("-1",), doc="-a",
       sym=lambda S, a, b, k, o: (S.num(-1),),
       cfn=lambda a, b, k: -a, d2=lambda a, b, k, o: _ZERO1),
    Op("powk", 1, "powk", "^", P_POWER, lambda a, b, k: _pow(a, k),
       # deriv_text stays empty: labels.deriv_text writes powk's 2x, 3x² itself.
       lambda a, b, k, o: (_pow_da(a, k),), (),
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
       lambda a, b, k, o: (_quot(1.0, a),), ("1/{a}",), domain=_log_domain, doc="natural logarithm",
       sym=lambda S, a, b, k, o: (S.div(S.num(1), a),),
       cfn=lambda a, b, k: cmath.log(a), d2=lambda a, b, k, o: (-_quot(1.0, a * a),)),
    Op("sqrt", 1, "call", "sqrt", P_ATOM, lambda a, b, k: math.sqrt(a),
       lambda a, b, k, o: (0.5 / o if o else math.inf,), ("1/(2·sqrt({a}))",),
       domain=_sqrt_domain, doc="square root",
       sym=lambda S, a, b, k, o: (S.div(S.num(1), S.mul(S.num(2), o)),),
       cfn=lambda a, b, k: cmath.sqrt(a), d2=lambda a, b, k, o: (_sqrt_d2(o),)),
    Op("sin", 1, "call", "sin", P_ATOM, lambda a, b, k: math.sin(a),
       lambda a, b, k, o: (_cos(a),), ("cos({a})",), doc="sine",
       sym=lambda S, a, b, k, o: (S.call("cos", a),),
       cfn=lambda a, b, k: cmath.sin(a), d2=lambda a, b, k, o: (-o,)),
    Op("cos", 1, "call", "cos", P_ATOM, lambda a, b, k: math.cos(a),
       lambda a, b, k, o: (-_sin(a),), ("-sin({a})",), doc="cosine",
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
       sym=lambda S, a, b, k, o: (S.call("step", a),), kink_text=_kink_at_zero("relu"),
       cfn=lambda a, b, k: a if a.real > 0 else 0j, d2=lambda a, b, k, o: _ZERO1),
    Op("abs", 1, "call", "abs", P_ATOM, lambda a, b, k: abs(a),
       lambda a, b, k, o: (_sign(a),), ("sign({a})",),
       kink=lambda a, b, k: a == 0.0, doc="|a|; abs'(0) = 0 by convention",
       sym=lambda S, a, b, k, o: (S.call("sign", a),), kink_text=_kink_at_zero("abs"),
       cfn=lambda a, b, k: a if a.real > 0 else -a if a.real < 0 else 0j,
       d2=lambda a, b, k, o: _ZERO1),
    # max routes the gradient to the larger operand (CS231n); at a tie, to a, by convention.
    Op("max", 2, "call", "max", P_ATOM, lambda a, b, k: a if a >= b else b,
       lambda a, b, k, o: (1.0, 0.0) if a >= b else (0.0, 1.0), ("[{a}≥{b}]", "[{a}<{b}]"),
       kink=lambda a, b, k: a == b, doc="the larger of a and b; at a tie the gradient goes to a",
       sym=lambda S, a, b, k, o: (S.sub(S.num(1), S.call("step", S.sub(b, a))),
                                  S.call("step", S.sub(b, a))),
       kink_text="max(a, b) is not differentiable where a = b; backprop routes the whole "
                 "gradient to a there, by convention", commutative=True,
       cfn=lambda a, b, k: a if a.real >= b.real else b, d2=lambda a, b, k, o: _ZERO2),
    Op("min", 2, "call", "min", P_ATOM, lambda a, b, k: a if a <= b else b,
       lambda a, b, k, o: (1.0, 0.0) if a <= b else (0.0, 1.0), ("[{a}≤{b}]", "[{a}>{b}]"),
       kink=lambda a, b, k: a == b, doc="the smaller of a and b; at a tie the gradient goes to a",
       sym=lambda S, a, b, k, o: (S.sub(S.num(1), S.call("step", S.sub(a, b))),
                                  S.call("step", S.sub(a, b))),
       kink_text="min(a, b) is not differentiable where a = b; backprop routes the whole "
                 "gradient to a there, by convention", commutative=True,
       cfn=lambda a, b, k: a if a.real <= b.real else b, d2=lambda a, b, k, o: _ZERO2),
]

BUILTIN_OPS: tuple[Op, ...] = tuple(OPS)
OP_INDEX: dict[str, int] = {op.name: i for i, op in enumerate(OPS)}
INPUT, CONST, LITERAL = OP_INDEX["input"], OP_INDEX["const"], OP_INDEX["literal"]
LEAVES = frozenset((INPUT, CONST, LITERAL))

# Parallel to OPS, for the engine's loops (a list index is the cheapest lookup there).
FNS: list[Callable[[float, float, float], float]] = [op.fn for op in OPS]
DERIVS: list[Callable[[float, float, float, float], tuple[float, ...]]] = [op.deriv for op in OPS]
ARITY: list[int] = [op.arity for op in OPS]
PREC: list[int] = [op.prec for op in OPS]

# Op codes are bytes (graph.py flags nodes with bytes(op)); symbolic.py's auxiliary ops (step,
# sign) use the codes from AUX_BASE up, so user operators get the codes below it.
AUX_BASE = 240

# What the parser's operator tokens and call names mean.
INFIX_TOKENS: dict[str, str] = {"+": "add", "-": "sub", "−": "sub", "*": "mul", "×": "mul",
                                "·": "mul", "/": "div", "^": "pow", "**": "pow"}
# An n-ary function: any number (≥ 1) of arguments, folded left into a chain of binary nodes.
VARIADIC = -1
# Functions callable by name: name -> (op name, arity). pow(a, b) is the infix op.
FUNCTIONS: dict[str, tuple[str, int]] = {
    op.name: (op.name, op.arity) for op in OPS if op.kind == "call"
}
FUNCTIONS["pow"] = ("pow", 2)
# sum(a, b, c, …) is a chain of add nodes ((a+b)+c)+…; max and min fold the same way.
FUNCTIONS["sum"] = ("add", VARIADIC)
FUNCTIONS["max"] = ("max", VARIADIC)
FUNCTIONS["min"] = ("min", VARIADIC)
BUILTIN_FUNCTIONS = frozenset(FUNCTIONS)
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

_REGISTER_LOCK = threading.Lock()


class OpError(ValueError):
    """A user operator that cannot be registered: the message says why."""


def register(op: Op, callable_name: bool = True) -> int:
    """Append a user operator to the table; returns its op code. With callable_name it is
    also a function of the language. A name registered again gets a new code (graphs built
    before keep the old one); a built-in name is refused."""
    if op.name in BUILTIN_FUNCTIONS or op.name in OP_INDEX and OP_INDEX[op.name] < len(BUILTIN_OPS):
        raise OpError(f"{op.name} is a built-in operator; choose another name")
    if op.name in CONSTANTS:
        raise OpError(f"{op.name} is a built-in constant; choose another name")
    if op.arity not in (1, 2):
        raise OpError(f"an operator takes 1 or 2 operands (the graph is binary), not {op.arity}")
    with _REGISTER_LOCK:
        code = len(OPS)
        if code >= AUX_BASE:
            raise OpError(f"too many operators: the table holds at most {AUX_BASE} "
                          f"({AUX_BASE - len(BUILTIN_OPS)} user operators)")
        # The parallel lists first: a reader that finds the code in OP_INDEX finds it there.
        FNS.append(op.fn)
        DERIVS.append(op.deriv)
        ARITY.append(op.arity)
        PREC.append(op.prec)
        OPS.append(op)
        OP_INDEX[op.name] = code
        if callable_name:
            FUNCTIONS[op.name] = (op.name, op.arity)
    return code


def register_user(name: str, arity: int, fn: Callable[[float, float, float], float],
                  derivs: tuple[Callable[[float, float, float], float], ...],
                  deriv_text: tuple[str, ...], *, symbol: str | None = None, doc: str = "",
                  domain: Callable[[float, float, float], None] | None = None,
                  kink: Callable[[float, float, float], bool] | None = None, kink_text: str = "",
                  callable_name: bool = True) -> int:
    """Register an operator given by functions (a user's, or a learner engine's op): its
    derivatives also become ops of their own (name′, or ∂a name / ∂b name), so that
    symbolic differentiation can write ∂f/∂x with them. Returns the operator's code."""
    primes = []
    for slot, d in enumerate(derivs):
        pname = f"{name}′" if arity == 1 else f"∂{'ab'[slot]}{name}"
        primes.append(register(Op(pname, arity, "call", pname, P_ATOM, d,
                                  lambda a, b, k, o: (math.nan,) * arity, ("?",) * arity,
                                  doc=f"a derivative of {name}"), callable_name=False))

    def deriv(a: float, b: float, k: float, o: float) -> tuple[float, ...]:
        return tuple(d(a, b, k) for d in derivs)

    def sym(S: Any, a: int, b: int, k: float, o: int) -> tuple:
        return tuple(S.make(code, a, b, k) for code in primes)

    return register(Op(name, arity, "call", symbol or name, P_ATOM, fn, deriv, deriv_text,
                       domain=domain, kink=kink, doc=doc, sym=sym, kink_text=kink_text),
                    callable_name)
