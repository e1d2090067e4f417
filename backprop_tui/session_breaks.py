"""Conditional breakpoints and watches, over the stepping of session_steps.

``:break [NODE] when CONDITION`` stops ``:continue`` at the step where the condition becomes
true for a node that step changed: a forward step gives its node a value, a backward step
pushes gradients to its operands (the first one seeds f's own). So a condition costs O(the
nodes one step changes) per step, at any graph size. In forward mode ``grad`` means the
tangent the pass computes (forward mode has no ∂f/∂node).

``:watch NODE…`` shows the watched nodes after every step (gdb's display): after each
step of a verbose run, once after a quiet run (:continue, :backward) or a step back.
"""

from __future__ import annotations

from .conditions import Condition
from .events import Event
from .events_search import Watch, WatchRow
from .labels import fmt_val, label
from .session_steps import Stepping

MAX_WATCH = 100  # nodes :watch shows after every step: more would bury the steps


class Breakpoints(Stepping):
    break_when: list[tuple[int | None, Condition]]  # (node or None for any node, condition)
    watches: list[int]

    # -- watches ------------------------------------------------------------------
    def watch_event(self) -> Watch:
        """The watched nodes as they are now."""
        rows = []
        g = self.prog.graph
        for i in self.watches:
            if self.mode == "forward":  # no ∂f/∂node: the pass's tangent, state "none"
                rows.append(WatchRow(i, label(g, i), self.value(i), self.tangent(i), "none"))
                continue
            state = self.grad_state(i)
            grad = g.grad[i] if state in ("partial", "final") else None
            rows.append(WatchRow(i, label(g, i), self.value(i), grad, state))
        return Watch(rows)

    def _after_step(self) -> list[Event]:
        return [self.watch_event()] if self.watches else []

    def step(self, n: int = 1, verbose: bool = True, stop_at_breaks: bool = False) -> list[Event]:
        pos = self.pos
        events = super().step(n, verbose, stop_at_breaks)
        if not verbose and self.watches and self.pos != pos:
            events.append(self.watch_event())  # a quiet run that moved: once, at its end
        return events

    def back(self, n: int = 1) -> list[Event]:
        pos = self.pos
        events = super().back(n)
        if self.watches and self.pos != pos:
            events.append(self.watch_event())
        return events

    # -- conditions ---------------------------------------------------------------
    def _break_reason(self, i: int) -> str:
        reason = super()._break_reason(i)
        if reason or not self.break_when:
            return reason
        g = self.prog.graph
        for node, cond in self.break_when:
            for j, v0, v1, g0, g1 in self._changed(i):
                if node is not None and j != node:
                    continue
                if cond.test(v1, g1) and not cond.test(v0, g0):
                    if g1 is not None and g0 != g1:
                        d = "∂f/∂" if self.mode == "reverse" else "the tangent of "
                        became = f"{d}{label(g, j)} became {fmt_val(g1)}"
                    else:
                        became = f"the value of {label(g, j)} became {fmt_val(v1)}"
                    return f"when {cond.text}: {became}"
        return ""

    def _changed(self, i: int) -> list[tuple[int, float | None, float, float | None, float | None]]:
        """What the step just taken at node i changed: (node, value before, value after,
        gradient before, gradient after), None where there was none."""
        g = self.prog.graph
        value, grad = g.value, g.grad
        if self.mode == "forward":
            before = value[i] if self.tangent_pass()[0] > 0 else None
            return [(i, before, value[i], None, self.tangent(i))]
        if not self.in_backward:
            return [(i, None, value[i], None, None)]
        out: list[tuple[int, float | None, float, float | None, float | None]] = [
            (j, value[j], value[j], old, grad[j]) for j, old in self.received().items()]
        _, k, _ = self.progress()
        if k == 1 and i == self.output:  # the first backward step seeds ∂f/∂f = 1
            out.append((i, value[i], value[i], None, grad[i]))
        return out
