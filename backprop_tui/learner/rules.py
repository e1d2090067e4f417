"""Testing one node's rule alone: its _backward called with its own gradient seeded (three
times, to catch `=` for `+=` and a forgotten upstream factor), its data against the op
applied to its children's, and what the op table says its local derivatives are."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..engine_events import Problem, RuleFinding
from ..gradcheck import TOLERANCES
from ..graph import Graph
from ..labels import deriv_text
from ..ops import DERIVS, FNS
from ..textutil import clip
from .values import EngineError, Mapped, attr, describe

# Rules are compared at the learner's own values: both sides compute the same formula, so
# they agree to round-off; finite-difference estimates (unknown ops) get the looser bound.
RULE_TOL = (1e-9, 1e-7)
FD_TOL = TOLERANCES["central"]


def close(x: float, y: float, tol: tuple[float, float]) -> bool:
    if x == y:
        return True
    if not (math.isfinite(x) and math.isfinite(y)):
        return x != x and y != y
    return abs(x - y) <= tol[0] + tol[1] * abs(y)


def grad_of(v: object) -> float:
    g = attr(v, "grad")
    try:
        return float(g)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EngineError(f"{describe(v)} has grad = {clip(repr(g), 30)}, not a number") from None


def set_grad(v: object, x: float) -> None:
    try:
        v.grad = x  # type: ignore[attr-defined]
    except Exception as exc:
        raise EngineError(f"cannot set grad of {describe(v)} ({type(exc).__name__}: "
                          f"{clip(str(exc), 60)})") from None


@dataclass
class Probe:
    first: list[float]
    second: list[float]
    third: list[float]
    error: str = ""


def probe(v: object, kids: list[object]) -> Probe:
    """Call v's _backward alone three times: seed 1, seed 1 again, seed 2. The children's
    and v's gradients are restored afterwards. (One try block: this runs once per node.)"""
    bw = getattr(v, "_backward", None)
    if not callable(bw):
        return Probe([], [], [], "it has no callable _backward")
    rounds: list[list[float]] = []
    saved: list[object] = []
    doing = "reading the gradients"
    error = ""
    try:
        saved = [c.grad for c in kids]  # type: ignore[attr-defined]
        saved.append(v.grad)  # type: ignore[attr-defined]
        doing = "setting the gradients"
        for c in kids:
            c.grad = 0.0  # type: ignore[attr-defined]
        for seed in (1.0, 1.0, 2.0):
            v.grad = seed  # type: ignore[attr-defined]
            doing = "its _backward"
            bw()
            doing = "reading the gradients it left"
            rounds.append([float(c.grad) for c in kids])  # type: ignore[attr-defined]
    except Exception as exc:
        what = "raised" if doing == "its _backward" else "failed with"
        error = (f"{doing} {what} {type(exc).__name__}: {clip(str(exc), 80)}"
                 if doing == "its _backward" else
                 f"{doing} failed ({type(exc).__name__}: {clip(str(exc), 80)})")
    finally:
        for c, g in zip([*kids, v], saved, strict=False):
            try:
                c.grad = g  # type: ignore[attr-defined]
            except Exception:
                pass
    while len(rounds) < 3:
        rounds.append([math.nan] * len(kids))
    return Probe(rounds[0], rounds[1], rounds[2], error)


def expected(m: Mapped, data: list[float], kids: list[int]) -> tuple[float, list[float]]:
    """(the op's value, its local derivative towards each distinct child) at the learner's
    values; a child in both slots (a*a) gets both derivatives added."""
    a = data[m.a]
    b = data[m.b] if m.b >= 0 else 0.0
    try:
        out = FNS[m.code](a, b, m.k)
        ds = DERIVS[m.code](a, b, m.k, out)
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan, [math.nan] * len(kids)
    want = [0.0] * len(kids)
    for slot, pos in enumerate((m.a, m.b)[: len(ds)]):
        want[kids.index(pos)] += ds[slot]
    return out, want


