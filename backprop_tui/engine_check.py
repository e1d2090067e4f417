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
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from . import gradcheck
from .engine_events import EngineCheck, EngineRow, GradVerdict, RuleFinding, RuleVerdict
from .graph import EvalError, Graph
from .labels import label
from .language import Program
from .learner import EngineError, Mapped, Walk, attr, classify, describe, number, rules, unknown, walk
from .learner.rules import FD_TOL, RULE_TOL, Probe, close, grad_of, set_grad
from .ops import CONST, INPUT, LITERAL
from .textutil import clip, plural

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
        set_grad(v, 0.0)
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
        set_grad(v, 0.0)
    set_grad(root, 1.0)
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
    probes: list[Probe | None] = [None] * n
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
        probes[p] = rules.probe(v, [w.nodes[c] for c in kids])
        m = classify(op, kids, data, data[p]) if len(kids) <= 2 else None
        if m is None:
            if len(kids) > 2:
                raise EngineError(f"{describe(v)} has {len(kids)} children; the checker rebuilds "
                                  "ops of at most 2 operands")
            m = unknown.unknown(type(v), op, kids, data, data[p], probes[p])
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
    learner = [grad_of(v) for v in w.nodes]
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
        if p in unchecked and not unknown.has_rerun(m):
            continue  # linearised with the learner's own rule: nothing to compare against
        want = rules.expected(m, data, kids) if p not in unchecked else (
            g.value[i], rules.fd_expected(g, i, kids, node_of))
        found = rules.findings(i, [node_of[c] for c in kids], name_of, ops[p], probe, data[p],
                               want, tol, [fanout[c] for c in kids],
                               partial(rules.deriv_texts, g, i, kids, node_of))
        if found:
            # On a fan-out operand an assignment loses gradient: name that one first.
            found.sort(key=lambda f: (f.problem != "raised", f.problem != "forward",
                                      f.problem != "local", "overwrites" not in f.message))
            findings_at[i] = found
    # Gradients: the learner's, ours, finite differences.
    # Every node of f's graph, leaves included (the learner's constants get a row), in
    # reverse creation order: a reverse topological order, as backward steps run.
    cone = g.cone(out)
    order = [i for i in range(out, -1, -1) if cone[i]]
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
            verdict = "same" if close(learner[p], ours, GRAD_TOL) else "differs"
            differ += verdict == "differs"
        rule: RuleVerdict = ("leaf" if not w.children[p] else "wrong" if i in findings_at
                             else "unchecked" if p in unchecked and not unknown.has_rerun(mapped[p])
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
