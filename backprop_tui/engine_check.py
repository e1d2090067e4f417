"""check_engine: find the first wrong rule in a learner's micrograd-style engine.

1. Walk the learner's Value graph (learner.walk: no recursion, cycles rejected) and map each
   op string onto the op table (learner.classify).
2. Unit-test each node's `_backward` closure on its own: zero its children's gradients, set
   its own to 1, call it; call it again (an `=` written for `+=` gives the same numbers
   twice instead of double); once more with its gradient at 2 (a rule that forgets the
   upstream factor adds the same amount). Compare with the op table's local derivatives at
   the learner's own values, and the node's data with the op applied to its children's.
3. Run the learner's backward() (or, when it fails — micrograd's recursive topological sort
   stops near depth 1000 — its closures in reverse topological order) and compare every
   node's gradient with backprop-tui's on the rebuilt graph and with finite differences.

The first node in backward order whose own rule failed is the bug: every gradient below it
inherits its error, so the report names it rather than everything downstream. An op the
table does not know is evaluated by re-running the learner's method of that name when it
has one (its derivative then comes from finite differences), else linearised with the
learner's own local derivatives and marked unchecked.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from . import gradcheck
from .engine_events import EngineCheck, EngineRow, GradVerdict, Problem, RuleFinding, RuleVerdict
from .graph import EvalError, Graph
from .labels import deriv_text, label
from .language import Program
from .learner import EngineError, Mapped, Walk, attr, classify, describe, number, walk
from .ops import CONST, DERIVS, FNS, INPUT, LITERAL, register_user
from .textutil import clip, plural

# Rules are compared at the learner's own values: both sides compute the same formula, so
# they agree to round-off; finite-difference estimates (unknown ops) get the looser bound.
RULE_TOL = (1e-9, 1e-7)
FD_TOL = gradcheck.TOLERANCES["central"]
GRAD_TOL = (1e-9, 1e-7)
FD_ALL = 3_000  # graphs up to this size get a finite-difference estimate at every node
FD_BUDGET = 1_000_000  # else: node re-evaluations spent on estimates, inputs first
LABELLED_ROWS = 2_000  # rows that carry a label (the rest: the learner's label, if any)


@dataclass
class EngineResult:
    """The report, and the rebuilt graph with the learner's numbers beside it."""

    event: EngineCheck
    program: Program
    learner_grads: dict[int, float] = field(default_factory=dict)  # graph node -> learner's
    numeric: dict[int, float] = field(default_factory=dict)  # graph node -> FD estimate


def _close(x: float, y: float, tol: tuple[float, float]) -> bool:
    if x == y:
        return True
    if not (math.isfinite(x) and math.isfinite(y)):
        return x != x and y != y
    return abs(x - y) <= tol[0] + tol[1] * abs(y)


def _grad(v: object) -> float:
    g = attr(v, "grad")
    try:
        return float(g)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise EngineError(f"{describe(v)} has grad = {clip(repr(g), 30)}, not a number") from None


def _set_grad(v: object, x: float) -> None:
    try:
        v.grad = x  # type: ignore[attr-defined]
    except Exception as exc:
        raise EngineError(f"cannot set grad of {describe(v)} ({type(exc).__name__}: "
                          f"{clip(str(exc), 60)})") from None


# ------------------------------------------------------------------ unknown ops

@dataclass
class _Point:
    rerun: Callable[[float, float], float] | None
    a0: float
    b0: float
    out0: float
    da: float
    db: float


_UNKNOWN: dict[tuple[type, str, int], tuple[int, list[_Point]]] = {}


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


def _unknown_code(cls: type, op: str, arity: int) -> tuple[int, list[_Point]]:
    """One op-table entry per (class, op string, arity); each node is a point of it (k)."""
    key = (cls, op, arity)
    if key not in _UNKNOWN:
        points: list[_Point] = []

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


