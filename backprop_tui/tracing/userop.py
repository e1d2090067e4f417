"""backprop_tui.op(): a user scalar function with user-written local derivatives, registered
in the op table so that it steps, checks and draws like a built-in (and is callable in the
language). The finite-difference check is how a wrong derivative is found."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..ops import DomainError, OpError, register_user
from .functions import user_function

_NAME = re.compile(r"[^\W\d]\w*")


def _number(name: str, what: str, r: object) -> float:
    try:
        return float(r)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name}'s {what} returned {type(r).__name__}, not a number") from None


def op(name: str, fn: Callable[..., float],
       derivs: Sequence[Callable[..., float]] | Callable[..., float], *,
       kink: Callable[..., bool] | None = None, doc: str = "") -> Callable[..., Any]:
    """Register operator `name`: fn(a) or fn(a, b) computes it, derivs holds one callable per
    operand giving ∂name/∂operand at (a) or (a, b). Returns the traced function; the
    language can call it by name too. An exception in fn stops evaluation at the node with
    a message; a derivative that raises gives nan (a warning when stepping)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > 64:
        raise OpError("an operator's name is a name of the language (letters, digits, _; at "
                      "most 64 characters)")
    ds = (derivs,) if callable(derivs) else tuple(derivs)
    if not callable(fn) or not all(callable(d) for d in ds):
        raise OpError("op(name, fn, derivs): fn and each derivative must be callable")
    arity = len(ds)
    if arity not in (1, 2):
        raise OpError(f"an operator takes 1 or 2 operands (one derivative each), got {arity}")

    def call(f: Callable[..., Any], a: float, b: float) -> Any:
        return f(a) if arity == 1 else f(a, b)

    def value(a: float, b: float, k: float) -> float:
        try:
            r = call(fn, a, b)
        except (ValueError, ZeroDivisionError, OverflowError):
            raise
        except Exception as exc:  # a bug in the user's fn: stop at the node, say what
            raise ValueError(f"{name} raised {type(exc).__name__}: {exc}") from None
        return _number(name, "function", r)

    def derivative(d: Callable[..., Any]) -> Callable[[float, float, float], float]:
        def at(a: float, b: float, k: float) -> float:
            try:
                return _number(name, "derivative", call(d, a, b))
            except Exception:
                return math.nan
        return at

    def domain(a: float, b: float, k: float) -> None:
        try:
            r = call(fn, a, b)
        except Exception as exc:
            raise DomainError(f"{name} raised {type(exc).__name__}: {exc}") from None
        try:
            _number(name, "function", r)
        except ValueError as exc:
            raise DomainError(str(exc)) from None

    at = (lambda a, b, k: bool(call(kink, a, b))) if kink is not None else None
    texts = ((f"{name}′({{a}})",) if arity == 1
             else (f"∂a{name}({{a}}, {{b}})", f"∂b{name}({{a}}, {{b}})"))
    register_user(name, arity, value, tuple(derivative(d) for d in ds), texts, domain=domain,
                  kink=at, doc=doc or f"a user operator ({arity} operand{'s' * (arity > 1)})",
                  kink_text=f"{name} is not differentiable here (its kink test says so); "
                            "backprop uses the derivative you gave")
    return user_function(name)
