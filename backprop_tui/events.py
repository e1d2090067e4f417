"""Events: what a session reports, as plain data.

Every view renders these: the TUI as widgets, headless mode as a transcript, ``--json`` as
JSON Lines (``to_dict``). ``text()`` is the one plain-text rendering of an event, shared by
the transcript and the TUI log so that no view writes its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from .labels import fmt_val


def _json_num(x: Any) -> Any:
    # JSON has no inf/nan: write them as strings so every line stays valid JSON.
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if x != x else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: _json_num(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_num(v) for v in x]
    return x


@dataclass
class Event:
    kind: ClassVar[str] = "event"
    line: int = field(default=0, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        data = {"event": self.kind, "line": self.line}
        for f in fields(self):
            if f.name != "line":
                data[f.name] = _json_num(_plain(getattr(self, f.name)))
        return data

    def text(self) -> str:
        return self.kind


def _plain(x: Any) -> Any:
    if hasattr(x, "__dataclass_fields__"):
        return {k: _plain(v) for k, v in vars(x).items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


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

    def text(self) -> str:
        up = fmt_val(self.upstream)
        num = fmt_val(self.local)
        sym = self.local_text
        chain = f"{sym}·{up}" if sym == num else f"{sym}·{up} = {num}·{up}"
        return (f"∂f/∂{_paren(self.to)} gets {chain} = {fmt_val(self.contribution)} "
                f"({fmt_val(self.before)} → {fmt_val(self.after)})")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def _paren(label: str) -> str:
    return label if label.replace("_", "").isalnum() else f"({label})"


@dataclass
class Step(Event):
    """One forward or backward step."""

    kind: ClassVar[str] = "step"
    phase: str
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

    def text(self) -> str:
        head = f"{self.phase} {self.step}/{self.total}  "
        if self.phase == "forward":
            return head + self.formula
        if self.grad is None:
            return head + f"{self.node}: a constant — it gets no gradient"
        lines = [head + f"{self.node}: ∂f/∂{_paren(self.node)} = {fmt_val(self.grad)}"
                 + (" (seed: ∂f/∂f = 1)" if self.seeded else "") + " — final"]
        lines += ["    " + c.text() for c in self.contributions]
        if self.kink:
            lines.append("    note: " + self.kink)
        return "\n".join(lines)


@dataclass
class Back(Event):
    """Steps undone with :back; the state is exactly as before them."""

    kind: ClassVar[str] = "back"
    steps: int
    phase: str
    position: str
    id: int | None
    node: str | None

    def text(self) -> str:
        at = f" at {self.node}" if self.node is not None else ""
        return f"back {self.steps} step{'s' * (self.steps != 1)}: now {self.position}{at}"


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

    def text(self) -> str:
        val = " — cannot be evaluated" if self.value is None else f" = {fmt_val(self.value)}"
        return (f"{self.node}{val}   ({_n(self.nodes, 'node')}, {_n(self.inputs, 'input')}; "
                f"{self.forward_steps} forward and {self.backward_steps} backward steps)")


@dataclass
class Error(Event):
    kind: ClassVar[str] = "error"
    message: str
    file: str = ""
    at_line: int = 0
    col: int = 0
    span: str = ""
    caret: str = ""

    def text(self) -> str:
        where = f"{self.file}:{self.at_line}:{self.col}: " if self.file else ""
        return f"{where}error: {self.message}" + (f"\n{self.caret}" if self.caret else "")


@dataclass
class Warn(Event):
    kind: ClassVar[str] = "warning"
    message: str
    id: int | None = None
    node: str | None = None

    def text(self) -> str:
        return f"warning: {self.node + ': ' if self.node else ''}{self.message}"


@dataclass
class Info(Event):
    """Plain information: help, breakpoint lists, confirmations."""

    kind: ClassVar[str] = "info"
    message: str

    def text(self) -> str:
        return self.message


@dataclass
class Phase(Event):
    """A pass started or finished."""

    kind: ClassVar[str] = "phase"
    phase: str
    status: str  # "start", "done" or "reset"
    message: str = ""

    def text(self) -> str:
        return self.message or f"{self.phase} {self.status}"


@dataclass
class BreakHit(Event):
    kind: ClassVar[str] = "break"
    id: int
    node: str
    reason: str

    def text(self) -> str:
        return f"stopped at breakpoint: {self.node} ({self.reason})"


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
class ShowNode(Event):
    kind: ClassVar[str] = "node"
    info: NodeInfo
    local: list[str] = field(default_factory=list)

    def text(self) -> str:
        i = self.info
        val = "not yet computed" if i.value is None else fmt_val(i.value)
        grad = "—" if i.grad is None else fmt_val(i.grad) + (" (final)" if i.final else " (so far)")
        lines = [f"#{i.id} {i.label}  [{i.op}] at {i.span}", f"  value {val}", f"  ∂f/∂node {grad}"]
        if i.formula:
            lines.append(f"  {i.formula}")
        lines += [f"  {d}" for d in self.local]
        return "\n".join(lines)


@dataclass
class Nodes(Event):
    kind: ClassVar[str] = "nodes"
    nodes: list[NodeInfo]

    def text(self) -> str:
        rows = [f"{'id':>5}  {'label':<22} {'op':<8} {'value':>12} {'grad':>12}"]
        for i in self.nodes:
            val = "·" if i.value is None else fmt_val(i.value)
            grad = "—" if i.grad is None else fmt_val(i.grad) + ("" if i.final else "…")
            rows.append(f"{i.id:>5}  {i.label:<22} {i.op:<8} {val:>12} {grad:>12}")
        return "\n".join(rows)


@dataclass
class GraphText(Event):
    kind: ClassVar[str] = "graph"
    lines: list[str]

    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class CheckRow:
    id: int
    node: str
    analytic: float
    numeric: float
    abs_err: float
    rel_err: float
    h: float
    verdict: str  # "pass", "fail", "kink"
    evals: int


@dataclass
class Check(Event):
    kind: ClassVar[str] = "check"
    mode: str
    rows: list[CheckRow]
    evals: int
    inputs: int
    atol: float
    rtol: float
    all_pass: bool
    cancelled: bool = False

    def text(self) -> str:
        out = [f"finite-difference check ({self.mode}, pass when |a−n| ≤ {self.atol:g} + "
               f"{self.rtol:g}·|n|)",
               f"{'node':<16} {'backprop':>13} {'finite diff':>13} {'abs err':>9} {'rel err':>9} "
               f"{'h':>8}  verdict"]
        for r in self.rows:
            verdict = "not differentiable here" if r.verdict == "kink" else r.verdict
            out.append(f"{r.node[:16]:<16} {r.analytic:>13.6g} {r.numeric:>13.6g} {r.abs_err:>9.2e} "
                       f"{r.rel_err:>9.2e} {r.h:>8.1e}  {verdict}")
        out.append(f"cost: {self.evals} function evaluations for {len(self.rows)} node"
                   f"{'s' * (len(self.rows) != 1)} ({_n(self.inputs, 'input')}); backprop needed one "
                   f"forward and one backward pass" + (" — cancelled" if self.cancelled else ""))
        return "\n".join(out)


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

    def text(self) -> str:
        out = [f"h sweep for ∂f/∂{_paren(self.node)} (backprop {self.analytic:.12g})",
               f"{'h':>8} {'forward err':>12} {'central err':>12}"]
        for r in self.rows:
            out.append(f"{r.h:>8.0e} {r.forward_err:>12.2e} {r.central_err:>12.2e}")
        out.append(f"best h: forward {self.best_forward:.0e}, central {self.best_central:.0e} "
                   "(too large: truncation error; too small: round-off)")
        return "\n".join(out)


@dataclass
class Summary(Event):
    """The stable summary object (issue 2's schema): last line of a --json run."""

    kind: ClassVar[str] = "summary"
    output: dict[str, Any] | None
    inputs: list[dict[str, Any]]
    nodes: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return _json_num({"event": "summary", "output": self.output, "inputs": self.inputs,
                          "nodes": self.nodes})

    def text(self) -> str:
        if self.output is None:
            return "no output"
        rows = [f"f = {self.output['label']} = {fmt_val(self.output['value'])}"]
        rows += [f"  ∂f/∂{r['name']} = {fmt_val(r['grad'])}   ({r['name']} = {fmt_val(r['value'])})"
                 for r in self.inputs]
        return "\n".join(rows)


# ---------------------------------------------------------------- replay files (script.py)

@dataclass
class Say(Event):
    """Narration from a replay file (:say): the TUI shows it, headless mode prints it."""

    kind: ClassVar[str] = "say"
    message: str

    def text(self) -> str:
        return self.message


@dataclass
class Pause(Event):
    """Pacing (:pause): the TUI waits this long; headless mode does not."""

    kind: ClassVar[str] = "pause"
    seconds: float

    def text(self) -> str:
        return f"pause {self.seconds:g} s"


@dataclass
class Expect(Event):
    """An :expect line's verdict. `claim` and `got` are the readable forms of
    expected/actual; file:at_line is where the expectation is written."""

    kind: ClassVar[str] = "expect"
    what: str  # "value", "grad", "check" or "error"
    node: str | None
    expected: float | str | None
    actual: float | str | None
    tol: float | None  # absolute tolerance when given with ±, else None (the default rule)
    passed: bool
    claim: str
    got: str
    file: str = ""
    at_line: int = 0

    def text(self) -> str:
        if self.passed:
            return f"✓ {self.claim}"
        return f"✗ {self.file}:{self.at_line}: expected {self.claim}, got {self.got}"


@dataclass
class Load(Event):
    """:load began running another file's lines here."""

    kind: ClassVar[str] = "load"
    path: str
    depth: int = 1

    def text(self) -> str:
        return f"loading {self.path}"


@dataclass
class Echo(Event):
    """A line run inside an interactive :load, so a log shows what produced what follows."""

    kind: ClassVar[str] = "echo"
    source: str
    file: str
    at_line: int

    def text(self) -> str:
        return f"{self.file}:{self.at_line} › {self.source}"


@dataclass
class Compare(Event):
    """:compare — finite differences, symbolic differentiation and backprop side by side."""

    kind: ClassVar[str] = "compare"
    comparison: Any  # a compare.Comparison; kept as the object so views can render it richly

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "line": self.line, **self.comparison.to_dict()}

    def text(self) -> str:
        from .compare import compare_text

        return compare_text(self.comparison)
