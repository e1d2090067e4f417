"""The session's read-only model for views: what a node holds, its chain-rule terms, what
the last step did, names and labels resolved to nodes, the summary.

A mixin of Session (session.py), which owns the state and the stepping; these queries
read the state through the session's position queries (computed, final, in_backward,
tangent), never the undo log's layout, so they work the same in every stepping mode.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

from . import gradcheck
from .events import Contribution, Error, GradState, LocalDeriv, Mode, NodeInfo, Step, Summary
from .graph import EvalError
from .labels import deriv_text, formula, kind_name, label
from .language import Program
from .ops import OPS
from .registry import CommandError
from .steps import Steps
from .textutil import clip

_NAN = math.nan


@dataclass(frozen=True)
class ChainTerm:
    """One term of ∂f/∂node = Σ over consumers c of ∂f/∂c · ∂c/∂node."""

    consumer: int
    consumer_label: str
    local: float  # ∂c/∂node at the stored values
    local_text: str
    upstream: float  # ∂f/∂c as it is now
    product: float
    arrived: bool  # c's backward step has pushed this term


def _normalise(text: str) -> str:
    """Label text as typed: no spaces or product signs, ASCII minus, ^ for superscripts."""
    text = text.replace("**", "^")
    for ch in " \t*×·":
        text = text.replace(ch, "")
    return text.replace("−", "-")


class Queries:
    # The state these queries read, owned by Session.
    prog: Program
    output: int | None
    mode: Mode
    pos: int
    _steps: Steps
    _log: list[tuple]
    _consumers: tuple[list[int], list[int]] | None
    _label_index: dict[str, list[int]] | None
    _inputs: list[tuple[str, int]]

    # Position queries, defined by Session.
    def computed(self, i: int) -> bool:
        raise NotImplementedError

    def final(self, i: int) -> bool:
        raise NotImplementedError

    def in_cone(self, i: int) -> bool:
        raise NotImplementedError

    def tangent(self, i: int) -> float | None:
        raise NotImplementedError

    @property
    def in_backward(self) -> bool:
        raise NotImplementedError

    # -- nodes --
    def grad_state(self, i: int) -> GradState:
        """none: no gradient (a constant, or not part of f) · not computed: the backward pass
        has not started · partial: some contributions are in · final: its step is taken."""
        if not self.in_cone(i) or not self.prog.graph.takes_grad(i):
            return "none"
        if self.final(i):
            return "final"
        return "partial" if self.in_backward else "not computed"

    def node_info(self, i: int) -> NodeInfo:
        g = self.prog.graph
        computed = self.computed(i)
        grad = (g.grad[i] if g.takes_grad(i) and self.in_cone(i) and self.mode == "reverse"
                else None)
        return NodeInfo(i, label(g, i), kind_name(g, i), g.value[i] if computed else None, grad,
                        self.final(i), list(g.operands(i)), str(self.prog.span(i)),
                        formula(g, i) if computed and not g.is_leaf(i) else "", self.tangent(i))

    def local_derivatives(self, i: int) -> list[LocalDeriv]:
        """∂i/∂operand for each operand, once i and its operands are computed (else [])."""
        g = self.prog.graph
        if g.is_leaf(i) or not self.computed(i) or not all(self.computed(j) for j in g.operands(i)):
            return []
        derivs = g.local_derivs(i)
        return [LocalDeriv(j, label(g, j), deriv_text(g, i, slot), derivs[slot])
                for slot, j in enumerate(g.operands(i))]

    def consumers(self, i: int) -> list[int]:
        """The nodes of f's graph that read node i, once per edge, in creation order."""
        if self.output is None:
            return []
        if self._consumers is None:
            self._consumers = self.prog.graph.consumers(self.output)
        start, items = self._consumers
        return items[start[i]:start[i + 1]] if i + 1 < len(start) else []

    def chain_terms(self, i: int) -> list[ChainTerm]:
        """∂f/∂i as the chain rule writes it: one term per consumer c of i in f's graph,
        ∂f/∂c · ∂c/∂i, with the numbers as they are now and whether c has pushed it."""
        g = self.prog.graph
        terms = []
        for c in dict.fromkeys(self.consumers(i)):  # x·x: one consumer, two terms
            known = self.computed(c) and all(self.computed(j) for j in g.operands(c))
            derivs = g.local_derivs(c) if known else ()
            for slot, j in enumerate(g.operands(c)):
                if j != i:
                    continue
                d = derivs[slot] if known else _NAN
                up = g.grad[c] if self.in_backward else _NAN
                terms.append(ChainTerm(c, label(g, c), d, deriv_text(g, c, slot), up, up * d,
                                       self.final(c)))
        return terms

    # -- the last step --
    def received(self) -> dict[int, float]:
        """The nodes the backward step just taken pushed to, each with its gradient before
        the push: O(1), for views that redraw every frame."""
        if not self.in_backward or not self._log:
            return {}
        return self._steps.received(self._log[-1])

    def current_step(self) -> Step | None:
        """The event of the step just taken (None at the start)."""
        if self.pos == 0:
            return None
        return self._steps.event(self.pos, self._log[-1])

    def last_contributions(self) -> list[Contribution]:
        """What the backward step just taken pushed to its operands ([] otherwise)."""
        step = self.current_step()
        return step.contributions if step is not None and step.phase == "backward" else []

    # -- names --
    def resolve(self, ref: str) -> int:
        """A node from '#id', a name, or a label such as 3xy."""
        g = self.prog.graph
        if ref.startswith("#"):
            try:
                i = int(ref[1:])
            except ValueError:
                raise CommandError(f"'{clip(ref)}' is not a node id; ids look like #4") from None
            if not 0 <= i < len(g):
                raise CommandError(f"no node {ref}; ids run from #0 to #{len(g) - 1}")
            return i
        if ref in self.prog.bindings:
            return self.prog.bindings[ref]
        if self._label_index is None:
            index: dict[str, list[int]] = {}
            for i in range(len(g)):
                index.setdefault(_normalise(label(g, i)), []).append(i)
            self._label_index = index
        found = self._label_index.get(_normalise(ref))
        if found:
            # Prefer a node the current output depends on, then the newest.
            in_cone = [i for i in found if self.in_cone(i)]
            return (in_cone or found)[-1]
        close = difflib.get_close_matches(_normalise(ref), list(self._label_index), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; :nodes lists them"
        raise CommandError(f"no node '{clip(ref)}'{hint}")

    # -- the whole program --
    def summary(self) -> Summary:
        """The program's output and gradients from full passes (independent of stepping)."""
        g = self.prog.graph
        out = self.output
        if out is None:
            return Summary(None, [], [])
        ref = gradcheck.reference(g, out)
        n = len(self._inputs)
        return Summary(
            {"label": label(g, out), "value": ref.value[out]},
            [{"name": name, "value": ref.value[i], "grad": ref.grad[i]}
             for name, i in self.prog.inputs()],
            [{"id": i, "label": label(g, i), "op": OPS[g.op[i]].name, "value": ref.value[i],
              "grad": ref.grad[i] if g.takes_grad(i) else None, "operands": list(g.operands(i))}
             for i in range(len(g))],
            {"inputs": n, "forward_mode": n, "reverse_mode": 2},
        )

    def eval_error(self, err: EvalError) -> Error:
        """The error event for an evaluation that stopped at a node: where and why."""
        g = self.prog.graph
        span = self.prog.span(err.node)
        where = self.prog.error_at(err.node, err.message)
        return Error(f"cannot evaluate {label(g, err.node)} at {span}: {err.message}",
                     file=span.file, at_line=span.line, col=span.col, span=str(span),
                     caret=where.caret())
