"""Ops the op table does not know (a learner's 'swish'): one op-table entry per (class, op
string, arity), each node a point of it (its k). With a method of that name on the
learner's class the op re-runs it on fresh Values, and its derivatives are central finite
differences of that; without one it is the node's linearisation by the learner's own
local derivatives (so nothing checks that node's rule: it is marked unchecked)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .. import gradcheck
from ..ops import register_user
from ..textutil import clip
from .rules import RULE_TOL, Probe, close
from .values import Mapped


@dataclass
class Point:
    rerun: Callable[[float, float], float] | None
    a0: float
    b0: float
    out0: float
    da: float
    db: float


_UNKNOWN: dict[tuple[type, str, int], tuple[int, list[Point]]] = {}


def _rerun(cls: type, op: str, arity: int) -> Callable[[float, float], float] | None:
    """The learner's method named like the op (Value.swish for 'swish'), on fresh Values."""
    for name in dict.fromkeys((op, op.lower())):
        method = getattr(cls, name, None) if name.isidentifier() else None
        if callable(method):
            def run(a: float, b: float, method: Callable = method) -> float:
                try:
                    out = method(cls(a)) if arity == 1 else method(cls(a), cls(b))
                    return float(out.data)
                except (ValueError, ZeroDivisionError, OverflowError):
                    raise
                except Exception as exc:
                    raise ValueError(f"{op} raised {type(exc).__name__}: {exc}") from None
            return run
    return None


def _unknown_code(cls: type, op: str, arity: int) -> tuple[int, list[Point]]:
    """One op-table entry per (class, op string, arity); each node is a point of it (k)."""
    key = (cls, op, arity)
    if key not in _UNKNOWN:
        points: list[Point] = []

        def fn(a: float, b: float, k: float) -> float:
            p = points[int(k)]
            if p.rerun is not None:
                return p.rerun(a, b)
            return p.out0 + p.da * (a - p.a0) + p.db * (b - p.b0)

        def slot(s: int) -> Callable[[float, float, float], float]:
            def d(a: float, b: float, k: float) -> float:
                p = points[int(k)]
                if p.rerun is None:
                    return p.da if s == 0 else p.db
                h = gradcheck.default_h(a if s == 0 else b, "central")
                try:
                    if s == 0:
                        return (p.rerun(a + h, b) - p.rerun(a - h, b)) / (2 * h)
                    return (p.rerun(a, b + h) - p.rerun(a, b - h)) / (2 * h)
                except (ValueError, ZeroDivisionError, OverflowError):
                    return math.nan
            return d

        shown = clip(op, 16)
        texts = tuple(f"∂{shown}/∂{'ab'[s]}" for s in range(arity))
        code = register_user(f"learner {cls.__qualname__}.{op}/{arity}", arity, fn,
                             tuple(slot(s) for s in range(arity)), texts, symbol=shown,
                             doc=f"the learner's op '{shown}'", callable_name=False)
        _UNKNOWN[key] = (code, points)
    return _UNKNOWN[key]


def has_rerun(m: Mapped | None) -> bool:
    """The node is evaluated by re-running the learner's method (True for known ops)."""
    if m is None:
        return False
    for code, points in _UNKNOWN.values():
        if code == m.code:
            return points[int(m.k)].rerun is not None
    return True


def unknown(cls: type, op: str, kids: list[int], data: list[float], out: float,
            probe: Probe | None) -> Mapped:
    """Node of an unknown op as a point of its op-table entry (re-run if its method gives
    the node's data, else linearised with the probe's local derivatives)."""
    arity = len(kids)
    code, points = _unknown_code(cls, op, arity)
    a0 = data[kids[0]]
    b0 = data[kids[1]] if arity == 2 else 0.0
    run = _rerun(cls, op, arity)
    if run is not None:
        try:
            if not close(run(a0, b0), out, RULE_TOL):
                run = None
        except (ValueError, ZeroDivisionError, OverflowError):
            run = None
    first = probe.first if probe is not None and not probe.error else [math.nan] * arity
    points.append(Point(run, a0, b0, out, first[0], first[1] if arity == 2 else 0.0))
    return Mapped(code, kids[0], kids[1] if arity == 2 else -1, float(len(points) - 1))
