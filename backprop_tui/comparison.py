"""The data of :compare — finite differences, symbolic differentiation and backprop side by
side — as plain dataclasses (standard library only), and its event."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from .events import Event


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
