"""The node graph in flat arrays: structure, cones, step order, consumers.

Nodes are appended operands first, so index order is a topological order: forward is a
loop up the arrays and backward a loop down them. No sort, no recursion, no per-node
objects (a per-node view is built on demand for display). The full passes are engine.py's.

Memory: op codes are a bytearray and spans machine integers (array 'q'); operands, values
and gradients stay lists, the fastest layout for the passes' loops.
"""

from __future__ import annotations

import copy
import math
from array import array
from itertools import compress

from . import engine
from .engine import EvalError, Plan, Warning_
from .ops import ARITY, CONST, DERIVS, FNS, INPUT, LEAVES, LITERAL, OPS, DomainError
from .source import Chunk, Source

__all__ = ["Chunk", "EvalError", "Graph", "Source", "Warning_"]

# The op table's parallel lists (the same objects: a user operator registered later is seen).
_FNS = FNS
_DERIVS = DERIVS
_ARITY = ARITY


class Graph:
    """Flat node arrays. Index order is topological order."""

    def __init__(self) -> None:
        self.op = bytearray()  # op codes are below 256 (ops.AUX_BASE)
        self.a: list[int] = []  # first operand, -1 for leaves
        self.b: list[int] = []  # second operand, -1 unless binary
        self.k: list[float] = []  # literal exponent of powk
        self.value: list[float] = []
        self.grad: list[float] = []
        self.start = array("q")  # span as offsets into self.source
        self.end = array("q")
        self.names: dict[int, str] = {}  # nodes bound to a name
        # Function calls inlined into the graph (and n-ary sum/max/min chains): each call is
        # (function name, its ordinal among that function's calls, first node), and call_of
        # maps each op node a call created to its innermost call. Labels read them.
        self.calls: list[tuple[str, int, int]] = []
        self.call_of: dict[int, int] = {}
        self.call_counts: dict[str, int] = {}  # calls so far of each name (neuron#3)
        self.source = Source()
        # The passes' view of the op nodes (engine.py), extended on demand. One object, so
        # the scratch copies the checks and summaries make (copy.copy) share it.
        self._plan = Plan()

    def __len__(self) -> int:
        return len(self.op)

    def add(self, op: int, a: int = -1, b: int = -1, k: float = 0.0, value: float = 0.0,
            start: int = 0, end: int = 0) -> int:
        self.op.append(op)
        self.a.append(a)
        self.b.append(b)
        self.k.append(k)
        self.value.append(value)
        self.grad.append(0.0)
        self.start.append(start)
        self.end.append(end)
        return len(self.op) - 1

    def truncate(self, n: int) -> None:
        """Drop nodes n.. (used to undo a statement that failed half-way)."""
        size = len(self.op)
        for arr in (self.op, self.a, self.b, self.k, self.value, self.grad, self.start, self.end):
            del arr[n:]
        names = self.names
        if size - n < len(names):  # O(nodes removed), not O(names)
            for i in range(n, size):
                names.pop(i, None)
        else:
            for i in [i for i in names if i >= n]:
                del names[i]
        if self.call_of:
            for i in [i for i in self.call_of if i >= n]:
                del self.call_of[i]
        while self.calls and self.calls[-1][2] >= n:
            self.call_counts[self.calls.pop()[0]] -= 1
        if self._plan.size > n:
            self._plan = Plan()  # rebuilt by the next full pass (a fused pair may straddle n)

    def new_call(self, name: str, first: int | None = None) -> int:
        """Record a call of `name` whose nodes start at `first` (default: the next node)."""
        counts = self.call_counts
        counts[name] = counts.get(name, 0) + 1
        self.calls.append((name, counts[name], len(self.op) if first is None else first))
        return len(self.calls) - 1

    def call_name(self, i: int) -> str | None:
        """'neuron#2' for a node created by the second call of neuron; None outside calls."""
        c = self.call_of.get(i)
        if c is None:
            return None
        name, ordinal, _ = self.calls[c]
        return f"{name}#{ordinal}"

    def operands(self, i: int) -> tuple[int, ...]:
        n = _ARITY[self.op[i]]
        return () if n == 0 else (self.a[i],) if n == 1 else (self.a[i], self.b[i])

    def is_leaf(self, i: int) -> bool:
        return self.op[i] in LEAVES

    def takes_grad(self, i: int) -> bool:
        """Constants and literals get no gradient; inputs and every op node do."""
        o = self.op[i]
        return o != CONST and o != LITERAL

    def inputs(self) -> list[int]:
        op = self.op
        return [i for i in range(len(op)) if op[i] == INPUT]

    def cone(self, output: int) -> bytearray:
        """1 for every node that `output` depends on (itself included): one backward sweep."""
        mark = bytearray(output + 1)
        mark[output] = 1
        op, a, b = self.op, self.a, self.b
        for i in range(output, -1, -1):
            if mark[i] and op[i] > LITERAL:
                mark[a[i]] = 1
                if b[i] >= 0:
                    mark[b[i]] = 1
        return mark

    def step_order(self, output: int,
                   cone: bytearray | None = None) -> tuple[array[int], array[int]]:
        """(forward, backward): the steps of output's graph, as the textbook's evaluation
        trace (Baydin et al. 2018, Tables 2-3).

        Forward: the op nodes of the cone in creation order, which is the order the program
        computes them: statement by statement, and within one, operands before the
        operation, left to right (the seed computes x² before 3x). Backward: exactly the
        reverse, with the inputs' rows (x̄ = v̄) in their place, since an input is a row of
        the trace that holds its value from the start: every node that takes a gradient,
        in reverse creation order. Each consumer of a node was created after it, so it has
        pushed by the node's own step: the gradient is final there. Literals and constants
        take no gradient and get no step. `cone`: self.cone(output), if the caller has it.
        Arrays, not lists: a session keeps both for its life, and a list of ints costs ~40 B
        an entry (the pointer and the int) against 4.
        """
        if cone is None:
            cone = self.cone(output)
        op = self.op
        rows = array("i", [i for i in compress(range(len(cone)), cone)
                           if op[i] > LITERAL or op[i] == INPUT])
        return array("i", [i for i in rows if op[i] > LITERAL]), rows[::-1]

    def consumers(self, output: int) -> tuple[list[int], list[int]]:
        """The consumers of each node within output's cone, as CSR arrays (start, items):
        the consumers of j are items[start[j]:start[j + 1]], in creation order, a consumer
        listed once per edge (x·x lists its node twice). One pass, O(nodes + edges)."""
        n = len(self.op)
        cone = self.cone(output) if n else bytearray()
        op, a, b = self.op, self.a, self.b
        count = [0] * (n + 1)
        for i in range(min(n, len(cone))):
            if cone[i] and op[i] > LITERAL:
                count[a[i] + 1] += 1
                if b[i] >= 0:
                    count[b[i] + 1] += 1
        for j in range(n):
            count[j + 1] += count[j]
        start = list(count)
        items = [0] * count[n]
        fill = count[:n]
        for i in range(min(n, len(cone))):
            if cone[i] and op[i] > LITERAL:
                items[fill[a[i]]] = i
                fill[a[i]] += 1
                if b[i] >= 0:
                    items[fill[b[i]]] = i
                    fill[b[i]] += 1
        return start, items

    # -- single-node rules, shared by the stepping session and the passes below --

    def eval_node(self, i: int, value: list[float] | None = None) -> float:
        """Evaluate node i from its operands' values; raises EvalError outside the domain."""
        v = self.value if value is None else value
        o = self.op[i]
        if o in LEAVES:
            return v[i]
        x = v[self.a[i]]
        y = v[self.b[i]] if self.b[i] >= 0 else 0.0
        k = self.k[i]
        try:
            return _FNS[o](x, y, k)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise self.domain_error(i, x, y, k, exc) from None

    def local_derivs(self, i: int) -> tuple[float, ...]:
        """d node / d operand for each operand, at the stored values."""
        v = self.value
        o = self.op[i]
        b = self.b[i]
        return _DERIVS[o](v[self.a[i]], v[b] if b >= 0 else 0.0, self.k[i], v[i])

    def is_kink(self, i: int) -> bool:
        op = OPS[self.op[i]]
        if op.kink is None:
            return False
        b = self.b[i]
        return op.kink(self.value[self.a[i]], self.value[b] if b >= 0 else 0.0, self.k[i])

    def domain_error(self, i: int, x: float, y: float, k: float, exc: Exception) -> EvalError:
        check = OPS[self.op[i]].domain
        op = OPS[self.op[i]]
        # e.g. sin(inf) after an overflow: name the value rather than echo "math domain error".
        at = f"{x!r}" if op.arity == 1 else f"({x!r}, {y!r})"
        message = f"{op.name} is undefined at {at}"
        if check is not None:
            try:
                check(x, y, k)
            except DomainError as err:
                message = str(err)
        return EvalError(i, message)

    def evaluate_upto(self, stop: int) -> tuple[list[float], dict[int, str]]:
        """Full-pass values of nodes [0, stop) on a scratch list, the graph untouched, and the
        message for each node that cannot be evaluated (or reads one that cannot): nan there.
        The fast forward pass first; node by node only when it stops at an error."""
        scratch = copy.copy(self)
        scratch.value = self.value[:stop]
        try:
            scratch.forward(0, stop)
            return scratch.value, {}
        except EvalError:
            pass
        vals = self.value[:stop]
        errors: dict[int, str] = {}
        op, a, b = self.op, self.a, self.b
        for i in range(stop):
            if op[i] <= LITERAL:
                continue
            why = errors.get(a[i]) or (errors.get(b[i]) if b[i] >= 0 else None)
            if why is None:
                try:
                    vals[i] = self.eval_node(i, vals)
                    continue
                except EvalError as err:
                    why = err.message
            errors[i] = why
            vals[i] = math.nan
        return vals, errors

    # -- full passes (engine.py) --

    def plan(self) -> Plan:
        """The op nodes as the passes read them, extended to the graph's current size."""
        if self._plan.size < len(self.op):
            self._plan.extend(self)
        return self._plan

    def forward(self, start: int = 0, stop: int | None = None) -> list[Warning_]:
        """Evaluate every op node in [start, stop); return overflow warnings."""
        return engine.forward(self, self.plan(), start, len(self.op) if stop is None else stop)

    def backward(self, output: int) -> list[Warning_]:
        """Gradients of node `output` with respect to every node, from scratch (engine.py)."""
        return engine.backward(self, self.plan(), output)
