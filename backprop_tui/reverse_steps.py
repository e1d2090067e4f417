"""Backprop's steps: forward steps evaluate the op nodes of f's graph in program order;
backward steps are their exact reverse, with the inputs' rows in place (literals and
constants take no gradient and get no step; graph.Graph.step_order). The first seeds
∂f/∂f = 1; each pushes its node's gradient to its operands. A forward step logs the value it
replaced; a backward step logs the gradients it changed, so undo is O(1) per step."""

from __future__ import annotations

import math

from .events import Event, Phase, Step, Warn
from .graph import Graph
from .labels import deriv_text, f_is, fmt_val, formula, label
from .ops import OPS
from .records import Contribution
from .steps import Steps


class ReverseSteps(Steps):
    mode = "reverse"

    def __init__(self, g: Graph, output: int, fwd: list[int], bwd: list[int],
                 inputs: list[tuple[str, int]]) -> None:
        super().__init__(g, output, fwd, bwd, inputs)
        self.total = len(fwd) + len(bwd)

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

    def advance(self, pos: int) -> tuple[int, tuple]:
        g = self.g
        f = len(self.fwd)
        if pos < f:
            i = self.fwd[pos]
            old = g.value[i]
            g.value[i] = g.eval_node(i)
            return i, (i, old)
        i = self.bwd[pos - f]
        grad = g.grad
        seeded_old = None
        if i == self.output:
            seeded_old = grad[i]
            grad[i] = 1.0
        pushes = []
        if not g.is_leaf(i):
            gi = grad[i]
            for j, d in zip(g.operands(i), g.local_derivs(i), strict=True):
                if g.takes_grad(j):
                    pushes.append((j, grad[j]))
                    grad[j] += gi * d
        # A tuple of atomics, so the cyclic GC stops tracking it: a long log stays cheap.
        return i, (i, seeded_old, tuple(pushes))

    def undo(self, pos: int, entry: tuple) -> None:
        g = self.g
        if pos < len(self.fwd):
            i, old = entry
            g.value[i] = old
        else:
            i, seeded_old, pushes = entry
            for j, before in reversed(pushes):
                g.grad[j] = before
            if seeded_old is not None:
                g.grad[i] = seeded_old

    def event(self, pos: int, entry: tuple) -> Step:
        g = self.g
        f = len(self.fwd)
        i = entry[0]
        if pos <= f:
            return Step("forward", i, label(g, i), g.value[i], None, pos, f, formula(g, i))
        _, seeded_old, pushes = entry
        contribs = []
        if pushes:
            gi = g.grad[i]
            derivs = g.local_derivs(i)
            running: dict[int, float] = {}
            for slot, j in enumerate(g.operands(i)):
                if not g.takes_grad(j):
                    continue
                before = running.get(j, next(b for jj, b in pushes if jj == j))
                after = before + gi * derivs[slot]
                running[j] = after
                contribs.append(Contribution(j, label(g, j), derivs[slot], deriv_text(g, i, slot),
                                             gi, gi * derivs[slot], before, after))
        kink = ""
        if g.is_kink(i):
            op = OPS[g.op[i]]
            kink = op.kink_text or f"{op.name} is not differentiable here"
        return Step("backward", i, label(g, i), g.value[i], g.grad[i], pos - f, len(self.bwd),
                    contributions=contribs, seeded=seeded_old is not None, final=True, kink=kink)

    def after(self, pos: int, i: int, entry: tuple) -> list[Event]:
        g = self.g
        out: list[Event] = []
        f = len(self.fwd)
        value = g.value[i] if pos <= f else g.grad[i]
        if not math.isfinite(value):
            what = "value" if pos <= f else "gradient"
            out.append(Warn(f"{what} is {value}", i, label(g, i)))
        if pos > f and entry[2]:
            for j, _ in entry[2]:
                if not math.isfinite(g.grad[j]):
                    out.append(Warn(f"gradient became {g.grad[j]} (from {label(g, i)})", j,
                                    label(g, j)))
        if pos == f:
            out.append(Phase("forward", "done", f"forward pass done: {f_is(label(g, self.output))}"
                             f" = {fmt_val(g.value[self.output])}; next, the backward pass"))
        elif pos == self.total:
            grads = ", ".join(f"∂f/∂{name} = {fmt_val(g.grad[n])}" for name, n in self.inputs)
            out.append(Phase("backward", "done", "backward pass done" + (f": {grads}" if grads else "")))
        return out

    def received(self, entry: tuple) -> dict[int, float]:
        return {j: before for j, before in reversed(entry[2])}
