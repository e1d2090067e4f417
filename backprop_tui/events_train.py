"""Events of training with the gradient (issue 17): the nudge step, and :plot boundary's
picture of a classifier. Plain data, standard library only, like events.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .events import Event


@dataclass
class NudgeStepSet(Event):
    """:nudge step=X — the step `:nudge NAME` (and the TUI's shift+↑/↓) moves an input by."""

    kind: ClassVar[str] = "nudge_step"
    step: float
    previous: float


# A cell of the boundary's grid: the model's class there.
ABOVE, BELOW, UNDEFINED = "+", "-", "?"


@dataclass
class Boundary(Event):
    """:plot boundary — a classifier's regions over two of its inputs, and the data points.

    `cells` are the grid's rows from the top (y at its highest) down, one character per cell:
    ABOVE where the model's output is > `threshold` at the cell's centre, BELOW where it is
    ≤, UNDEFINED where it is not finite or cannot be evaluated. `points` are the data (x, y,
    label); `predicted` the model's class at each point itself (+1, -1, 0: undefined).
    """

    kind: ClassVar[str] = "boundary"
    output: str  # the model's node, as labelled
    x: str  # the input across
    y: str  # the input up
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    threshold: float
    cells: list[str]
    points: list[tuple[float, float, float]]
    predicted: list[int]
    data: str = ""  # the data set's name or file, "" for none
    seconds: float = 0.0
    evaluations: int = 0  # forward passes over the model's graph (cells + points)

    @property
    def correct(self) -> int:
        """Points the model puts in their label's class (a label > threshold is +1)."""
        return sum(1 for (_, _, lab), p in zip(self.points, self.predicted, strict=True)
                   if p != 0 and (p > 0) == (lab > self.threshold))
