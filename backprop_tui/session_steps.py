"""Stepping: one step at a time, and back, in O(1) per step, in either mode.

The session owns the position (steps taken) and an undo log with one entry per step; the
stepping mode owns the step rules (steps.py): reverse_steps.py is backprop (forward steps
in program order, backward steps their exact reverse), forward_steps.py forward-mode AD
(one tangent pass per seeded input). Every step and every undo is O(1).
"""

from __future__ import annotations

import math

from .events import Back, BreakHit, Event, Info, Step
from .graph import EvalError
from .labels import label
from .ops import OPS
from .records import Contribution
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
        self._steps.reset()
        self.pos = 0

    @property
    def undo_depth(self) -> int:
        """Steps the undo log holds: always the position (one entry per step taken)."""
        return self._steps.depth()

    def reset(self) -> None:
        if self.output is not None:
            self._reset_state()

    # The step rules and the undo log are the mode's (steps.Steps: reverse_steps or
    # forward_steps); the session keeps the position.
    def _advance(self) -> int:
        """Take one step without building an event; returns the node. Raises EvalError."""
        i = self._steps.advance(self.pos)
        self.pos += 1
        return i

    def _undo(self) -> None:
        self.pos -= 1
        self._steps.undo(self.pos)

    def _step_event(self) -> Step:
        """The event for the step just taken (reads the undo log's top entry)."""
        return self._steps.event(self.pos)

    def _checks_after(self, i: int) -> list[Event]:
        """Warnings and phase-end events after the step at node i."""
        return self._steps.after(self.pos, i)

    def step(self, n: int = 1, verbose: bool = True, stop_at_breaks: bool = False) -> list[Event]:
        """Take up to n steps. Verbose: an event per step; else one summary line."""
        self.require_program()
        events: list[Event] = []
        taken = 0
        while taken < n:
            if self.pos >= self.steps_total:
                if taken == 0:
                    if not self.steps_total:
                        done = "nothing to step: f is a constant (it takes no gradient)"
                    elif self.mode == "reverse":
                        done = "at the end: both passes are done (:back or :reset)"
                    else:
                        done = "at the end: every tangent pass is done (:back or :reset)"
                    events.append(Info(done))
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
                events.extend(self._after_step())  # the watches (session_breaks.py)
            elif self._steps.at_phase_end(self.pos):
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

    def _after_step(self) -> list[Event]:
        """Events shown after each step of a verbose run (a subclass's watches)."""
        return []

    def _break_reason(self, i: int) -> str:
        if i in self.breaks:
            return "breakpoint"
        name = OPS[self.prog.graph.op[i]].name
        return f"op:{name}" if name in self.break_ops else ""
