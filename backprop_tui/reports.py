"""Events that report a whole computation: :compare's comparison, :trace's evaluation
trace, :hessian and :hvp. Plain data, standard library only, like events.py."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from .events import Event, Mode

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
    forward_mode: float | None = None  # by a tangent pass (None: not run within the budget)


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
    fm_passes: int = 0  # forward mode: one tangent pass per input
    time_forward_mode: Timing | None = None  # all n tangent passes

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
    """:compare — finite differences, symbolic differentiation, forward mode and backprop."""

    kind: ClassVar[str] = "compare"
    result: Comparison

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "line": self.line, **self.result.to_dict()}


# ---------------------------------------------------------------- :trace, :hessian, :hvp

@dataclass
class TraceRow:
    """One row of an evaluation trace (Baydin et al. 2018, Tables 2–3). index is Baydin's
    i: 1−n … 0 for the n inputs, 1 … l for the operations in evaluation order."""

    index: int
    id: int  # graph node
    label: str
    formula: str  # v₂ = v₋₁ × v₀ · v̇₂ = v₀·v̇₋₁ + v₋₁·v̇₀ · v̄₀ = v̄₀ + v̄₂·v₋₁
    numbers: str  # the same with the numbers: 2 × 5
    value: float  # vᵢ, v̇ᵢ or v̄ᵢ (after this accumulation)


@dataclass
class Trace(Event):
    """:trace — the forward primal trace beside the forward tangent trace (for one seed
    input) or the reverse adjoint trace (v̄ accumulations in reverse order)."""

    kind: ClassVar[str] = "trace"
    mode: Mode
    output: str
    value: float
    primal: list[TraceRow]
    tangent: list[TraceRow] = field(default_factory=list)  # forward: one per primal row
    adjoint: list[TraceRow] = field(default_factory=list)  # reverse: one per accumulation
    seed: str | None = None
    derivatives: dict[str, float] = field(default_factory=dict)  # input → ∂f/∂input


@dataclass
class Hessian(Event):
    """:hessian — ∂²f/∂xᵢ∂xⱼ over f's inputs, by forward-over-reverse (one Hessian-vector
    product per input)."""

    kind: ClassVar[str] = "hessian"
    output: str
    inputs: list[str]
    matrix: list[list[float]]
    asymmetry: float  # max |Hᵢⱼ − Hⱼᵢ| / max(1, |Hᵢⱼ|)
    products: int
    kinks: list[str] = field(default_factory=list)  # nodes at a kink: not twice differentiable


@dataclass
class HVP(Event):
    """:hvp — one Hessian-vector product H·v (and the gradient at the same point)."""

    kind: ClassVar[str] = "hvp"
    output: str
    inputs: list[str]
    vector: list[float]
    product: list[float]
    gradient: list[float]
    kinks: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- :nudge, :descend

@dataclass
class Nudge(Event):
    """:nudge — an input moved by Δ, f's change predicted from ∂f/∂x (and ∂²f/∂x²) beside
    the change full passes measure."""

    kind: ClassVar[str] = "nudge"
    output: str
    input: str
    old: float
    new: float
    delta: float
    f_old: float
    f_new: float
    grad: float  # ∂f/∂x at the old point
    second: float | None  # ∂²f/∂x² there (None: no second derivative, e.g. at a kink)
    kinks: list[str] = field(default_factory=list)

    @property
    def predicted(self) -> float:
        return self.grad * self.delta

    @property
    def actual(self) -> float:
        return self.f_new - self.f_old


@dataclass
class Descend(Event):
    """:descend — gradient descent on some inputs of f: f before the first update and after
    each, the inputs at the start and at the end, and why it stopped."""

    kind: ClassVar[str] = "descend"
    output: str
    method: str
    lr: float
    momentum: float | None  # the momentum method's μ
    tol: float
    losses: list[float]
    start: dict[str, float]
    final: dict[str, float]
    gradient: dict[str, float]  # ∂f/∂x at the final inputs
    stop: str  # steps | tol | nonfinite | error | cancelled
    detail: str = ""
    seconds: float = 0.0