def findings(i: int, kid_nodes: list[int], name_of: Callable[[int], str], op: str,
              probe: Probe, data_out: float, expected: tuple[float, list[float]],
              tol: tuple[float, float], fanout: list[int],
              texts: Callable[[], list[str]]) -> list[RuleFinding]:
    """What is wrong with node i's own rule ([] when nothing). Names are made only for a
    finding: a label costs more than the whole test."""
    def finding(problem: Problem, c: int, want: float | None, got: float | None,
                message: str) -> RuleFinding:
        return RuleFinding(i, name_of(i), op, problem, name_of(kid_nodes[c]) if c >= 0 else "",
                           want, got, message)

    if probe.error:
        return [finding("missing" if "no callable" in probe.error else "raised", -1, None, None,
                        probe.error)]
    out: list[RuleFinding] = []
    value, want = expected
    if not close(data_out, value, RULE_TOL):
        out.append(finding("forward", -1, value, data_out,
                           f"its data is {data_out:.12g}, but {op} of its operands is "
                           f"{value:.12g}: the forward rule is wrong"))
    for c in range(len(kid_nodes)):
        w, first, second, third = want[c], probe.first[c], probe.second[c], probe.third[c]
        if close(first, w, tol) and (first == 0.0 or not close(second, first, RULE_TOL)) \
                and close(second - first, first, tol) \
                and (first == 0.0 or close(third - second, 2 * first, tol)):
            continue  # the common case: nothing to say, no names needed
        name, cname = name_of(i), name_of(kid_nodes[c])
        if not close(first, w, tol):
            out.append(finding("local", c, w, first,
                               f"its _backward gives ∂{name}/∂{cname} = {first:.12g}; the local "
                               f"derivative of {op} there is {texts()[c]}{w:.12g}"))
        elif first != 0.0 and close(second, first, RULE_TOL):
            lost = (f"{cname} feeds {fanout[c]} nodes, and this overwrites whatever the others "
                    "contributed before it ran" if fanout[c] > 1
                    else "harmless only while it feeds one node")
            out.append(finding("assign", c, 2 * first, second,
                               f"called twice, its _backward leaves ∂/∂{cname} at {second:.12g} "
                               f"instead of {2 * first:.12g}: it assigns (=) where it must "
                               f"accumulate (+=); {lost}"))
        elif not close(second - first, first, tol):
            out.append(finding("assign", c, 2 * first, second,
                               f"called twice, its _backward changes ∂/∂{cname} from "
                               f"{first:.12g} to {second:.12g}, not {2 * first:.12g}: it must "
                               "add the same contribution each time"))
        else:
            out.append(finding("upstream", c, 2 * first, third - second,
                               f"with {name}'s gradient at 2 its _backward adds "
                               f"{third - second:.12g} to ∂/∂{cname}, not {2 * first:.12g}: it "
                               "ignores out.grad (the upstream factor of the chain rule)"))
    return out


def deriv_texts(g: Graph, i: int, kids: list[int], node_of: list[int]) -> list[str]:
    """'x1 = ' for each distinct child: the op table's local derivative in symbols ('x + x =
    ' when the child is both operands)."""
    parts: list[list[str]] = [[] for _ in kids]
    for slot, j in enumerate(g.operands(i)):
        for c, kid in enumerate(kids):
            if node_of[kid] == j:
                parts[c].append(deriv_text(g, i, slot))
                break
    return [" + ".join(p) + " = " if p and p != ["?"] else "" for p in parts]


def fd_expected(g: Graph, i: int, kids: list[int], node_of: list[int]) -> list[float]:
    """An unknown op's local derivatives, from its re-run (the op's deriv is FD of it)."""
    ds = g.local_derivs(i)
    want = [0.0] * len(kids)
    for slot, j in enumerate(g.operands(i)):
        for c, kid in enumerate(kids):
            if node_of[kid] == j:
                want[c] += ds[slot]
                break
    return want
