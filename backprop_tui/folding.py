"""Folding a named subexpression (or a function call) into one box: which nodes the box
hides and which wires it keeps. Pure Python, no textual; views and commands share it.

A fold's head is the named node (``h1``) or a call's result (``neuron#2``). Its members are
the operations it is computed from, walking operands back from the head and stopping at
leaves, at other named nodes and at nodes not drawn. A member read by anything outside
the fold stays visible (hiding it would hide a wire), and so, in turn, may others: the
pruning runs to a fixed point with a work list. Every step is iterative and linear in the
nodes a fold covers.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field

Operands = Callable[[int], Sequence[int]]


@dataclass
class Folded:
    """A drawing's nodes after folding: `nodes` in the given order, the folded heads' new
    operands (what the fold reads from outside), and each hidden member's head."""

    nodes: list[int]
    heads: dict[int, list[int]] = field(default_factory=dict)  # head -> outside operands
    owner: dict[int, int] = field(default_factory=dict)  # hidden member -> its head

    def operands(self, base: Operands) -> Operands:
        heads = self.heads
        return lambda i: heads[i] if i in heads else base(i)

    def shown(self, i: int) -> int:
        """The node drawn for i: i itself, or the fold that hides it."""
        return self.owner.get(i, i)


def members(head: int, operands: Operands, stop: Callable[[int], bool],
            drawn: Container[int]) -> set[int]:
    """The operations `head` is computed from, up to leaves and `stop` nodes (not pruned)."""
    seen: set[int] = set()
    stack = list(operands(head))
    while stack:
        j = stack.pop()
        if j in seen or j == head or j not in drawn or stop(j):
            continue
        seen.add(j)
        stack.extend(operands(j))
    return seen


def fold(nodes: Sequence[int], operands: Operands, heads: Iterable[int],
         stop: Callable[[int], bool]) -> Folded:
    """Fold each head in `heads` (nodes of `nodes`). `stop(j)`: j is never hidden (a leaf or
    a named node)."""
    heads = list(dict.fromkeys(heads))
    if not heads:  # nothing folded: no pass over the nodes
        return Folded(list(nodes))
    drawn = set(nodes)
    heads = [h for h in heads if h in drawn]
    if not heads:
        return Folded(list(nodes))
    readers: dict[int, list[int]] = {}
    for i in nodes:
        for j in dict.fromkeys(operands(i)):
            readers.setdefault(j, []).append(i)
    owner: dict[int, int] = {}
    head_set = set(heads)
    for h in heads:  # one fold never hides another's head
        group = members(h, operands, lambda j: stop(j) or j in head_set, drawn) - owner.keys()
        inside = group | {h}
        # prune members read from outside, to a fixed point
        work = [m for m in group if any(r not in inside for r in readers.get(m, ()))]
        while work:
            m = work.pop()
            if m not in group:
                continue
            group.discard(m)
            inside.discard(m)
            for j in operands(m):
                if j in group:
                    work.append(j)
        for m in group:
            owner[m] = h
    folded: dict[int, list[int]] = {}
    for h in heads:
        outside: dict[int, None] = {}
        stack = [h]
        seen = {h}
        while stack:  # the fold's operands that are not hidden, in a stable order
            i = stack.pop()
            for j in operands(i):
                if owner.get(j) == h:
                    if j not in seen:
                        seen.add(j)
                        stack.append(j)
                elif j in drawn:
                    outside[j] = None
        if len(seen) > 1:
            folded[h] = sorted(outside)
    owner = {m: h for m, h in owner.items() if h in folded}
    return Folded([i for i in nodes if i not in owner], folded, owner)
