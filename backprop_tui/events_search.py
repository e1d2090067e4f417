"""Events of the tools that find the wrong gradient in a big graph (watches, searches,
rankings, sorting, paths, the check's diagnosis), as plain data like events.py's (standard
library only): each carries node ids, for a view to list, filter its node table with or
highlight in its graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from .events import Event

SortKey = Literal["grad", "value", "error", "op", "id"]
# A watched gradient's state: session_queries.grad_state's words (GradState).
WatchState = Literal["none", "not computed", "partial", "final"]


@dataclass
class WatchRow:
    id: int
    node: str
    value: float | None  # None: not computed yet
    # ∂f/∂node so far (None: none yet, a constant, not part of f); in forward mode the
    # pass's tangent ∂node/∂seed, with state "none"
    grad: float | None
    state: WatchState


@dataclass
class Watch(Event):
    """The watched nodes after a step (gdb's display)."""

    kind: ClassVar[str] = "watch"
    rows: list[WatchRow]


@dataclass
class Found(Event):
    """Nodes a search or a filter picked (:find, /TEXT, :filter), for a view to list,
    select or keep in its table."""

    kind: ClassVar[str] = "found"
    what: Literal["find", "filter"]
    query: str  # the text searched for, or the filter (fail, kink, nan, op:NAME, in:NODE)
    ids: list[int]
    labels: list[str]  # of the first SHOWN ids only
    # :find alone goes to the next match of the last search: ids holds that one node,
    # index its place among the search's `total` matches. -1 for a search or a filter.
    index: int = -1
    total: int = 0
    SHOWN: ClassVar[int] = 30


@dataclass
class TopRow:
    id: int
    node: str
    op: str
    value: float
    grad: float | None  # None: a constant (no gradient)
    key: float  # |grad|, |value| or the check's absolute error; nan for op and id order


@dataclass
class Top(Event):
    """:top N grad|value|error: the largest first, from full passes (or the last check)."""

    kind: ClassVar[str] = "top"
    what: str
    rows: list[TopRow]
    total: int  # nodes ranked


@dataclass
class Sorted(Event):
    """:sort KEY: f's nodes in that order (the node table follows it); the first rows."""

    kind: ClassVar[str] = "sorted"
    key: SortKey
    rows: list[TopRow]
    total: int
    SHOWN: ClassVar[int] = 20


@dataclass
class PathEvent(Event):
    """:path: the nodes on some path from a node to f (for a view to highlight), how many
    distinct paths there are, and one shortest path."""

    kind: ClassVar[str] = "path"
    source: int
    source_label: str
    target: int
    target_label: str
    ids: list[int]
    paths: int
    shortest: list[int]
    shortest_labels: list[str]


@dataclass
class Diagnosis(Event):
    """After a check of every node with failures: where the wrong gradient starts. "rule":
    node `id`'s own local derivative disagrees with finite differences of that node alone
    (a user operator's, or an op an imported engine brought); "engine": an imported
    engine's gradient of `operand` disagrees with finite differences while every node
    reading it agrees, so the _backward of `id`, which pushes into it, is wrong (rule and
    numeric are then ∂f/∂operand, the engine's and by finite differences); "start": no rule
    is to blame, so the first failing node in backward order whose consumers all pass."""

    kind: ClassVar[str] = "diagnosis"
    how: Literal["rule", "engine", "start"]
    id: int
    node: str
    op: str
    operand: int | None = None  # the operand whose local derivative is wrong ("rule")
    operand_label: str = ""
    rule: float | None = None  # ∂node/∂operand by the node's rule
    numeric: float | None = None  # by central differences of the node alone
    failures: int = 0  # nodes whose gradient failed
    inherited: int = 0  # of them, those upstream of `id` (they inherit its error)
