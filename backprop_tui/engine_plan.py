"""The engine's plan: the op nodes of a graph as one tuple each (op code, the code
backward dispatches on, operands), with fused product-sum pairs, one-sided pushes and
sole-consumer stores planned once per graph and extended as it grows. The passes that run
it: engine.py."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable
from operator import itemgetter
from typing import TYPE_CHECKING

from .ops import CONST, DERIVS, FNS, LITERAL, OP_INDEX

if TYPE_CHECKING:
    from .graph import Graph

# The op table's parallel lists (the same objects: a user operator registered later is seen).
_FNS = FNS
_DERIVS = DERIVS
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
_ADD, _SUB, _MUL, _NEG = (OP_INDEX[n] for n in ("add", "sub", "mul", "neg"))
_RELU, _TANH, _POWK = OP_INDEX["relu"], OP_INDEX["tanh"], OP_INDEX["powk"]
# Plan codes past the table's: backward's own codes for the ops it inlines (add and mul also
# where only one operand takes a gradient: planned as operand a, since a + b == b + a and
# a·b == b·a in IEEE arithmetic), then the fused pair's (o >= _FMA in one comparison).
# Backward keeps the table's code for the ops it calls through the table (o < _B).
# Codes from _B_VALUE up have local derivatives that read values (a product's are its
# operands): a zero gradient skipped there needs every value finite; below it they are
# constants (±1, relu's 0 or 1) and a skip is always exact.
# A code ending in S is the one consumer of operand a (SS: of a and b; AS: a one-sided
# push to a sole a): it stores its push, a's gradient being 0 before (0 + d is d, but for
# the sign of a zero: stores keep +0, as an addition would).
_B = 256  # op codes are below 256 (a graph's op array is bytes-compatible)
_B_ADD, _B_ADD_S, _B_ADD_SS, _B_ADD_A, _B_ADD_AS, _B_SUB, _B_NEG, _B_RELU, _B_RELU_S = (
    range(_B, _B + 9))  # (sub: a − b, both ±1)
_B_VALUE = _B + 9
_B_MUL, _B_MUL_S, _B_MUL_A, _B_MUL_AS, _B_TANH, _B_TANH_S, _B_SQUARE, _B_SQUARE_S = (
    range(_B_VALUE, _B_VALUE + 8))  # square: powk at k = 2
# A fused pair, v[i] = v[x] + v[m], v[m] = v[w]·v[h], m = i − 1: its forward code (o >= _FMA)
# says how the sum pushes (sole consumers store), its backward code how the product does.
_FMA = _B + 24
_FMA_S, _FMA_XS = _FMA + 1, _FMA + 2  # the sum is the product's sole consumer; and x's too
_FMA_W, _FMA_H, _FMA_W1 = _FMA + 1, _FMA + 2, _FMA + 3  # to w alone, to h alone, to w sole
FUSED = _FMA  # fused pairs have forward codes >= FUSED, for tests and tools that read a plan
_NO_GRAD = bytes(1 if o in (CONST, LITERAL) else 0 for o in range(256))  # by op code
_INLINE = {_MUL: _B_MUL, _ADD: _B_ADD, _RELU: _B_RELU, _SUB: _B_SUB, _TANH: _B_TANH,
           _NEG: _B_NEG}
_SOLE_OF = {_B_ADD: _B_ADD_S, _B_ADD_A: _B_ADD_AS, _B_RELU: _B_RELU_S, _B_MUL: _B_MUL_S,
            _B_MUL_A: _B_MUL_AS, _B_TANH: _B_TANH_S, _B_SQUARE: _B_SQUARE_S}
# Each code's rule with every push added (the cone pass's): the code it stores for.
BASE = {c: c for c in range(_B, _FMA)} | {s: c for c, s in _SOLE_OF.items()}
BASE[_B_ADD_SS] = _B_ADD
_FUSE = True
_SOLE = True


Entry = tuple[int, int, int, int, int, int, int]  # (node, fop, bop, a, b, w, h)
Getter = Callable[[list[float]], tuple[float, ...]]


def _getter(items: list[int]) -> Getter:
    if len(items) > 1:
        return itemgetter(*items)
    return lambda arr: tuple(arr[j] for j in items)


class Plan:
    """The op nodes in creation (topological) order, one entry each or one per fused pair:
    (node, fop, bop, a, b, w, h) with node a pair's sum, fop the table's op code or a fused
    pair's (>= _FMA), bop the code backward dispatches on, a and b the operands (b -1 for a
    unary op; for a pair, the other addend and the product m, whose operands are w and h).
    A list of tuples: iterating it costs a third less than zipping parallel lists, and
    fused pairs make the entries fewer than the op nodes. The operands are the graph's own
    int objects: the passes touch each index they read (its reference count), and the
    builder allocated a node's int next to its value's float (fresh index ints, allocated
    in order for the plan, made both passes 15-30% slower on a 100k-node DAG, measured).

    ``nograd``: the consts and literals some entry pushes a gradient to. ``sinks``: every
    leaf some entry pushes to (nograd and the inputs): a non-finite gradient anywhere
    reaches one of them (module doc of engine.py), so backward checks these alone.
    ``ends``: the nodes nothing reads (some may have gained a reader since: checked all
    the same), where forward looks for non-finite values (its doc).
    Extended as the graph grows; the graph drops it on truncation."""

    __slots__ = ("entries", "nograd", "sinks", "ends", "_listed", "_uses", "_owner",
                 "_kept", "_getters", "size")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.nograd: list[int] = []
        self.sinks: list[int] = []
        self.ends: list[int] = []
        self._listed = bytearray()  # 1 for the nodes in sinks
        self._uses = bytearray()  # each node's consumer edges so far, 2 for two or more
        self._owner = array("i")  # the entry that stores (not adds) into a sole operand
        self._kept = 0  # len(ends) after its last clean-up
        self._getters: tuple[Getter, Getter] | None = None  # (sinks, ends)
        self.size = 0  # graph nodes covered

    def sinks_of(self, grad: list[float]) -> tuple[float, ...]:
        """grad's items at the sinks (for one C-level sum)."""
        return self._get()[0](grad)

    def ends_of(self, value: list[float]) -> tuple[float, ...]:
        return self._get()[1](value)

    def _get(self) -> tuple[Getter, Getter]:
        if self._getters is None:  # once per extension
            self._getters = (_getter(self.sinks), _getter(self.ends))
        return self._getters

    def extend(self, g: Graph) -> None:
        """Plan the nodes added since the last call: O(new nodes), two passes."""
        op, ga, gb = g.op, g.a, g.b
        n, start = len(op), self.size
        self._listed.extend(bytes(n - start))
        self._owner.extend(array("i", [-1]) * (n - start))
        uses, owner, entries = self._uses, self._owner, self.entries
        uses.extend(bytes(n - start))
        demote = []
        for i in range(start, n):  # count the new consumer edges first
            if op[i] > LITERAL:
                j = ga[i]
                if uses[j] < 2:
                    uses[j] += 1
                    if uses[j] == 2 and j < start and owner[j] >= 0:
                        demote.append(owner[j])  # an older entry stored into j
                j = gb[i]
                if j >= 0 and uses[j] < 2:
                    uses[j] += 1
                    if uses[j] == 2 and j < start and owner[j] >= 0:
                        demote.append(owner[j])
        for e in demote:
            entries[e] = self._entry(g, entries[e][0], entries[e][1] >= _FMA, e)
        ends = self.ends
        if len(ends) > 2 * self._kept:  # drop those read since: amortised O(1) per node
            self.ends = ends = [j for j in ends if not uses[j]]
            self._kept = len(ends)
        ends.extend(i for i in range(start, n) if not uses[i])
        self._getters = None
        entry = self._entry
        for i in range(start, n):
            o = op[i]
            if o <= LITERAL:
                continue
            if o == _ADD and _FUSE and entries and entries[-1][0] == i - 1:
                x, y = ga[i], gb[i]
                if entries[-1][1] == _MUL and (x == i - 1) != (y == i - 1):
                    entries[-1] = entry(g, i, True, len(entries) - 1)
                    continue
            elif o == _MUL and _FUSE and i + 1 < n and op[i + 1] == _ADD:
                x, y = ga[i + 1], gb[i + 1]
                if (x == i) != (y == i):  # the sum just after: planned fused with it
                    entries.append((i, _MUL, _B_MUL, ga[i], gb[i], -1, -1))
                    continue
            entries.append(entry(g, i, False, len(entries)))
        self.size = n

    def _entry(self, g: Graph, i: int, fused: bool, at: int) -> Entry:
        """The entry of node i (a pair's sum when fused) at index `at`, with the pushes it
        needs from the graph's structure and the consumer counts so far. An operand it
        stores into (sole: one consumer edge so far) records `at` in _owner, to have the
        entry rebuilt if the operand gains a consumer; a leaf it pushes to is listed."""
        op, ga, gb, nog, uses, owner = g.op, g.a, g.b, _NO_GRAD, self._uses, self._owner
        x, y = ga[i], gb[i]
        if fused:
            # a + b == b + a in IEEE arithmetic, so the other addend can always go first.
            m, other = (x, y) if x == i - 1 else (y, x)  # the graph's ints (class doc)
            w, h = ga[m], gb[m]
            nw, nh = nog[op[w]], nog[op[h]]
            if nh and not nw:
                bop = _FMA_W
                if _SOLE and uses[w] == 1:
                    bop, owner[w] = _FMA_W1, at
            else:
                bop = _FMA_H if nw and not nh else _FMA
            fop = _FMA
            if _SOLE and uses[m] == 1:
                fop, owner[m] = _FMA_S, at
                if uses[other] == 1:
                    fop, owner[other] = _FMA_XS, at
            pushed: tuple[int, ...] = ((other, w, h) if bop == _FMA else
                                       (other, h) if bop == _FMA_H else (other, w))
            entry = (i, fop, bop, other, m, w, h)
        else:
            fop = op[i]
            if y < 0:
                bop = _INLINE.get(fop, fop)
                if fop == _POWK and g.k[i] == 2.0:
                    bop = _B_SQUARE
                pushed = (x,)
            else:
                nx, ny = nog[op[x]], nog[op[y]]
                if nx != ny and (fop == _ADD or fop == _MUL):  # one-sided: to the one that
                    bop = _B_ADD_A if fop == _ADD else _B_MUL_A  # takes a gradient, first
                    if nx:
                        x, y = y, x
                    pushed = (x,)
                else:  # pushes to both operands, whatever they are
                    bop = _INLINE.get(fop, fop)
                    if (bop == _B_ADD or bop == _B_MUL) and uses[y] == 1 and uses[x] != 1:
                        x, y = y, x  # the sole one first
                    pushed = (x, y)
            if _SOLE and uses[x] == 1 and bop in _SOLE_OF:
                bop, owner[x] = _SOLE_OF[bop], at
                if bop == _B_ADD_S and uses[y] == 1:
                    bop, owner[y] = _B_ADD_SS, at
            entry = (i, fop, bop, x, y, -1, -1)
        listed = self._listed
        for j in pushed:
            if op[j] <= LITERAL and not listed[j]:  # a leaf: a sink (and nograd unless an input)
                listed[j] = 1
                self.sinks.append(j)
                if nog[op[j]]:
                    self.nograd.append(j)
        return entry


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
        if fop >= _FMA and m < stop:
            return m
    return -1
