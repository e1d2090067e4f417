"""The evaluation trace of a session's function, as plain rows (Baydin et al. 2018, Tables 2–3).

The primal trace lists the inputs as v₁₋ₙ … v₀ and each operation of f's graph as v₁ … v_l
in the order the forward steps evaluate them (program order), each with its formula and
numbers. The adjoint trace follows the backward steps (the exact reverse): the seed f̄ = 1,
then every push of a gradient to an operand as an accumulation with numbers,
``x̄ = x̄ + x̅²̅·2x = 9 + 4 = 13`` (the first push to a node is an assignment, as in Baydin's
table: ``x̄ = 3̅x̅·3 = 3·3 = 9``). Literals and constants take no gradient: no push, no row.

The rows come from the session's own stepping (`walk`): the exporters show exactly the
numbers the TUI and the transcript show. Walking takes the session to the end of both passes
and back to where it was, through its undo log (O(1) per step), so its state is unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from ..events import Error, Step
from ..labels import fmt_val
from ..records import Contribution
from ..session import Session

_SUB = str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋")
_MACRON, _OVERLINE = "\u0304", "\u0305"
SHORT_LABEL = 4  # a node's adjoint is written over its label up to this length, else as v̄ᵢ


def v_name(index: int) -> str:
    """Baydin's name for a trace index: v₋₁, v₀, v₃."""
    return "v" + str(index).translate(_SUB)


def bar(label: str) -> str:
    """The adjoint of a node, written over its label: x̄, x̄₁, and 3̅x̅ for longer labels
    (a combining overline on every character reads as one bar over the whole)."""
    if len(label) == 1:
        return label + _MACRON
    head, tail = label[0], label[1:]
    if head.isalpha() and tail and all(ch in "₀₁₂₃₄₅₆₇₈₉₋" for ch in tail):
        return head + _MACRON + tail
    return "".join(ch + _OVERLINE for ch in label)


def adjoint(label: str, index: int | None) -> str:
    """How a row names a node's adjoint: over its label when short (x̄, 3̅x̅), else by its
    trace index (v̄₄), which the row's v̄ column and the primal trace tie to the label."""
    if len(label) <= SHORT_LABEL or index is None:
        return bar(label)
    return bar(v_name(index))


def local_text(text: str) -> str:
    """A local derivative as a factor: -1 → (-1), so that 'v̄·(-1)' reads as a product."""
    return f"({text})" if text.startswith("-") else text


def num(x: float) -> str:
    """A number inside a formula: negative numbers in parentheses, as labels.numbers does."""
    s = fmt_val(x)
    return f"({s})" if s.startswith("-") else s


@dataclass
class PrimalRow:
    """One line of the primal trace: vᵢ = its formula with numbers = its value."""

    index: int  # Baydin's index: inputs 1-n … 0, operations 1 … l
    node: int  # the graph's node id
    label: str
    kind: Literal["input", "op"]
    formula: str  # '3x = 3 × 2 = 6'; an input: 'x = 2'
    value: float


@dataclass
class AdjointRow:
    """One line of the adjoint trace: the seed, or one push of a gradient to an operand."""

    step: int  # the backward step (1-based) that made it
    index: int  # the receiving node's trace index (v̄ᵢ)
    node: int
    label: str
    kind: Literal["seed", "assign", "accumulate"]
    formula: str  # 'x̄ = x̄ + x̅²̅·2x = 9 + 4 = 13'
    value: float  # the adjoint after this row
    # The push's parts (the seed has only value = 1): from which node, with what local
    # derivative (symbol text and number), upstream adjoint, contribution, before → after.
    source: int | None = None
    source_index: int | None = None
    source_label: str = ""
    local_text: str = ""
    local: float = math.nan
    upstream: float = math.nan
    contribution: float = math.nan
    before: float = 0.0


@dataclass
class InputGrad:
    name: str
    index: int
    node: int
    value: float
    grad: float | None  # None when the backward pass did not finish


