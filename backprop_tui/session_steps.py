"""Stepping: one forward or backward step at a time, and back, in O(1) per step.

Forward steps evaluate the op nodes of f's graph in program order; backward steps are
their exact reverse, with the inputs' rows in place (graph.Graph.step_order). The first
backward step seeds ∂f/∂f = 1; each pushes its node's gradient to its operands. Every
step appends what it changed to an undo log, so :back restores the state before it.
"""

from __future__ import annotations

import math

from .events import Back, BreakHit, Contribution, Event, Info, Phase, Step, Warn
from .graph import EvalError
from .labels import deriv_text, f_is, fmt_val, formula, label
from .ops import OPS
from .session_queries import Queries
from .textutil import plural

_NAN = math.nan


class Stepping(Queries):
    breaks: set[int]
    break_ops: set[str]

    def current_step(self) -> Step | None:
        """The event of the step just taken (None at the start)."""
        if self.pos == 0:
            return None
        return self._step_event()

    def last_contributions(self) -> list[Contribution]:
        """What the backward step just taken pushed to its operands ([] otherwise)."""
        step = self.current_step()
        return step.contributions if step is not None and step.phase == "backward" else []

    def _reset_state(self) -> None:
        g = self.prog.graph
        value, grad = g.value, g.grad
        for i in self.fwd:
            value[i] = _NAN
        for i in self.bwd:
            grad[i] = 0.0
        self.pos = 0
        self._log.clear()

    def reset(self) -> None:
        if self.output is not None:
            self._reset_state()

    def _advance(self) -> int:
        """Take one step without building an event; returns the node. Raises EvalError."""
        g = self.prog.graph
        f = len(self.fwd)
        if self.pos < f:
            i = self.fwd[self.pos]
            old = g.value[i]
            g.value[i] = g.eval_node(i)
            self._log.append((i, old))
        else:
            i = self.bwd[self.pos - f]
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
            self._log.append((i, seeded_old, tuple(pushes)))
        self.pos += 1
        return i

    def _undo(self) -> None:
        g = self.prog.graph
        self.pos -= 1
        entry = self._log.pop()
        if self.pos < len(self.fwd):
            i, old = entry
            g.value[i] = old
        else:
            i, seeded_old, pushes = entry
            for j, before in reversed(pushes):
                g.grad[j] = before
            if seeded_old is not None:
                g.grad[i] = seeded_old

    def _step_event(self) -> Step:
        """The event for the step just taken (reads the undo log's top entry)."""
        g = self.prog.graph
        f = len(self.fwd)
        i = self.current()
        assert i is not None
        if self.pos <= f:
            return Step("forward", i, label(g, i), g.value[i], None, self.pos, f, formula(g, i))
        _, seeded_old, pushes = self._log[-1]
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
        return Step("backward", i, label(g, i), g.value[i], g.grad[i], self.pos - f, len(self.bwd),
                    contributions=contribs, seeded=seeded_old is not None, final=True, kink=kink)

    def _checks_after(self, i: int) -> list[Event]:
        """Warnings and phase-end events after the step at node i."""
        g = self.prog.graph
        out: list[Event] = []
        f = len(self.fwd)
        value = g.value[i] if self.pos <= f else g.grad[i]
        if not math.isfinite(value):
            what = "value" if self.pos <= f else "gradient"
            out.append(Warn(f"{what} is {value}", i, label(g, i)))
        if self.pos > f and self._log[-1][2]:
            for j, _ in self._log[-1][2]:
                if not math.isfinite(g.grad[j]):
                    out.append(Warn(f"gradient became {g.grad[j]} (from {label(g, i)})", j,
                                    label(g, j)))
        if self.pos == f:
            assert self.output is not None
            out.append(Phase("forward", "done", f"forward pass done: {f_is(label(g, self.output))}"
                             f" = {fmt_val(g.value[self.output])}; next, the backward pass"))
        elif self.pos == self.steps_total:
            grads = ", ".join(f"∂f/∂{name} = {fmt_val(g.grad[n])}" for name, n in self.inputs_of_f())
            out.append(Phase("backward", "done", "backward pass done" + (f": {grads}" if grads else "")))
        return out

    def step(self, n: int = 1, verbose: bool = True, stop_at_breaks: bool = False) -> list[Event]:
        """Take up to n steps. Verbose: an event per step; else one summary line."""
        self.require_program()
        events: list[Event] = []
        taken = 0
        while taken < n:
            if self.pos >= self.steps_total:
                if taken == 0:
                    events.append(Info("at the end: both passes are done (:back or :reset)"
                                       if self.steps_total else
                                       "nothing to step: f is a constant (it takes no gradient)"))
                break
            try:
                i = self._advance()
            except EvalError as err:
                events.append(self.eval_error(err))
                break
            taken += 1
            if verbose:
                events.append(self._step_event())
                events.extend(self._checks_after(i))
            elif self.pos == len(self.fwd) or self.pos == self.steps_total:
                events.extend(self._checks_after(i))
            if stop_at_breaks:
                reason = self._break_reason(i)
                if reason:
                    if not verbose:
                        events.append(self._step_event())
                    events.append(BreakHit(i, label(self.prog.graph, i), reason))
                    break
        if not verbose and taken:
            events.insert(0, Info(f"ran {plural(taken, 'step')}: now {self.progress_text()}"))
        return events

    def back(self, n: int = 1) -> list[Event]:
        self.require_program()
        steps = min(n, self.pos)
        for _ in range(steps):
            self._undo()
        if steps == 0:
            return [Info("at the start: nothing to undo")]
        cur = self.current()
        return [Back(steps, "backward" if self.in_backward else "forward", self.progress_text(), cur,
                     None if cur is None else label(self.prog.graph, cur))]

    def run_to(self, target: int, verbose: bool = False) -> list[Event]:
        if target > self.pos:
            return self.step(target - self.pos, verbose=verbose)
        if target < self.pos:
            return self.back(self.pos - target)
        return [Info(f"already there: {self.progress_text()}")]

    def _break_reason(self, i: int) -> str:
        if i in self.breaks:
            return "breakpoint"
        name = OPS[self.prog.graph.op[i]].name
        return f"op:{name}" if name in self.break_ops else ""
