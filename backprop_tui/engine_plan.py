"""The engine's plan: the op nodes of a graph as one tuple each (op code, the code
backward dispatches on, operands), with fused product-sum pairs and one-sided pushes
planned once per graph and extended as it grows. The passes that run it: engine.py."""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from .ops import CONST, DERIVS, FNS, LITERAL, OP_INDEX

if TYPE_CHECKING:
    from .graph import Graph

# The op table's parallel lists (the same objects: a user operator registered later is seen).
_FNS = FNS
_DERIVS = DERIVS
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
_ADD, _SUB, _MUL, _NEG = (OP_INDEX[n] for n in ("add", "sub", "mul", "neg"))
_RELU, _TANH = OP_INDEX["relu"], OP_INDEX["tanh"]
# Plan codes past the table's: backward's own codes for the ops it inlines (add and mul also
# where only one operand takes a gradient: planned as operand a, since a + b == b + a and
# a·b == b·a in IEEE arithmetic), then the fused pair's (o >= _FMA in one comparison).
# Backward keeps the table's code for the ops it calls through the table (o < _B).
_B = 256  # op codes are below 256 (a graph's op array is bytes-compatible)
_B_ADD, _B_MUL, _B_MUL_A, _B_ADD_A = range(_B, _B + 4)
_B_RELU, _B_TANH, _B_SUB, _B_NEG = range(_B + 4, _B + 8)  # (sub: a − b, both ±1)
_FMA = _B + 16  # forward and backward: v[i] = v[x] + v[m], v[m] = v[w]·v[h], m = i − 1
_FMA_W, _FMA_H = _FMA + 1, _FMA + 2  # backward: the product pushes to w alone, or to h alone
FUSED = _FMA  # the forward code of a fused pair, for tests and tools that read a plan
_NO_GRAD = bytes(1 if o in (CONST, LITERAL) else 0 for o in range(256))  # by op code
_INLINE = {_MUL: _B_MUL, _ADD: _B_ADD, _RELU: _B_RELU, _SUB: _B_SUB, _TANH: _B_TANH,
           _NEG: _B_NEG}
_ONE_SIDED = {(_ADD, True, False): _B_ADD_A, (_ADD, False, True): -_B_ADD_A,
              (_MUL, True, False): _B_MUL_A, (_MUL, False, True): -_B_MUL_A}  # −: swap a, b
_FUSE = True


Entry = tuple[int, int, int, int, int, int, int]  # (node, fop, bop, a, b, w, h)


class Plan:
    """The op nodes in creation (topological) order, one entry each or one per fused pair:
    (node, fop, bop, a, b) with node a pair's sum, fop the table's op code or _FMA, bop the
    code backward dispatches on, a and b the operands (b -1 for a unary op; for a pair, the
    other addend and the product). A list of tuples: iterating it costs a third less than
    zipping parallel lists, and fused pairs make the entries fewer than the op nodes.
    ``nograd``: the consts and literals some entry pushes a gradient to. Extended as the
    graph grows; the graph drops it on truncation."""

    __slots__ = ("entries", "nograd", "_listed", "size")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.nograd: list[int] = []
        self._listed = bytearray()  # 1 for the nodes in nograd
        self.size = 0  # graph nodes covered

    def extend(self, g: Graph) -> None:
        """Plan the nodes added since the last call: O(new nodes), one pass."""
        op, ga, gb = g.op, g.a, g.b
        listed, nograd, entries = self._listed, self.nograd, self.entries
        append, inline, one_sided = entries.append, _INLINE, _ONE_SIDED
        nog = _NO_GRAD

        def pushed(j: int) -> None:  # j takes no gradient but receives pushes
            if not listed[j]:
                listed[j] = 1
                nograd.append(j)

        listed.extend(bytes(len(op) - self.size))
        last = entries[-1][0] if entries else -1  # the node of the last entry
        for i in range(self.size, len(op)):
            o = op[i]
            if o <= LITERAL:
                continue
            x, y = ga[i], gb[i]
            if (o == _ADD and last == i - 1 and _FUSE and entries[-1][1] == _MUL
                    and (x == last) != (y == last)):
                # Fuse with the product just before. a + b == b + a in IEEE arithmetic, so
                # the other addend can always go first.
                m = last
                other = y if x == m else x
                w, h = ga[m], gb[m]
                nw, nh = nog[op[w]], nog[op[h]]
                bop = _FMA_W if nh and not nw else _FMA_H if nw and not nh else _FMA
                entries[-1] = (i, _FMA, bop, other, m, w, h)
                if nog[op[other]]:
                    pushed(other)
                if bop == _FMA:
                    if nw:
                        pushed(w)
                    if nh:
                        pushed(h)
                last = i
                continue
            if y < 0:
                bop = inline.get(o, o)
                if nog[op[x]]:
                    pushed(x)
            else:
                nx, ny = nog[op[x]], nog[op[y]]
                bop = one_sided.get((o, not nx, not ny), 0) if nx != ny else 0
                if bop < 0:  # only b takes a gradient: b goes first
                    bop, x, y = -bop, y, x
                elif bop == 0:  # pushes to both operands, whatever they are
                    bop = inline.get(o, o)
                    if nx:
                        pushed(x)
                    if ny:
                        pushed(y)
            append((i, o, bop, x, y, -1, -1))
            last = i
        self.size = len(op)


def _node(e: Entry) -> int:
    return e[0]


def _cut(plan: Plan, n_graph: int, start: int, stop: int) -> tuple[int, int]:
    entries = plan.entries
    lo = bisect_left(entries, start, key=_node) if start else 0
    hi = len(entries) if stop >= n_graph else bisect_left(entries, stop, key=_node)
    return lo, hi


def _split_pair(plan: Plan, hi: int, stop: int) -> int:
    """The product of the fused pair at entry hi when the range ends between it and its
    sum (so it must be done on its own), else -1."""
    if hi < len(plan.entries):
        _, fop, _, _, m, _, _ = plan.entries[hi]
        if fop == _FMA and m < stop:
            return m
    return -1
