"""Which node a command that acts on one of f's inputs was given, or why it cannot take it.

:mode forward seeds an input, :descend and :nudge move one: each says in its own words what
it would have done, in one shared form ("x is a constant: <why>; f's inputs are a, b").
"""

from __future__ import annotations

from dataclasses import dataclass

from ..labels import kind_name, label
from ..ops import CONST, INPUT, LITERAL
from ..registry import CommandError
from ..session import Session


@dataclass(frozen=True)
class Refusals:
    """Why a command cannot act on each kind of node that is not one of f's inputs."""

    constant: str  # a declared constant
    literal: str   # a number written in the program
    other: str     # an operation's node
    unused: str    # an input f does not depend on


def names_of_inputs(s: Session) -> str:
    return ", ".join(n for n, _ in s.inputs_of_f()) or "none"


def input_of_f(s: Session, node: int, why: Refusals) -> int:
    """`node` if it is one of f's inputs; otherwise a CommandError naming what it is, why
    the command refuses it, and which inputs f has."""
    g = s.prog.graph
    what, op = label(g, node), g.op[node]
    if op == CONST:
        reason = f"{what} is a constant: {why.constant}"
    elif op == LITERAL:
        reason = f"{what} is a number written in the program, not an input: {why.literal}"
    elif op != INPUT:
        reason = f"{what} is not an input but a {kind_name(g, node)} node: {why.other}"
    elif not s.in_cone(node):
        reason = f"f does not depend on {what}: {why.unused}"
    else:
        return node
    raise CommandError(f"{reason}; f's inputs are {names_of_inputs(s)}")
