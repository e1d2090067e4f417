"""What a statement reports, kept up to date in O(the statement) rather than O(the graph).

A file of 25,000 statements must cost about what the same program on one line costs, so
the per-statement answers (f's value, its size and step counts) cannot run a full pass or
walk the whole graph each time:

- ``Reference`` holds the values of a full forward pass, evaluating each new node once
  when it is created. A node that cannot be evaluated (log(-1)) or reads one that cannot
  is marked with the first such node of its cone, as a full pass would report it; so is a
  node whose cone holds an op node whose value is inf or nan.
- ``ConeCount`` counts f's cone (nodes, operations, inputs). When the new output's cone
  holds the previous output's, only the new nodes are walked. Otherwise the cone is walked
  afresh, paid from a credit every created node earns (CREDIT visits): the walks of a whole
  file cost O(its nodes). A walk the credit does not cover stops and update() returns None
  (the session then builds f's step order, O(graph), as it would for stepping).
"""

from __future__ import annotations

import copy
import math
from array import array

from .graph import EvalError, Graph
from .ops import FNS, INPUT, LITERAL

CREDIT = 16  # cone-walk visits earned per node created
FULL_PASS = 1000  # nodes from which a first sync runs the engine's forward pass


class Reference:
    """Full-forward values of every node, extended as the graph grows."""

    def __init__(self, g: Graph) -> None:
        self.g = g
        self.value = array("d")
        self.failed: dict[int, int] = {}  # node → the first node of its cone that fails
        self.messages: dict[int, str] = {}  # failing node → why
        self.nonfinite: dict[int, int] = {}  # node → the first node of its cone that is inf/nan

    def invalidate(self) -> None:
        """Forget every value (an input changed): the next sync evaluates all nodes."""
        self.value = array("d")
        self.failed.clear()
        self.messages.clear()
        self.nonfinite.clear()

    def sync(self) -> None:
        """Evaluate the nodes created since the last sync: O(new nodes)."""
        g = self.g
        n = len(g.op)  # not len(g): a Python-level __len__, per line
        if len(self.value) > n:  # the graph shrank under us: start again
            self.invalidate()
        v = self.value
        if not v and n > FULL_PASS and self._full_pass():
            return
        op, a, b, k, leaf_value = g.op, g.a, g.b, g.k, g.value
        failed, nonfinite, isfinite, fns = self.failed, self.nonfinite, math.isfinite, FNS
        append = v.append
        # The operator's function inline (as Graph.eval_node does it) and dict look-ups only
        # when something failed or is non-finite: this runs once per node of a file.
        for i in range(len(v), n):
            o = op[i]
            if o <= LITERAL:  # a leaf: an inf input (:set x = inf) is not itself warned
                append(leaf_value[i])  # about; the first op node it makes inf or nan is
                continue
            x, y = a[i], b[i]  # y is -1 for a unary op: never a key of failed/nonfinite
            if failed and (x in failed or y in failed):
                failed[i] = min(failed.get(x, n), failed.get(y, n))
                append(math.nan)
                continue
            vx = v[x]
            vy = v[y] if y >= 0 else 0.0
            try:
                r = fns[o](vx, vy, k[i])
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                failed[i] = i
                self.messages[i] = g.domain_error(i, vx, vy, k[i], exc).message
                append(math.nan)
                continue
            append(r)
            if nonfinite and (x in nonfinite or y in nonfinite):  # operands come before i
                nonfinite[i] = min(nonfinite.get(x, n), nonfinite.get(y, n))
            elif not isfinite(r):
                nonfinite[i] = i

    def _full_pass(self) -> bool:
        """All values at once by the engine (a program parsed whole, or after :set): True
        when every node evaluates to a finite value; else the caller goes node by node,
        which also finds the first failing or non-finite node of each cone."""
        g = self.g
        s = copy.copy(g)
        s.value = list(g.value)
        try:
            if s.forward():
                return False
        except EvalError:
            return False
        self.value = array("d", s.value)
        return True

    def error(self, i: int) -> EvalError | None:
        """Why node i cannot be evaluated (the first failing node of its cone), or None."""
        j = self.failed.get(i)
        return None if j is None else EvalError(j, self.messages[j])


class ConeCount:
    """Nodes, operations and inputs in the current output's cone; see the module doc.
    Every mark and every unmark costs one unit of credit."""

    def __init__(self, g: Graph) -> None:
        self.g = g
        self.mark = bytearray()
        self.members = array("i")
        self.out = -1  # the output whose cone is marked, -1 for none
        self.nodes = self.ops = self.inputs = 0
        self.credit = 0  # earned by every node as the graph grows past len(mark)
        self._need = 0  # credit to save before walking afresh again (after a walk ran out)

    def update(self, out: int) -> tuple[int, int, int] | None:
        """(nodes, operations, inputs) of out's cone, or None when the credit is short."""
        mark = self.mark
        grown = len(self.g.op) - len(mark)
        if grown > 0:
            mark.extend(bytes(grown))
            self.credit += CREDIT * grown
        elif grown < 0:  # the graph shrank: nothing marked can be trusted
            self._unmark(0)
            self.mark = mark = bytearray(len(self.g.op))
        old = self.out
        if old >= 0:
            if out == old:
                return self.nodes, self.ops, self.inputs
            if not mark[out] and self._walk(out, old) is True:
                self.out = out
                return self.nodes, self.ops, self.inputs
            self._unmark(0)  # out's cone does not hold the old one: start afresh
        if self.credit > self._need:
            budget = self.credit
            if self._walk(out, -1) is not None:
                self.out, self._need = out, 0
                return self.nodes, self.ops, self.inputs
            # The cone is bigger than the credit was: save twice as much before trying again,
            # rather than spending each line's credit on walks that cannot finish.
            self._need = 2 * budget
        self._unmark(0)
        self.credit = max(self.credit, 0)
        return None

    def _unmark(self, k: int) -> None:
        """Unmark the members from index k on (all of them for 0)."""
        mark = self.mark
        for j in self.members[k:]:
            mark[j] = 0
        self.credit -= len(self.members) - k
        del self.members[k:]
        if k == 0:
            self.out = -1
            self.nodes = self.ops = self.inputs = 0

    def _walk(self, out: int, old: int) -> bool | None:
        """Mark the unmarked nodes of out's cone (a stack, no recursion). True when the walk
        met `old` (out's cone then holds old's: the marks are out's cone), False when it did
        not, None when the credit ran out first."""
        g, mark, members = self.g, self.mark, self.members
        op, a, b = g.op, g.a, g.b
        start = len(members)
        left = self.credit - 1  # marks the credit pays for, after out's own
        stack = [out]  # (methods called, not bound to locals: most walks are a few nodes)
        mark[out] = 1
        members.append(out)
        met = out == old
        nodes = ops = inputs = 0  # counted in locals, added to the totals at the end
        literal, input_ = LITERAL, INPUT
        while stack:
            i = stack.pop()
            nodes += 1
            o = op[i]
            if o <= literal:
                if o == input_:
                    inputs += 1
                continue
            ops += 1
            j = a[i]  # an op node's first operand is always a node
            if not mark[j]:
                mark[j] = 1
                members.append(j)
                stack.append(j)
                left -= 1
            elif j == old:
                met = True
            j = b[i]
            if j >= 0:
                if not mark[j]:
                    mark[j] = 1
                    members.append(j)
                    stack.append(j)
                    left -= 1
                elif j == old:
                    met = True
            if left < 0:
                return None  # (the caller unmarks all: the counts go too)
        self.nodes += nodes
        self.ops += ops
        self.inputs += inputs
        self.credit -= len(members) - start
        return met
