"""The plain records events carry: a node as views show it, its chain-rule terms, a
verdict, which node f is. Standard library only (as events.py, which imports them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["pass", "fail", "kink"]
CheckMode = Literal["central", "forward", "richardson", "complex"]
# The state of a node's gradient as the stepping session has it.
GradState = Literal["none", "not computed", "partial", "final"]


@dataclass
class Contribution:
    """One operand's share of a backward step: ∂f/∂x gets 2x·1 = 4 (0 → 4)."""

    to_id: int
    to: str
    local: float
    local_text: str
    upstream: float
    contribution: float
    before: float
    after: float


@dataclass
class TangentTerm:
    """One operand's share of a forward-mode step: ∂v/∂u · u̇ (u̇ = 0: no share)."""

    operand_id: int
    operand: str
    local: float
    local_text: str
    tangent: float  # u̇, the operand's tangent in this pass
    product: float


@dataclass
class CheckVerdict:
    """The last :check's verdict on one node, and whether it is about the gradient shown
    now. The check compares the FINAL gradient (full passes): before the node's backward
    step the gradient on screen is still partial, and the verdict is pending."""

    verdict: Verdict
    numeric: float  # the finite-difference estimate
    analytic: float  # the final gradient it was compared with
    applies: bool  # the gradient shown now is that final gradient
    mode: CheckMode
    h: float


@dataclass
class NodeInfo:
    id: int
    label: str
    op: str
    value: float | None  # None: not yet computed (or outside f's graph and not computable)
    grad: float | None  # None: no gradient (a constant, or outside f's graph)
    final: bool
    operands: list[int]
    span: str  # line:column in its file ("7:7-8")
    formula: str = ""
    note: str = ""  # e.g. "not part of f = z; its value is from a full forward pass"
    in_f: bool = True  # part of f's graph
    shadowed: bool = False  # its name has since been bound to another node
    # The statement the node comes from, for a line typed in a session (REPL_FILE): there a
    # line:column points into a buffer the user never sees, so views show this instead.
    statement: str = ""
    grad_state: GradState = "none"
    complete: bool = False  # every term of the gradient is in (final may come later)
    verdict: CheckVerdict | None = None
    call: str = ""  # the function call that created the node (neuron#2), if any
    # Another engine's gradient of the same node (a learner's, from check_engine), and the
    # finite-difference estimate made beside it: None when there is none.
    other_grad: float | None = None
    other_name: str = ""
    numeric: float | None = None
    tangent: float | None = None  # forward mode: ∂node/∂seed, once computed in this pass


@dataclass
class ChainTerm:
    """One term of ∂f/∂node = Σ over the node's consumers c in f's graph of ∂f/∂c · ∂c/∂node.
    None: not known yet (local before the forward pass computed c, upstream before the
    backward pass started)."""

    consumer: int
    consumer_label: str
    local: float | None  # ∂c/∂node at the stored values
    local_text: str  # the same in symbols: 2x, 3, 1-tanh(u)²
    upstream: float | None  # ∂f/∂c as it is now (final once arrived)
    product: float | None
    arrived: bool  # c's backward step has pushed this term


@dataclass
class OutputInfo:
    """Which node f is and why: for a status line."""

    id: int
    label: str
    name: str  # the name bound to it, or ""
    chosen: bool  # picked with :output (else: the last statement)
    reason: str
    nodes: int  # in f's graph
    inputs: int
    outside: int  # nodes of the program that f does not use


@dataclass
class LocalDeriv:
    """∂node/∂operand at the stored values: symbol text and number."""

    operand: int
    operand_label: str
    text: str
    value: float