# ------------------------------------------------------------------ per-node rule tests

@dataclass
class _Probe:
    first: list[float]
    second: list[float]
    third: list[float]
    error: str = ""


def _probe(v: object, kids: list[object]) -> _Probe:
    """Call v's _backward alone three times: seed 1, seed 1 again, seed 2. The children's
    and v's gradients are restored afterwards. (One try block: this runs once per node.)"""
    bw = getattr(v, "_backward", None)
    if not callable(bw):
        return _Probe([], [], [], "it has no callable _backward")
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
    return _Probe(rounds[0], rounds[1], rounds[2], error)


def _expected(m: Mapped, data: list[float], kids: list[int]) -> tuple[float, list[float]]:
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


def _findings(i: int, kid_nodes: list[int], name_of: Callable[[int], str], op: str,
              probe: _Probe, data_out: float, expected: tuple[float, list[float]],
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
    if not _close(data_out, value, RULE_TOL):
        out.append(finding("forward", -1, value, data_out,
                           f"its data is {data_out:.12g}, but {op} of its operands is "
                           f"{value:.12g}: the forward rule is wrong"))
    for c in range(len(kid_nodes)):
        w, first, second, third = want[c], probe.first[c], probe.second[c], probe.third[c]
        if _close(first, w, tol) and (first == 0.0 or not _close(second, first, RULE_TOL)) \
                and _close(second - first, first, tol) \
                and (first == 0.0 or _close(third - second, 2 * first, tol)):
            continue  # the common case: nothing to say, no names needed
        name, cname = name_of(i), name_of(kid_nodes[c])
        if not _close(first, w, tol):
            out.append(finding("local", c, w, first,
                               f"its _backward gives ∂{name}/∂{cname} = {first:.12g}; the local "
                               f"derivative of {op} there is {texts()[c]}{w:.12g}"))
        elif first != 0.0 and _close(second, first, RULE_TOL):
            lost = (f"{cname} feeds {fanout[c]} nodes, and this overwrites whatever the others "
                    "contributed before it ran" if fanout[c] > 1
                    else "harmless only while it feeds one node")
            out.append(finding("assign", c, 2 * first, second,
                               f"called twice, its _backward leaves ∂/∂{cname} at {second:.12g} "
                               f"instead of {2 * first:.12g}: it assigns (=) where it must "
                               f"accumulate (+=); {lost}"))
        elif not _close(second - first, first, tol):
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


# ------------------------------------------------------------------ the check

def _params(params: object) -> tuple[set[int], dict[int, str]] | None:
    if params is None:
        return None
    names: dict[int, str] = {}
    if isinstance(params, dict):
        items: Iterable[object] = params.values()
        names = {id(v): str(k) for k, v in params.items()}
    elif hasattr(params, "_prev") and hasattr(params, "data"):
        items = [params]
    else:
        try:
            items = list(params)  # type: ignore[call-overload]
        except TypeError:
            raise EngineError("params= is a list (or dict of name: Value) of the parameter "
                              "leaves") from None
    return {id(v) for v in items}, names


def _leaf_name(v: object, names: dict[int, str], counter: list[int]) -> str:
    text = getattr(v, "label", "")
    if not isinstance(text, str) or not text.strip():
        text = names.get(id(v), "")
    text = "".join(ch for ch in str(text) if ch.isprintable()).strip()
    if text:
        return clip(text, 40)
    counter[0] += 1
    return f"v{counter[0]}"


def _run_backward(root: object, w: Walk) -> tuple[str, list[str]]:
    """The learner's gradients: backward(), or its closures in reverse topological order."""
    notes: list[str] = []
    for v in w.nodes:
        _set_grad(v, 0.0)
    how = "ran the learner's backward()"
    backward = getattr(root, "backward", None)
    failed = ""
    if callable(backward):
        try:
            backward()
            return how, notes
        except RecursionError:
            failed = ("its backward() hit Python's recursion limit (a recursive topological "
                      f"sort, on a graph of {plural(len(w.nodes), 'node')})")
        except Exception as exc:
            failed = f"its backward() raised {type(exc).__name__}: {clip(str(exc), 80)}"
    else:
        failed = "the root has no backward()"
    for v in w.nodes:
        _set_grad(v, 0.0)
    _set_grad(root, 1.0)
    for v in reversed(w.nodes):
        bw = getattr(v, "_backward", None)
        if callable(bw):
            try:
                bw()
            except Exception:
                pass  # the rule test names the node whose closure raises
    notes.append(f"{failed}: ran its _backward closures in reverse topological order instead")
    return "ran the learner's _backward closures (its backward() failed)", notes


def check_engine(root: object, params: object = None) -> EngineResult:
    """Check a micrograd-style engine's gradients at `root`; see the module doc. Raises
    EngineError when the graph cannot be checked (a cycle, non-numeric data, …)."""
    # A learner's Values are cyclic (out ↔ its closure): with the collector on, building
    # our arrays beside a big graph triggers full collections that walk all of it.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(root, params)
    finally:
        if enabled:
            gc.enable()


def _check(root: object, params: object) -> EngineResult:
    if not (hasattr(root, "data") and hasattr(root, "_prev")):
        raise EngineError(f"check_engine needs a micrograd-style Value (with data, grad, _prev "
                          f"and _op), not {type(root).__name__}")
    w = walk(root)
    n = len(w.nodes)
    data = [number(v) for v in w.nodes]
    chosen = _params(params)
    g = Graph()
    g.source.add("", "<learner's engine>")
    node_of = [0] * n
    ops = ["" for _ in range(n)]
    mapped: list[Mapped | None] = [None] * n
    counter = [0]
    notes: list[str] = []
    set_notes = 0
    names = chosen[1] if chosen else {}
    unchecked: set[int] = set()
    probes: list[_Probe | None] = [None] * n
    for p, v in enumerate(w.nodes):
        kids = w.children[p]
        if not kids:
            is_param = chosen is None or id(v) in chosen[0]
            name = _leaf_name(v, names, counter) if is_param else ""
            if is_param:
                i = g.add(INPUT, value=data[p])
                g.names[i] = name
            else:
                text = getattr(v, "label", "")
                i = g.add(CONST if isinstance(text, str) and text.strip() else LITERAL,
                          value=data[p])
                if g.op[i] == CONST:
                    g.names[i] = _leaf_name(v, {}, counter)
            node_of[p] = i
            continue
        op = str(attr(v, "_op"))
        ops[p] = op
        probes[p] = _probe(v, [w.nodes[c] for c in kids])
        m = classify(op, kids, data, data[p]) if len(kids) <= 2 else None
        if m is None:
            if len(kids) > 2:
                raise EngineError(f"{describe(v)} has {len(kids)} children; the checker rebuilds "
                                  "ops of at most 2 operands")
            m = _unknown(type(v), op, kids, data, data[p], probes[p])
            unchecked.add(p)
        if m.note and "set" in m.note:
            set_notes += 1
        mapped[p] = m
        i = g.add(m.code, node_of[m.a], node_of[m.b] if m.b >= 0 else -1, m.k)
        text = getattr(v, "label", "")
        if isinstance(text, str) and text.strip():
            g.names[i] = clip("".join(ch for ch in text if ch.isprintable()), 40)
        node_of[p] = i
    out = node_of[n - 1]
    try:
        g.forward()
        g.backward(out)
    except EvalError as err:
        raise EngineError(f"backprop-tui cannot evaluate {label(g, err.node)} at the learner's "
                          f"values: {err.message}") from None
    how, more = _run_backward(root, w)
    notes += more
    learner = [_grad(v) for v in w.nodes]
    pos_of = {node_of[p]: p for p in range(n)}
    fanout = [0] * n
    for p in range(n):
        m = mapped[p]
        if m is not None:
            for q in {m.a, m.b} - {-1}:
                fanout[q] += 1
    shown: dict[int, str] = {}

    def name_of(i: int) -> str:
        if i not in shown:
            shown[i] = label(g, i)
        return shown[i]

    # Rule findings, per op node.
    findings_at: dict[int, list[RuleFinding]] = {}
    for p in range(n):
        m, probe = mapped[p], probes[p]
        if m is None or probe is None:
            continue
        kids = w.children[p]
        i = node_of[p]
        tol = FD_TOL if p in unchecked else RULE_TOL
        if p in unchecked and not _has_rerun(m):
            continue  # linearised with the learner's own rule: nothing to compare against
        expected = _expected(m, data, kids) if p not in unchecked else (
            g.value[i], _fd_expected(g, i, kids, node_of))
        found = _findings(i, [node_of[c] for c in kids], name_of, ops[p], probe, data[p],
                          expected, tol, [fanout[c] for c in kids],
                          partial(_deriv_texts, g, i, kids, node_of))
        if found:
            # On a fan-out operand an assignment loses gradient: name that one first.
            found.sort(key=lambda f: (f.problem != "raised", f.problem != "forward",
                                      f.problem != "local", "overwrites" not in f.message))
            findings_at[i] = found
    # Gradients: the learner's, ours, finite differences.
    order = g.step_order(out)[1]
    fd_nodes = _fd_nodes(g, order, out)
    numeric: dict[int, float] = {}
    if fd_nodes:
        rows, _, _ = gradcheck.check(g, out, fd_nodes)
        numeric = {r.id: r.numeric for r in rows}
    table: list[EngineRow] = []
    differ = 0
    for i in order:
        p = pos_of[i]
        takes = g.takes_grad(i)
        ours = g.grad[i] if takes else None
        verdict: GradVerdict = "n/a"
        if ours is not None:
            verdict = "same" if _close(learner[p], ours, GRAD_TOL) else "differs"
            differ += verdict == "differs"
        rule: RuleVerdict = ("leaf" if not w.children[p] else "wrong" if i in findings_at
                             else "unchecked" if p in unchecked and not _has_rerun(mapped[p])
                             else "pass")
        # Labels for the rows a report prints and those with news; past those, a name only
        # (a label costs ~0.1 ms: 1e6 of them would dominate the check).
        named = g.names.get(i)
        text = (name_of(i) if len(table) < LABELLED_ROWS or rule == "wrong"
                or verdict == "differs" and differ <= LABELLED_ROWS else named or "")
        table.append(EngineRow(i, text, ops[p], g.value[i], learner[p], ours, numeric.get(i),
                               verdict, rule))
    findings = [f for i in order for f in findings_at.get(i, [])]
    first = findings[0] if findings else None
    if first is None and differ:
        bad = next(r for r in table if r.grads == "differs")
        first = RuleFinding(bad.id, bad.node, bad.op or "leaf", "order", "", bad.backprop,
                            bad.learner, "every node's rule passed on its own, but the "
                            f"learner's gradient of {bad.node} is {bad.learner:.12g} where "
                            f"backprop-tui's is {bad.backprop:.12g}: backward() visits the nodes "
                            "in a wrong order, skips some, or changes gradients between calls")
        findings.append(first)
    if set_notes:
        notes.append(f"{plural(set_notes, 'node')} list one child for two operands (_prev is a "
                     "set, so a*a keeps a once): rebuilt with that child in both slots; its "
                     "_backward must add both contributions")
    if unchecked:
        kinds = sorted({ops[p] for p in unchecked})
        notes.append(f"{plural(len(unchecked), 'node')} use ops backprop-tui does not know "
                     f"({', '.join(clip(k, 12) for k in kinds[:5])}): evaluated by re-running the "
                     "learner's method of that name and judged by finite differences, or, with "
                     "no such method, linearised with the learner's own rule (unchecked)")
    if chosen is not None:
        lits = sum(1 for p in range(n) if not w.children[p] and id(w.nodes[p]) not in chosen[0])
        if lits:
            notes.append(f"{lits:,} lea{'f is' if lits == 1 else 'ves are'} not in params=: "
                         "constants, no gradient compared")
    skipped = sum(1 for i in order if g.takes_grad(i)) - len(fd_nodes)
    if skipped > 0:
        notes.append(f"finite differences for {len(fd_nodes):,} of {len(fd_nodes) + skipped:,} "
                     "nodes (inputs first; the rest would cost more than "
                     f"{FD_BUDGET:,} node evaluations)")
    event = EngineCheck(first is None, n, sum(1 for p in range(n) if w.children[p]),
                        sum(1 for i in order if g.op[i] == INPUT), how, first, findings, table,
                        notes, len(fd_nodes), differ)
    prog = Program.from_graph(g, out)
    return EngineResult(event, prog, {node_of[p]: learner[p] for p in range(n)}, numeric)


def _has_rerun(m: Mapped | None) -> bool:
    if m is None:
        return False
    for code, points in _UNKNOWN.values():
        if code == m.code:
            return points[int(m.k)].rerun is not None
    return True


def _unknown(cls: type, op: str, kids: list[int], data: list[float], out: float,
             probe: _Probe | None) -> Mapped:
    arity = len(kids)
    code, points = _unknown_code(cls, op, arity)
    a0 = data[kids[0]]
    b0 = data[kids[1]] if arity == 2 else 0.0
    run = _rerun(cls, op, arity)
    if run is not None:
        try:
            if not _close(run(a0, b0), out, RULE_TOL):
                run = None
        except (ValueError, ZeroDivisionError, OverflowError):
            run = None
    first = probe.first if probe is not None and not probe.error else [math.nan] * arity
    points.append(_Point(run, a0, b0, out, first[0], first[1] if arity == 2 else 0.0))
    return Mapped(code, kids[0], kids[1] if arity == 2 else -1, float(len(points) - 1))


def _deriv_texts(g: Graph, i: int, kids: list[int], node_of: list[int]) -> list[str]:
    """'x1 = ' for each distinct child: the op table's local derivative in symbols ('x + x =
    ' when the child is both operands)."""
    parts: list[list[str]] = [[] for _ in kids]
    for slot, j in enumerate(g.operands(i)):
        for c, kid in enumerate(kids):
            if node_of[kid] == j:
                parts[c].append(deriv_text(g, i, slot))
                break
    return [" + ".join(p) + " = " if p and p != ["?"] else "" for p in parts]


def _fd_expected(g: Graph, i: int, kids: list[int], node_of: list[int]) -> list[float]:
    """An unknown op's local derivatives, from its re-run (the op's deriv is FD of it)."""
    ds = g.local_derivs(i)
    want = [0.0] * len(kids)
    for slot, j in enumerate(g.operands(i)):
        for c, kid in enumerate(kids):
            if node_of[kid] == j:
                want[c] += ds[slot]
                break
    return want


def _fd_nodes(g: Graph, order: list[int], out: int) -> list[int]:
    """Nodes to estimate by finite differences: all on a small graph; else inputs first,
    then the others in backward order, while the re-evaluations fit FD_BUDGET."""
    takes = [i for i in order if g.takes_grad(i)]
    if len(g) <= FD_ALL:
        return takes
    chosen, spent = [], 0
    for i in sorted(takes, key=lambda i: g.op[i] != INPUT):
        cost = 3 * (out - i + 1)  # two evaluations and the scan for what lies downstream
        if spent + cost > FD_BUDGET:
            continue
        spent += cost
        chosen.append(i)
    return chosen


__all__ = ["EngineError", "EngineResult", "check_engine"]
