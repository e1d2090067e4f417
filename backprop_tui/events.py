"""Events: what a session reports, as plain data. Standard library only.

Every view renders these: the TUI as widgets, headless mode as a transcript (render_text),
``--json`` as JSON Lines (``to_dict``). No event knows how it is drawn.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Literal

PhaseName = Literal["forward", "backward"]
PhaseStatus = Literal["done", "reset"]
Verdict = Literal["pass", "fail", "kink"]
CheckMode = Literal["central", "forward"]
ExpectWhat = Literal["value", "grad", "check", "error"]
# The state of a node's gradient as the stepping session has it.
GradState = Literal["none", "not computed", "partial", "final"]


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
class Step(Event):
    """One forward or backward step."""

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
    """A statement was added to the program."""

    kind: ClassVar[str] = "statement"
    source: str
    id: int
    node: str
    value: float | None
    nodes: int
    inputs: int
    forward_steps: int
    backward_steps: int


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
class NodeInfo:
    id: int
    label: str
    op: str
    value: float | None
    grad: float | None
    final: bool
    operands: list[int]
    span: str
    formula: str = ""


@dataclass
class LocalDeriv:
    """∂node/∂operand at the stored values: symbol text and number."""

    operand: int
    operand_label: str
    text: str
    value: float


@dataclass
class ShowNode(Event):
    kind: ClassVar[str] = "node"
    info: NodeInfo
    local: list[str] = field(default_factory=list)


@dataclass
class Nodes(Event):
    kind: ClassVar[str] = "nodes"
    nodes: list[NodeInfo]


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


@dataclass
class Check(Event):
    kind: ClassVar[str] = "check"
    mode: CheckMode
    rows: list[CheckRow]
    evals: int
    inputs: int
    atol: float
    rtol: float
    all_pass: bool
    cancelled: bool = False


@dataclass
class HSweepRow:
    h: float
    forward: float
    forward_err: float
    central: float
    central_err: float


@dataclass
class HSweep(Event):
    kind: ClassVar[str] = "hsweep"
    id: int
    node: str
    analytic: float
    rows: list[HSweepRow]
    best_forward: float
    best_central: float


@dataclass
class Summary(Event):
    """The stable summary object: the last line of a --json run."""

    kind: ClassVar[str] = "summary"
    output: dict[str, Any] | None
    inputs: list[dict[str, Any]]
    nodes: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return json_num({"event": "summary", "output": self.output, "inputs": self.inputs,
                         "nodes": self.nodes})


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


# ---------------------------------------------------------------- :compare

@dataclass
class Timing:
    seconds: float  # wall time of one run of the method (all n partial derivatives)
    runs: int = 1  # how many runs the figure is taken over
    estimated: bool = False  # extrapolated from a sample (the full run would exceed the budget)


@dataclass
class InputRow:
    name: str
    node: int
    value: float
    backprop: float
    fd_central: float | None  # None: not computed within the time budget
    fd_forward: float | None
    symbolic: float | None
    tree_size: int | None  # ∂f/∂x written out as a tree, in nodes (exact below 2^62)
    tree_log10: float | None  # log10 of tree_size, for sizes too large to print
    dag_size: int | None  # with shared subexpressions, in nodes
    tree_ops: int | None  # operations only (what sympy's count_ops counts)
    dag_ops: int | None
    text: str | None  # the derivative, elided past the compare module's text budget


@dataclass
class Comparison:
    output: int
    label: str
    value: float
    n_inputs: int  # inputs in the output's cone
    n_nodes: int  # graph nodes in the output's cone (leaves included)
    op_nodes: int  # operation nodes in the cone: the forward pass's operations
    fd_forward_evals: int  # n + 1
    fd_central_evals: int  # 2n
    fd_forward_ops: int  # evaluations × op_nodes
    fd_central_ops: int
    bp_forward_ops: int
    bp_backward_derivs: int  # local-derivative evaluations: one per op node
    bp_backward_pushes: int  # gradient pushes: edges into nodes that take a gradient
    bp_ratio: float  # backward pushes / forward ops
    f_tree_size: int  # f itself as a tree
    f_dag_size: int
    inputs: list[InputRow] = field(default_factory=list)
    symbolic_skipped: int = 0  # inputs whose derivative was not built within the budget
    time_forward: Timing | None = None
    time_backward: Timing | None = None
    time_backprop: Timing | None = None  # forward + backward
    time_fd_forward: Timing | None = None
    time_fd_central: Timing | None = None
    time_symbolic: Timing | None = None  # build and evaluate all n derivatives
    time_budget: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: non-finite floats become None, huge sizes floats (or None)."""
        out = _jsonable(asdict(self))
        assert isinstance(out, dict)
        return out


def _jsonable(x: object) -> object:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 62:
        # Tree sizes reach 2^100000 on deep shared graphs: too long to print as an int.
        return float(x) if x.bit_length() < 1000 else None
    return x


@dataclass
class Compare(Event):
    """:compare — finite differences, symbolic differentiation and backprop side by side."""

    kind: ClassVar[str] = "compare"
    result: Comparison

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "line": self.line, **self.result.to_dict()}
