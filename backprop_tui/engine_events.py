"""The engine checker's report as plain data (standard library only): one row per node of the
learner's graph, the rule problems found, and the first one in backward order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from .events import Event

GradVerdict = Literal["same", "differs", "n/a"]
RuleVerdict = Literal["pass", "wrong", "unchecked", "leaf"]
Problem = Literal["raised", "missing", "forward", "local", "assign", "upstream", "order"]


@dataclass
class EngineRow:
    """One node: the learner's gradient, backprop-tui's, the finite-difference estimate."""

    id: int
    node: str
    op: str  # the learner's op string ('' for a leaf)
    value: float
    learner: float | None
    backprop: float | None  # None: a literal or constant, which takes no gradient
    numeric: float | None  # None: not estimated (a constant, or past the budget)
    grads: GradVerdict  # the learner's gradient against backprop-tui's
    rule: RuleVerdict  # the node's own _backward, tested alone


@dataclass
class RuleFinding:
    """A node whose own rule is wrong: what it did, what the op table says it should do."""

    id: int
    node: str
    op: str
    problem: Problem
    operand: str
    expected: float | None
    actual: float | None
    message: str


@dataclass
class EngineCheck(Event):
    """check_engine's report on a micrograd-style engine."""

    kind: ClassVar[str] = "engine"
    ok: bool
    nodes: int
    op_nodes: int
    gradients: int  # leaves that take a gradient (all of them, or the params= ones)
    backward: str  # how the learner's gradients were obtained
    first: RuleFinding | None
    findings: list[RuleFinding] = field(default_factory=list)
    rows: list[EngineRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fd_nodes: int = 0
    differ: int = 0  # nodes whose learner gradient differs from backprop-tui's
