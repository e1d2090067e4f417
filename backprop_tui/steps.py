"""What every stepping mode provides the session: the step rules over f's graph.

The session owns the position (steps taken); a mode says what step k does (`advance`
takes it and logs what it changed), how to undo it, the event that describes it, and what
the position means (which node is current, which values are computed). Modes:
reverse_steps.ReverseSteps (backprop: a forward pass, then a backward pass) and
forward_steps.ForwardSteps (forward-mode AD: one tangent pass per seeded input). Every step
and every undo is O(1), and so is the last step of each pass (its phase line names at most
PHASE_NAMES partials).

The undo log is flat arrays of floats, one or two per step (the node of step k is the step
order's k-th, so it is not logged): no object per step, so however long the log grows the
cyclic GC has nothing in it to walk, and a step costs the same on a 5e6-node graph as on a
small one.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

from .events import Event, Mode, Step
from .graph import Graph

PHASE_NAMES = 4  # partials a pass's last line names; the rest are counted


class Steps:
    mode: Mode = "reverse"

    def __init__(self, g: Graph, output: int, fwd: Sequence[int], bwd: Sequence[int],
                 inputs: list[tuple[str, int]]) -> None:
        self.g = g
        self.output = output
        self.fwd = fwd  # op nodes of f's cone in evaluation order
        self.bwd = bwd  # every node of the cone in backward order
        self.inputs = inputs  # (name, node) of f's inputs, in creation order
        self.total = 0
        self.log = array("d")  # the undo log: what each step taken changed (see the module doc)

    def depth(self) -> int:
        """Steps the undo log holds (the position, always)."""
        raise NotImplementedError

    def reset(self) -> None:
        """Back to the start: no value above the leaves computed, no gradient."""
        del self.log[:]
        value, grad = self.g.value, self.g.grad
        for i in self.fwd:
            value[i] = math.nan
        for i in self.bwd:
            grad[i] = 0.0

    # -- what a position means --
    def node_at(self, pos: int) -> int | None:
        raise NotImplementedError

    def in_backward(self, pos: int) -> bool:
        return False

    def computed(self, k: int, pos: int) -> bool:
        """Whether the node whose forward step is k (-1: a leaf) holds its value at pos."""
        raise NotImplementedError

    def final(self, k: int, pos: int) -> bool:
        """Whether the node whose backward step is k holds its final gradient at pos."""
        return False

    def tangent(self, i: int, k: int, pos: int) -> float | None:
        return None

    def seed_at(self, pos: int) -> int | None:
        return None

    def progress(self, pos: int) -> tuple[str, int, int]:
        raise NotImplementedError

    def progress_text(self, pos: int) -> str:
        raise NotImplementedError

    def at_phase_end(self, pos: int) -> bool:
        """A pass ends at pos (a quiet run reports only these steps' events)."""
        raise NotImplementedError

    def pass_end(self, pos: int) -> int:
        """The position at the end of the pass the next step belongs to (:forward)."""
        raise NotImplementedError

    # -- stepping --
    def advance(self, pos: int) -> int:
        """Take step pos + 1 and log what it changes; returns its node. Raises EvalError,
        changing nothing."""
        raise NotImplementedError

    def undo(self, pos: int) -> None:
        """Undo the step that took the position from pos to pos + 1 (the log's last)."""
        raise NotImplementedError

    def event(self, pos: int) -> Step:
        """The event of the step that reached pos (the log's last), from the state now."""
        raise NotImplementedError

    def after(self, pos: int, i: int) -> list[Event]:
        """Warnings and phase-end events after the step that reached pos at node i."""
        raise NotImplementedError

    def received(self, pos: int) -> dict[int, float]:
        """Nodes the step that reached pos pushed a gradient to, with the gradient before."""
        return {}


def listed(parts: list[str], total: int) -> str:
    """The first PHASE_NAMES of a pass's partials, and how many more there are."""
    more = total - len(parts)
    return ", ".join(parts) + (f" … and {more:,} more (:show NODE gives any)" if more > 0 else "")
