"""Backprop's steps: forward steps evaluate the op nodes of f's graph in program order;
backward steps are their exact reverse, with the inputs' rows in place (literals and
constants take no gradient and get no step; graph.Graph.step_order). The first seeds
∂f/∂f = 1; each pushes its node's gradient to its operands. A forward step logs the value it
replaced; a backward step logs the gradients it changed, so undo is O(1) per step (flat
arrays: steps.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .events import Event, Phase, Step, Warn
from .graph import Graph
from .labels import deriv_text, f_is, fmt_val, formula, label
from .ops import LITERAL, OPS
from .records import Contribution
from .steps import PHASE_NAMES, Steps, listed

_NAN = math.nan


class ReverseSteps(Steps):
    mode = "reverse"

    def __init__(self, g: Graph, output: int, fwd: Sequence[int], bwd: Sequence[int],
                 inputs: list[tuple[str, int]]) -> None:
        super().__init__(g, output, fwd, bwd, inputs)
        self.total = len(fwd) + len(bwd)
        self.seed_old = 0.0  # the output's gradient before its seed step

    def node_at(self, pos: int) -> int | None:
        if pos == 0:
            return None
        f = len(self.fwd)
        return self.fwd[pos - 1] if pos <= f else self.bwd[pos - 1 - f]

    def in_backward(self, pos: int) -> bool:
        return pos > len(self.fwd)

    def computed(self, k: int, pos: int) -> bool:
        return k < 0 or k < pos

    def final(self, k: int, pos: int) -> bool:
        return k >= 0 and k < pos - len(self.fwd)

    def progress(self, pos: int) -> tuple[str, int, int]:
        f = len(self.fwd)
        if pos <= f:
            return "forward", pos, f
        return "backward", pos - f, len(self.bwd)

    def progress_text(self, pos: int) -> str:
        phase, k, n = self.progress(pos)
        if phase == "backward" and k == n:
            return f"done: backward {k}/{n}"
        return f"{phase} {k}/{n}"

    def at_phase_end(self, pos: int) -> bool:
        return pos == len(self.fwd) or pos == self.total

    def pass_end(self, pos: int) -> int:
        return max(pos, len(self.fwd))

    def depth(self) -> int:
        f, n = len(self.fwd), len(self.log)
        return n if n <= f else f + (n - f) // 2

    # The log: per forward step the value it replaced; per backward step the gradients of
    # operands a and b before its pushes (nan for an operand that takes none). The output's
    # gradient before its seed is seed_old (it has one backward step).
    def advance(self, pos: int) -> int:
        g = self.g
        f = len(self.fwd)
        log = self.log
        if pos < f:
            i = self.fwd[pos]
            value = g.eval_node(i)  # raises before anything changes
            log.append(g.value[i])
            g.value[i] = value
            return i
        i = self.bwd[pos - f]
        grad = g.grad
        before_a = before_b = _NAN
        if g.op[i] > LITERAL:
            d = g.local_derivs(i)
            if i == self.output:
                self.seed_old = grad[i]
                grad[i] = 1.0
            gi = grad[i]
            j = g.a[i]
            if g.takes_grad(j):
                before_a = grad[j]
                grad[j] += gi * d[0]
            j = g.b[i]
            if j >= 0 and g.takes_grad(j):
                before_b = grad[j]
                grad[j] += gi * d[1]
        elif i == self.output:
            self.seed_old = grad[i]
            grad[i] = 1.0
        log.append(before_a)
        log.append(before_b)
        return i

    def undo(self, pos: int) -> None:
        g = self.g
        f = len(self.fwd)
        log = self.log
        if pos < f:
            g.value[self.fwd[pos]] = log.pop()
            return
        i = self.bwd[pos - f]
        before_b, before_a = log.pop(), log.pop()
        grad = g.grad
        if g.op[i] > LITERAL:
            j = g.b[i]
            if j >= 0 and g.takes_grad(j):
                grad[j] = before_b
            j = g.a[i]
            if g.takes_grad(j):
                grad[j] = before_a
        if i == self.output:
            grad[i] = self.seed_old

    def _pushes(self, pos: int) -> list[tuple[int, int, float]]:
        """(slot, operand, its gradient before the push) of the backward step that reached
        pos, in push order."""
        g = self.g
        f = len(self.fwd)
        i = self.bwd[pos - 1 - f]
        base = f + 2 * (pos - 1 - f)
        log = self.log
        return [(slot, j, log[base + slot]) for slot, j in enumerate(g.operands(i))
                if g.takes_grad(j)]

    def event(self, pos: int) -> Step:
        g = self.g
        f = len(self.fwd)
        i = self.node_at(pos)
        assert i is not None
        if pos <= f:
            return Step("forward", i, label(g, i), g.value[i], None, pos, f, formula(g, i))
        contribs = []
        pushes = self._pushes(pos)
        if pushes:
            gi = g.grad[i]
            derivs = g.local_derivs(i)
            for slot, j, before in pushes:
                push = gi * derivs[slot]
                contribs.append(Contribution(j, label(g, j), derivs[slot], deriv_text(g, i, slot),
                                             gi, push, before, before + push))
        kink = ""
        if g.is_kink(i):
            op = OPS[g.op[i]]
            kink = op.kink_text or f"{op.name} is not differentiable here"
        return Step("backward", i, label(g, i), g.value[i], g.grad[i], pos - f, len(self.bwd),
                    contributions=contribs, seeded=i == self.output, final=True, kink=kink)

    def after(self, pos: int, i: int) -> list[Event]:
        """O(1) in graph size: the last step's line names at most PHASE_NAMES inputs."""
        g = self.g
        out: list[Event] = []
        f = len(self.fwd)
        value = g.value[i] if pos <= f else g.grad[i]
        if not math.isfinite(value):
            what = "value" if pos <= f else "gradient"
            out.append(Warn(f"{what} is {value}", i, label(g, i)))
        if pos > f:
            for _, j, _ in self._pushes(pos):
                if not math.isfinite(g.grad[j]):
                    out.append(Warn(f"gradient became {g.grad[j]} (from {label(g, i)})", j,
                                    label(g, j)))
        if pos == f:
            out.append(Phase("forward", "done", f"forward pass done: {f_is(label(g, self.output))}"
                             f" = {fmt_val(g.value[self.output])}; next, the backward pass"))
        elif pos == self.total:
            grads = listed([f"∂f/∂{name} = {fmt_val(g.grad[n])}"
                            for name, n in self.inputs[:PHASE_NAMES]], len(self.inputs))
            out.append(Phase("backward", "done", "backward pass done" + (f": {grads}" if grads else "")))
        return out

    def received(self, pos: int) -> dict[int, float]:
        if pos <= len(self.fwd):
            return {}
        return {j: before for _, j, before in reversed(self._pushes(pos))}
