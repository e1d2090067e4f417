"""Forward-mode AD, stepped: one tangent pass per seeded input.

Pass p seeds input xₚ with ẋₚ = 1 (every other input 0) and evaluates the op nodes of f's
cone in the forward order, each step computing the node's value and its tangent
v̇ᵢ = Σ ∂vᵢ/∂vⱼ·v̇ⱼ (dual numbers): at the pass's end f's tangent is ∂f/∂xₚ. All n partials
take n passes of the same steps, where backprop takes one forward and one backward pass.

Tangents live in an array of their own; a step logs the value and tangent it replaced (two
floats in the flat undo log, steps.py), so undo is O(1), and a pass needs no reset: each
step overwrites the node's previous-pass tangent (logged), and reads only operands already
computed in this pass. Values are the
same in every pass: a later pass recomputes them, as dual numbers do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .events import Event, Phase, Step, Warn
from .graph import Graph
from .labels import deriv_text, fmt_val, formula, label
from .ops import INPUT
from .records import TangentTerm
from .steps import PHASE_NAMES, Steps, listed


class ForwardSteps(Steps):
    mode = "forward"

    def __init__(self, g: Graph, output: int, fwd: Sequence[int], bwd: Sequence[int],
                 inputs: list[tuple[str, int]], seeds: list[int]) -> None:
        super().__init__(g, output, fwd, bwd, inputs)
        self.seeds = seeds
        self.names = {i: name for name, i in inputs}
        self.tan = [math.nan] * len(g)
        self.results: list[float] = []  # f's tangent at the end of each pass done
        self.total = len(fwd) * len(seeds)

    def reset(self) -> None:
        super().reset()
        tan = self.tan
        for i in self.fwd:
            tan[i] = math.nan
        self.results.clear()

    def locate(self, pos: int) -> tuple[int, int]:
        """(pass, steps done in it) at pos; at a pass boundary, the pass just finished."""
        f = len(self.fwd)
        if pos == 0 or f == 0:
            return 0, 0
        p = (pos - 1) // f
        return p, pos - p * f

    def seed_at(self, pos: int) -> int | None:
        return self.seeds[self.locate(pos)[0]] if self.seeds else None

    def leaf_tangent(self, j: int, p: int) -> float:
        return 1.0 if self.seeds and j == self.seeds[p] else 0.0

    def tangent_of(self, j: int, p: int) -> float:
        return self.leaf_tangent(j, p) if self.g.is_leaf(j) else self.tan[j]

    # -- what a position means --
    def node_at(self, pos: int) -> int | None:
        return None if pos == 0 else self.fwd[self.locate(pos)[1] - 1]

    def computed(self, k: int, pos: int) -> bool:
        p, w = self.locate(pos)
        return k < 0 or p > 0 or k < w

    def tangent(self, i: int, k: int, pos: int) -> float | None:
        p, w = self.locate(pos)
        if self.g.is_leaf(i):
            return self.leaf_tangent(i, p) if self.g.op[i] == INPUT else 0.0
        return self.tan[i] if 0 <= k < w else None

    def progress(self, pos: int) -> tuple[str, int, int]:
        return "forward", self.locate(pos)[1], len(self.fwd)

    def progress_text(self, pos: int) -> str:
        p, w = self.locate(pos)
        f, n = len(self.fwd), len(self.seeds)
        if not n:
            return "forward mode: no input to seed"
        seed = self.names.get(self.seeds[p], f"#{self.seeds[p]}")
        where = f"tangent pass {p + 1}/{n} (∂/∂{seed}) {w}/{f}"
        return ("done: " if pos == self.total else "forward mode ") + where

    def at_phase_end(self, pos: int) -> bool:
        f = len(self.fwd)
        return pos == self.total or (f > 0 and pos % f == 0)

    def pass_end(self, pos: int) -> int:
        f = len(self.fwd)
        return pos if pos >= self.total or not f else (pos // f + 1) * f

    # -- stepping --
    def depth(self) -> int:
        return len(self.log) // 2

    def advance(self, pos: int) -> int:
        """Logs the value and the tangent the step replaces (two floats)."""
        g = self.g
        f = len(self.fwd)
        p, w = divmod(pos, f)
        i = self.fwd[w]
        value = g.eval_node(i)  # raises before anything changes
        self.log.append(g.value[i])
        self.log.append(self.tan[i])
        g.value[i] = value
        self.tan[i] = self._tangent(i, p)
        if w == f - 1:
            self.results.append(self.tan[self.output])
        return i

    def _tangent(self, i: int, p: int) -> float:
        """v̇ᵢ = Σ ∂vᵢ/∂vⱼ·v̇ⱼ; a zero tangent contributes nothing (as dual.py has it)."""
        g = self.g
        total = 0.0
        derivs = None
        for slot, j in enumerate(g.operands(i)):
            tj = self.tangent_of(j, p)
            if tj:
                if derivs is None:
                    derivs = g.local_derivs(i)
                total += derivs[slot] * tj
        return total

    def undo(self, pos: int) -> None:
        f = len(self.fwd)
        i = self.fwd[pos % f]
        self.tan[i] = self.log.pop()
        self.g.value[i] = self.log.pop()
        if pos % f == f - 1:
            self.results.pop()

    def event(self, pos: int) -> Step:
        g = self.g
        p, w = self.locate(pos)
        i = self.fwd[w - 1]
        derivs = g.local_derivs(i)
        terms = []
        for slot, j in enumerate(g.operands(i)):
            if g.takes_grad(j):
                tj = self.tangent_of(j, p)
                terms.append(TangentTerm(j, label(g, j), derivs[slot], deriv_text(g, i, slot), tj,
                                         derivs[slot] * tj if tj else 0.0))
        seed = self.seeds[p]
        return Step("forward", i, label(g, i), g.value[i], None, w, len(self.fwd), formula(g, i),
                    mode="forward", tangent=self.tan[i], tangent_terms=terms,
                    seed=self.names.get(seed, label(g, seed)), pass_no=p + 1,
                    passes=len(self.seeds))

    def after(self, pos: int, i: int) -> list[Event]:
        g = self.g
        out: list[Event] = []
        p, w = self.locate(pos)
        for what, x in (("value", g.value[i]), ("tangent", self.tan[i])):
            if not math.isfinite(x):
                out.append(Warn(f"{what} is {x}", i, label(g, i)))
        if w < len(self.fwd):
            return out
        n = len(self.seeds)
        name = self.names.get(self.seeds[p], label(g, self.seeds[p]))
        out.append(Phase("forward", "done", f"tangent pass {p + 1}/{n} done: ∂f/∂{name} = "
                         f"{fmt_val(self.results[p])}"))
        if pos == self.total:
            out.append(Phase("forward", "done", self.done_text()))
        return out

    def done_text(self) -> str:
        """What the passes found, and what all of f's partials cost in each mode."""
        n, m = len(self.seeds), len(self.inputs)
        parts = listed([f"∂f/∂{self.names.get(x, label(self.g, x))} = {fmt_val(r)}"
                        for x, r in zip(self.seeds[:PHASE_NAMES], self.results, strict=False)],
                       len(self.results))
        text = f"forward mode done: {parts} from {passes(n)}"
        if n < m:
            return text + (f"; all {m} partials take {passes(m)} (reverse mode: "
                           "1 forward + 1 backward pass)")
        return text + " (one per input); reverse mode gets them all from 1 forward + 1 backward pass"


def passes(n: int) -> str:
    return f"{n:,} tangent pass{'es' * (n != 1)}"
