"""Events: what a session reports, as plain data. Standard library only.

Every view renders these: the TUI as widgets, headless mode as a transcript (render_text),
``--json`` as JSON Lines (``to_dict``). No event knows how it is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal

from .records import (
    ChainTerm,
    CheckMode,
    Contribution,
    NodeInfo,
    TangentTerm,
    Verdict,
)

PhaseName = Literal["forward", "backward"]
PhaseStatus = Literal["done", "reset"]
ExpectWhat = Literal["value", "grad", "tangent", "check", "error"]
# What stepping computes: backprop (a forward then a backward pass) or forward-mode AD
# (tangent passes, one per seeded input).
Mode = Literal["reverse", "forward"]


def json_num(x: Any) -> Any:
    """JSON has no inf/nan: write them as strings so every line stays valid JSON."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if x != x else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: json_num(v) for k, v in x.items()}
    if isinstance(x, list):
        return [json_num(v) for v in x]
    return x


def _plain(x: Any) -> Any:
    if hasattr(x, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in vars(x).items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


@dataclass
class Event:
    kind: ClassVar[str] = "event"
    line: int = field(default=0, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event": self.kind, "line": self.line}
        for f in fields(self):
            if f.name != "line":
                data[f.name] = json_num(_plain(getattr(self, f.name)))
        return data


def event_types() -> list[type[Event]]:
    """Every Event subclass defined in the package's modules loaded so far (events.py,
    reports.py, engine_events.py…): for tests and tables that must cover them all."""
    found, todo = [], [Event]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls is not Event and cls.__module__.startswith("backprop_tui."):
            found.append(cls)
    return found


@dataclass
class Step(Event):
    """One forward or backward step. In forward mode (mode "forward") every step is a
    forward step that also computes the node's tangent ∂node/∂seed."""

    kind: ClassVar[str] = "step"
    phase: PhaseName
    id: int
    node: str
    value: float
    grad: float | None
    step: int  # 1-based index within the phase
    total: int
    formula: str = ""
    contributions: list[Contribution] = field(default_factory=list)
    seeded: bool = False
    final: bool = False
    kink: str = ""
    mode: Mode = "reverse"
    tangent: float | None = None  # forward mode: ∂node/∂seed
    tangent_terms: list[TangentTerm] = field(default_factory=list)
    seed: str = ""  # forward mode: the input this pass differentiates by
    pass_no: int = 0  # forward mode: 1-based tangent pass, of `passes`
    passes: int = 0


@dataclass
class Back(Event):
    """Steps undone with :back; the state is exactly as before them."""

    kind: ClassVar[str] = "back"
    steps: int
    phase: PhaseName
    position: str
    id: int | None
    node: str | None


@dataclass
class Statement(Event):
    """A statement was added to the program: it is f now. `nodes` and `inputs` count f's
    graph; `outside` the nodes of the program that f does not use."""

    kind: ClassVar[str] = "statement"
    source: str
    id: int
    node: str
    value: float | None
    nodes: int
    inputs: int
    forward_steps: int
    backward_steps: int
    name: str = ""  # the name the statement bound (x2 = 3x), "" for an expression
    outside: int = 0


@dataclass
class NewSession(Event):
    """:new — the program, breakpoints and check are gone; nothing is differentiated."""

    kind: ClassVar[str] = "new"
    message: str


@dataclass
class Defined(Event):
    """A function was defined: its calls inline `ops` operations each."""

    kind: ClassVar[str] = "defined"
    name: str
    params: list[str]
    source: str
    ops: int
    redefines: bool = False


@dataclass
class Error(Event):
    kind: ClassVar[str] = "error"
    message: str
    file: str = ""
    at_line: int = 0
    col: int = 0
    span: str = ""
    caret: str = ""


@dataclass
class Warn(Event):
    kind: ClassVar[str] = "warning"
    message: str
    id: int | None = None
    node: str | None = None


@dataclass
class Info(Event):
    """Plain information: help, breakpoint lists, confirmations."""

    kind: ClassVar[str] = "info"
    message: str


@dataclass
class Exported(Event):
    """A file was written (:export, :record stop): what it holds, and where it is, so a
    served session can hand it to the browser as a download."""

    kind: ClassVar[str] = "export"
    message: str
    path: str = ""
    format: str = ""  # dot, markdown, latex, csv, html, bp


@dataclass
class Phase(Event):
    """A pass finished, or stepping was reset."""

    kind: ClassVar[str] = "phase"
    phase: PhaseName
    status: PhaseStatus
    message: str = ""


@dataclass
class BreakHit(Event):
    kind: ClassVar[str] = "break"
    id: int
    node: str
    reason: str


@dataclass
class ShowNode(Event):
    kind: ClassVar[str] = "node"
    info: NodeInfo
    local: list[str] = field(default_factory=list)
    terms: list[ChainTerm] = field(default_factory=list)  # the chain rule at this node: the
    more_terms: int = 0  # first terms, and how many more there are (a hub feeds thousands)
    more_pending: int = 0  # of those, not yet arrived
    is_output: bool = False  # the node is f: its gradient is the seed, 1


@dataclass
class Nodes(Event):
    kind: ClassVar[str] = "nodes"
    nodes: list[NodeInfo]
    outside: int = 0  # nodes not listed: outside f's graph
    all: bool = False  # :nodes all: those are listed too, marked


@dataclass
class GraphText(Event):
    kind: ClassVar[str] = "graph"
    lines: list[str]


@dataclass
class CheckRow:
    id: int
    node: str
    analytic: float
    numeric: float
    abs_err: float
    rel_err: float
    h: float
    verdict: Verdict
    evals: int
    mode: CheckMode = "central"
    wrt: int | None = None  # order 2: the row is ∂²f/∂(id)∂(wrt), wrt the perturbed input


@dataclass
class Check(Event):
    """:check — backprop's gradient (order 1) or the Hessian (order 2, evals counting
    gradient evaluations) against finite differences or the complex step."""

    kind: ClassVar[str] = "check"
    mode: CheckMode
    rows: list[CheckRow]
    evals: int
    inputs: int
    atol: float
    rtol: float
    all_pass: bool
    cancelled: bool = False
    order: int = 1
    verbose: bool = False  # every row in the text; else, past 20 rows, a summary and the failures


@dataclass
class HSweepRow:
    h: float
    forward: float
    forward_err: float  # |estimate − backprop|
    central: float
    central_err: float
    richardson: float = math.nan
    richardson_err: float = math.nan
    complex: float = math.nan
    complex_err: float = math.nan


@dataclass
class HSweep(Event):
    kind: ClassVar[str] = "hsweep"
    id: int
    node: str
    analytic: float
    rows: list[HSweepRow]
    best_forward: float
    best_central: float
    best_richardson: float = math.nan
    best_complex: float = math.nan


@dataclass
class Summary(Event):
    """The stable summary object: the last line of a --json run."""

    kind: ClassVar[str] = "summary"
    output: dict[str, Any] | None
    inputs: list[dict[str, Any]]  # f's inputs
    nodes: list[dict[str, Any]]  # f's graph
    outside: int = 0  # nodes of the program that f does not use
    # Passes for all of f's partials: {"inputs": n, "forward_mode": n (tangent passes),
    # "reverse_mode": 2 (one forward, one backward)}. Text only: not in the JSON object.
    passes: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return json_num({"event": "summary", "output": self.output, "inputs": self.inputs,
                         "nodes": self.nodes, "outside": self.outside})


# ---------------------------------------------------------------- replay files

@dataclass
class Say(Event):
    """Narration from a replay file (:say): the TUI shows it, headless mode prints it."""

    kind: ClassVar[str] = "say"
    message: str


@dataclass
class Pause(Event):
    """Pacing (:pause): the TUI waits this long; headless mode does not."""

    kind: ClassVar[str] = "pause"
    seconds: float


@dataclass
class Expect(Event):
    """An :expect line's verdict. `claim` and `got` are the readable forms of
    expected/actual; file:at_line is where the expectation is written."""

    kind: ClassVar[str] = "expect"
    what: ExpectWhat
    node: str | None
    expected: float | str | None
    actual: float | str | None
    tol: float | None  # absolute tolerance when given with ±, else None (the default rule)
    passed: bool
    claim: str
    got: str
    file: str = ""
    at_line: int = 0


@dataclass
class Load(Event):
    """:load began running another file's lines here."""

    kind: ClassVar[str] = "load"
    path: str
    depth: int = 1


@dataclass
class Echo(Event):
    """A line run inside an interactive :load, so a log shows what produced what follows."""

    kind: ClassVar[str] = "echo"
    source: str
    file: str
    at_line: int