@dataclass
class Trace:
    output: int
    output_label: str
    value: float | None  # f's value, None when the forward pass stopped
    source: list[str]  # the program's statements, as typed
    primal: list[PrimalRow] = field(default_factory=list)
    adjoint: list[AdjointRow] = field(default_factory=list)
    inputs: list[InputGrad] = field(default_factory=list)
    constants: list[tuple[str, float]] = field(default_factory=list)  # declared consts used
    complete: bool = True
    error: str = ""  # why the trace stops early (an evaluation error)


@dataclass
class Walk:
    """Every step of both passes, as the session reports them, and where it stopped."""

    steps: list[Step]
    error: Error | None
    start: int  # the session's position before the walk (it is back there now)


def walk(s: Session) -> Walk:
    """Step the session through both passes from the start, collecting each step's event,
    then put it back where it was (the undo log restores values and gradients exactly)."""
    s.require_program()
    start = s.pos
    if s.pos:
        s.back(s.pos)
    steps: list[Step] = []
    error = None
    for ev in s.step(s.steps_total):
        if isinstance(ev, Step):
            steps.append(ev)
        elif isinstance(ev, Error):
            error = ev
    s.run_to(start)
    return Walk(steps, error, start)


def trace(s: Session, w: Walk | None = None) -> Trace:
    """The primal and adjoint traces of f = the session's output (full passes)."""
    w = w or walk(s)
    g = s.prog.graph
    out = s.require_program()
    index: dict[int, int] = {}
    inputs = [(name, i) for name, i in s.prog.inputs() if s.in_cone(i)]
    for k, (_, i) in enumerate(inputs):
        index[i] = k + 1 - len(inputs)
    ops = [st for st in w.steps if st.phase == "forward"]
    for k, st in enumerate(ops):
        index[st.id] = k + 1
    t = Trace(out, s.node_info(out).label, None, [c.text for c in g.source.chunks])
    for name, i in inputs:
        v = g.value[i]
        t.primal.append(PrimalRow(index[i], i, name, "input", f"{name} = {fmt_val(v)}", v))
    for st in ops:
        t.primal.append(PrimalRow(index[st.id], st.id, st.node, "op", st.formula, st.value))
    fwd_done = len(ops) == len(s.fwd)
    if fwd_done:
        t.value = ops[-1].value if ops else g.value[out]
    pushed: set[int] = set()
    for st in (st for st in w.steps if st.phase == "backward"):
        if st.seeded:
            t.adjoint.append(AdjointRow(st.step, index.get(st.id, 0), st.id, st.node, "seed",
                                        f"{adjoint(st.node, index.get(st.id))} = 1 (the seed: "
                                        "∂f/∂f = 1)", 1.0))
        for c in st.contributions:
            t.adjoint.append(_push_row(st, c, index, c.to_id in pushed))
            pushed.add(c.to_id)
    finals = {st.id: st.grad for st in w.steps if st.phase == "backward"}
    for name, i in inputs:
        t.inputs.append(InputGrad(name, index[i], i, g.value[i], finals.get(i)))
    t.constants = sorted({(name, g.value[i]) for name, i in s.prog.bindings.items()
                          if s.in_cone(i) and not g.takes_grad(i) and g.is_leaf(i)})
    t.complete = w.error is None and len(w.steps) == s.steps_total
    if w.error is not None:
        t.error = w.error.message
    return t


def _push_row(st: Step, c: Contribution, index: dict[int, int], again: bool) -> AdjointRow:
    to, src = adjoint(c.to, index.get(c.to_id)), adjoint(st.node, index.get(st.id))
    local = local_text(c.local_text)
    if again:
        text = (f"{to} = {to} + {src}·{local} = {fmt_val(c.before)} + "
                f"{num(c.contribution)} = {fmt_val(c.after)}")
    else:
        text = f"{to} = {src}·{local} = {num(c.upstream)}·{num(c.local)} = {fmt_val(c.after)}"
    return AdjointRow(st.step, index.get(c.to_id, 0), c.to_id, c.to,
                      "accumulate" if again else "assign", text, c.after, st.id,
                      index.get(st.id), st.node, c.local_text, c.local, c.upstream,
                      c.contribution, c.before)
