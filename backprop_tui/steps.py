"""What every stepping mode provides the session: the step rules over f's graph.

The session owns the position (steps taken) and the undo log (one entry per step); a mode
says what step k does (`advance` returns the node and the entry to log), how to undo it
from that entry, the event that describes it, and what the position means (which node is
current, which values are computed). Modes: reverse_steps.ReverseSteps (backprop: a
forward pass, then a backward pass) and forward_steps.ForwardSteps (forward-mode AD: one
tangent pass per seeded input). Every step and every undo is O(1).
"""

from __future__ import annotations

import math

from .events import Event, Mode, Step
from .graph import Graph


class Steps:
    mode: Mode = "reverse"

    def __init__(self, g: Graph, output: int, fwd: list[int], bwd: list[int],
                 inputs: list[tuple[str, int]]) -> None:
        self.g = g
        self.output = output
        self.fwd = fwd  # op nodes of f's cone in evaluation order
        self.bwd = bwd  # every node of the cone in backward order
        self.inputs = inputs  # (name, node) of f's inputs, in creation order
        self.total = 0

    def reset(self) -> None:
        """Back to the start: no value above the leaves computed, no gradient."""
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
    def advance(self, pos: int) -> tuple[int, tuple]:
        """Take step pos + 1: (its node, the undo entry). Raises EvalError, changing nothing."""
        raise NotImplementedError

    def undo(self, pos: int, entry: tuple) -> None:
        """Undo the step that took the position from pos to pos + 1."""
        raise NotImplementedError

    def event(self, pos: int, entry: tuple) -> Step:
        """The event of the step that reached pos, from the state now and its entry."""
        raise NotImplementedError

    def after(self, pos: int, i: int, entry: tuple) -> list[Event]:
        """Warnings and phase-end events after the step that reached pos at node i."""
        raise NotImplementedError

    def received(self, entry: tuple) -> dict[int, float]:
        """Nodes the step pushed a gradient to, with the gradient before the push."""
        return {}
