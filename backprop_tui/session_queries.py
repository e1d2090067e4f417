"""The session's public model: what views ask about the program and the stepping state.

Views (the TUI's widgets, the :show and :nodes commands, headless mode) read the session
through these queries and never its undo log or other `_` attributes. Each query costs
O(1) or O(what it returns), so a view can ask on every frame: is this node part of f, is
it computed, what state is its gradient in, does the last check's verdict apply to the
gradient shown now, what are the chain-rule terms at this node.

`Session` (session.py) holds the state; this mixin only reads it.
"""

from __future__ import annotations

import difflib
from array import array
from collections.abc import Sequence
from itertools import compress
from typing import Generic, TypeVar

from . import gradcheck
from .events import Check, CheckRow, Error, Mode, Summary
from .forward_steps import ForwardSteps
from .graph import EvalError, Graph
from .labels import deriv_text, fmt_val, formula, kind_name, label
from .language import Program
from .ops import OPS
from .records import ChainTerm, CheckVerdict, GradState, LocalDeriv, NodeInfo, OutputInfo
from .registry import CommandError
from .steps import Steps
from .textutil import REPL_FILE, clip

T = TypeVar("T")
LAST_STATEMENT = "the last statement; :output NODE picks another"
CHOSEN = "chosen with :output; the next statement becomes f"


def _normalise(text: str) -> str:
    """Label text as typed: no spaces or product signs, ASCII minus, ^ for superscripts."""
    text = text.replace("**", "^")
    for ch in " \t*×·":
        text = text.replace(ch, "")
    return text.replace("−", "-")


class Ordered(Generic[T]):
    """An attribute of f's step order (fwd, bwd, the cone, the indexes, the steps): built
    on the first read after f changed (Session._ensure), stored as _o_<name>."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.store = "_o_" + name.lstrip("_")

    def __get__(self, obj: Queries, owner: type | None = None) -> T:
        if obj._order_stale:
            obj._ensure()
        return obj.__dict__[self.store]


class Queries:
    # The state these queries read; Session.__init__ sets it.
    prog: Program
    output: int | None
    output_chosen: bool
    fwd: Ordered[Sequence[int]] = Ordered()  # forward steps' nodes, in order (read-only for views)
    bwd: Ordered[Sequence[int]] = Ordered()  # backward steps' nodes, in order
    pos: int
    last_check: Check | None
    _fwd_index: Ordered[array] = Ordered()
    _bwd_index: Ordered[array] = Ordered()
    _cone: Ordered[bytearray] = Ordered()  # 1 for each node of f's graph, one byte per node
    _cone_size: Ordered[int] = Ordered()
    _inputs: Ordered[list[tuple[str, int]]] = Ordered()
    _off: Ordered[list[int]] = Ordered()  # op nodes outside f's cone
    _steps: Ordered[Steps] = Ordered()
    _order_stale: bool
    _consumers: tuple[list[int], list[int]] | None
    _label_index: dict[str, list[int]] | None
    _check_index: tuple[Check | None, dict[int, CheckRow]]
    _off_errors: dict[int, str]
    other_grads: dict[int, float]
    other_name: str
    fd_grads: dict[int, float]
    _off_stale: bool
    mode: Mode
    seeds: Ordered[list[int]] = Ordered()  # forward mode: the input each tangent pass seeds

    def _ensure(self) -> None: ...

    def _settle_off_cone(self) -> None: ...

    @property
    def graph(self) -> Graph:
        return self.prog.graph

    def require_program(self) -> int:
        if self.output is None:
            raise CommandError("no program yet: type an expression, e.g. x = 2; x^2 + 1")
        return self.output

    # ------------------------------------------------------------------ stepping position
    # What a position means is the stepping mode's (steps.Steps): reverse or forward mode.
    @property
    def steps_total(self) -> int:
        return self._steps.total

    @property
    def in_backward(self) -> bool:
        """A backward step has been taken."""
        return self._steps.in_backward(self.pos)

    def progress(self) -> tuple[str, int, int]:
        """('forward', 3, 5) or ('backward', 2, 7): the phase and steps done in it."""
        return self._steps.progress(self.pos)

    def progress_text(self) -> str:
        if self.output is None:
            return "no program"
        return self._steps.progress_text(self.pos)

    def passes_text(self) -> str:
        """What all of f's partials cost in passes, in each mode (for a status line)."""
        n = len(self._inputs)
        return (f"all {n} partial{'s' * (n != 1)}: reverse mode 1 forward + 1 backward pass, "
                f"forward mode {n} tangent pass{'es' * (n != 1)}")

    def current(self) -> int | None:
        """The node of the last step taken, or None at the start."""
        return self._steps.node_at(self.pos)

    def tangent(self, i: int) -> float | None:
        """Forward mode: ∂node/∂seed once this pass has computed it (None otherwise, and
        in reverse mode)."""
        return self._steps.tangent(i, self.forward_step_of(i), self.pos) if self.in_cone(i) else None

    def seed(self) -> int | None:
        """Forward mode: the input the current tangent pass seeds."""
        return self._steps.seed_at(self.pos)

    def tangent_pass(self) -> tuple[int, int]:
        """Forward mode: (0-based pass the position is in, passes); (0, 0) in reverse mode."""
        steps = self._steps
        return (steps.locate(self.pos)[0], len(self.seeds)) if isinstance(steps, ForwardSteps) else (0, 0)

    def pass_results(self) -> list[tuple[int, float]]:
        """Forward mode: (seed, ∂f/∂seed) for each tangent pass finished."""
        steps = self._steps
        return list(zip(self.seeds, steps.results, strict=False)) if isinstance(steps, ForwardSteps) else []

    def pass_end(self) -> int:
        """The position where the current pass ends: the forward pass, or a tangent pass."""
        return self._steps.pass_end(self.pos)

    def forward_step_of(self, i: int) -> int:
        """0-based index of node i's forward step, or -1 (a leaf, or not part of f)."""
        return self._fwd_index[i] if 0 <= i < len(self._fwd_index) else -1

    def backward_step_of(self, i: int) -> int:
        """0-based index of node i's backward step, or -1 (a literal or constant: they
        take no gradient; or not part of f)."""
        return self._bwd_index[i] if 0 <= i < len(self._bwd_index) else -1

    # ------------------------------------------------------------------ f's graph
    def in_cone(self, i: int) -> bool:
        """f depends on node i (i is part of f's graph)."""
        return 0 <= i < len(self._cone) and self._cone[i] == 1

    def nodes_of_f(self) -> list[int]:
        """Every node of f's graph (leaves included), in creation order: O(nodes)."""
        return list(compress(range(len(self._cone)), self._cone))

    def outside(self) -> int:
        """How many nodes of the program f does not use."""
        return len(self.prog.graph) - self._cone_size

    def inputs_of_f(self) -> list[tuple[str, int]]:
        """(name, node) for each input f depends on, in creation order (a rebound input
        that f still uses included: c = 1; c = c + c + 1)."""
        return list(self._inputs)

    def output_info(self) -> OutputInfo | None:
        """Which node f is and why (the last statement, or chosen with :output)."""
        out = self.output
        if out is None:
            return None
        g = self.prog.graph
        return OutputInfo(out, label(g, out), g.names.get(out, ""), self.output_chosen,
                          CHOSEN if self.output_chosen else LAST_STATEMENT,
                          self._cone_size, len(self.inputs_of_f()), self.outside())

    # ------------------------------------------------------------------ one node
    def computed(self, i: int) -> bool:
        """Node i has a value: a leaf, a node of f's cone whose forward step is taken, or a
        node outside the cone that can be evaluated (it holds its full-pass value)."""
        k = self.forward_step_of(i)
        if k >= 0 or self.in_cone(i):
            return self._steps.computed(k, self.pos)
        if self._off_stale:
            self._settle_off_cone()
        return i not in self._off_errors

    def value(self, i: int) -> float | None:
        """Node i's value as the session has it, or None when it has none (yet)."""
        return self.prog.graph.value[i] if self.computed(i) else None

    def final(self, i: int) -> bool:
        return self._steps.final(self.backward_step_of(i), self.pos)

    def grad_complete(self, i: int) -> bool:
        """Node i's gradient has its final value: every consumer has pushed to it (the
        output: it is seeded). Its own step, which states it final, may come later (an
        input's row is near the end of the trace). O(1): the consumer that pushes last is
        the one created first, as backward steps run in reverse creation order."""
        if not self.in_cone(i) or not self.prog.graph.takes_grad(i):
            return False
        first = self.consumers(i)[:1]
        return self.final(first[0] if first else i)

    def grad_state(self, i: int) -> GradState:
        """none: no gradient (a constant, or not part of f) · not computed: the backward pass
        has not started · partial: some contributions are in · final: its step is taken."""
        if not self.in_cone(i) or not self.prog.graph.takes_grad(i):
            return "none"
        if self.final(i):
            return "final"
        return "partial" if self.in_backward else "not computed"

    def node_info(self, i: int) -> NodeInfo:
        g = self.prog.graph
        in_f = self.in_cone(i)
        # An operation outside f's graph holds its full-pass value (computed() settles it).
        computed = self.computed(i)
        # Forward mode carries tangents, not gradients: no gradient is shown then.
        grad = g.grad[i] if g.takes_grad(i) and in_f and self.mode == "reverse" else None
        span = self.prog.span(i)
        repl = span.file == REPL_FILE
        name = g.names.get(i)
        text, note = "", ""
        if computed and not g.is_leaf(i):
            if all(self.computed(j) for j in g.operands(i)):
                text = formula(g, i)
            else:  # outside the cone, reading nodes of it that are not stepped yet
                text = f"{label(g, i)} = {fmt_val(g.value[i])}"
        if not in_f and self.output is not None:
            note = f"not part of f = {label(g, self.output)}"
            if not g.is_leaf(i):
                why = self._off_errors.get(i)
                note += (f"; it cannot be evaluated: {why}" if why is not None else
                         "; its value is from a full forward pass")
        return NodeInfo(i, label(g, i), kind_name(g, i), g.value[i] if computed else None, grad,
                        self.final(i), list(g.operands(i)), str(span), text, note,
                        in_f=in_f,
                        shadowed=name is not None and self.prog.bindings.get(name) != i,
                        statement=self.prog.statement_text(i) if repl else "",
                        grad_state=self.grad_state(i), complete=self.grad_complete(i),
                        verdict=self.check_verdict(i), call=g.call_name(i) or "",
                        other_grad=self.other_grad(i), other_name=self.other_name,
                        numeric=self.fd_grad(i), tangent=self.tangent(i))

    def other_grad(self, i: int) -> float | None:
        """Another engine's ∂f/∂node (the learner's, after check_engine), or None."""
        return self.other_grads.get(i)

    def fd_grad(self, i: int) -> float | None:
        """The finite-difference estimate of ∂f/∂node made with other_grads, or None."""
        return self.fd_grads.get(i)

    def check_verdict(self, i: int) -> CheckVerdict | None:
        """The last :check's verdict on node i, saying whether it applies to the gradient
        shown now: the check judged the final gradient, so the verdict is pending until
        every term of it is in (grad_complete). None when the last check did not cover i."""
        check = self.last_check
        if check is None:
            return None
        if self._check_index[0] is not check:  # a dict per check: O(1) per node after
            self._check_index = (check, {r.id: r for r in check.rows})
        row = self._check_index[1].get(i)
        if row is None:
            return None
        return CheckVerdict(row.verdict, row.numeric, row.analytic, self.grad_complete(i),
                            check.mode, row.h)

    def local_derivatives(self, i: int) -> list[LocalDeriv]:
        """∂i/∂operand for each operand, once i and its operands are computed (else []).
        Outside f's graph the values are a full pass's at the current inputs."""
        g = self.prog.graph
        if g.is_leaf(i) or not self.computed(i):
            return []
        if not all(self.computed(j) for j in g.operands(i)):
            return []
        derivs = g.local_derivs(i)
        return [LocalDeriv(j, label(g, j), deriv_text(g, i, slot), derivs[slot])
                for slot, j in enumerate(g.operands(i))]

    def consumers(self, i: int) -> list[int]:
        """The nodes of f's graph that read node i, once per edge, in creation order."""
        if self.output is None:
            return []
        if self._consumers is None:
            self._consumers = self.prog.graph.consumers(self.output)
        start, items = self._consumers
        return items[start[i]:start[i + 1]] if i + 1 < len(start) else []

    def chain_terms(self, i: int, limit: int | None = None) -> list[ChainTerm]:
        """∂f/∂i as the chain rule writes it: one term per consumer c of i in f's graph,
        ∂f/∂c · ∂c/∂i, in creation order, with the numbers as they are now and whether c
        has pushed it (its backward step is taken). x·x: one consumer, two terms. `limit`:
        the first terms only (chain_count counts them all)."""
        g = self.prog.graph
        terms: list[ChainTerm] = []
        started = self.in_backward
        consumers = self.consumers(i)
        for c in dict.fromkeys(consumers if limit is None else consumers[:limit]):
            known = self.computed(c) and all(self.computed(j) for j in g.operands(c))
            derivs = g.local_derivs(c) if known else ()
            arrived = self.final(c)
            for slot, j in enumerate(g.operands(c)):
                if j != i:
                    continue
                d = derivs[slot] if known else None
                up = g.grad[c] if started else None
                product = up * d if up is not None and d is not None and arrived else None
                terms.append(ChainTerm(c, label(g, c), d, deriv_text(g, c, slot), up, product,
                                       arrived))
        return terms if limit is None else terms[:limit]

    def chain_count(self, i: int) -> tuple[int, int]:
        """(terms, pending) of ∂f/∂i's chain rule, without building them: O(consumers)."""
        consumers = self.consumers(i)
        return len(consumers), sum(not self.final(c) for c in consumers)

    def received(self) -> dict[int, float]:
        """The nodes the backward step just taken pushed to, each with its gradient before
        the push: O(1), for views that redraw every frame."""
        return self._steps.received(self.pos) if self.in_backward else {}

    # ------------------------------------------------------------------ names
    def resolve(self, ref: str) -> int:
        """A node from '#id', a name, a call such as neuron#2 (its last node: the call's
        value), or a label such as 3xy."""
        g = self.prog.graph
        name, hash_, ordinal = ref.partition("#")
        if name and hash_ and ordinal.isdigit() and g.calls:
            call = next((c for c, (n, k, _) in enumerate(g.calls)
                         if n == name and k == int(ordinal)), None)
            if call is not None:
                nodes = [i for i in range(g.calls[call][2], len(g)) if g.call_of.get(i) == call]
                if nodes:
                    return nodes[-1]
        if ref.startswith("#"):
            try:
                i = int(ref[1:])
            except ValueError:
                raise CommandError(f"'{clip(ref)}' is not a node id; ids look like #4") from None
            if not 0 <= i < len(g):
                raise CommandError(f"no node {ref}; ids run from #0 to #{len(g) - 1}")
            return i
        bound = self.prog.lookup(ref)
        if bound is not None:
            return bound
        if self._label_index is None:
            index: dict[str, list[int]] = {}
            for i in range(len(g)):
                index.setdefault(_normalise(label(g, i)), []).append(i)
            self._label_index = index
        found = self._label_index.get(_normalise(ref))
        if found:
            # Prefer a node the current output depends on, then the newest.
            in_cone = [i for i in found if self.in_cone(i)]
            return (in_cone or found)[-1]
        close = difflib.get_close_matches(_normalise(ref), list(self._label_index), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; :nodes lists them"
        raise CommandError(f"no node '{clip(ref)}'{hint}")

    # ------------------------------------------------------------------ whole program
    def summary(self, nodes: bool = False) -> Summary:
        """f's value and its inputs' gradients from full passes (independent of stepping);
        with `nodes`, every node of f's graph too (--json's summary object). Without it the
        cost is the passes' and O(f's inputs): no label per node. Nodes outside f's graph
        are counted, not listed."""
        g = self.prog.graph
        out = self.output
        if out is None:
            return Summary(None, [], [])
        ref = gradcheck.reference(g, out)
        return Summary(
            {"label": label(g, out), "value": ref.value[out]},
            [{"name": name, "value": ref.value[i], "grad": ref.grad[i]}
             for name, i in self.inputs_of_f()],
            [{"id": i, "label": label(g, i), "op": OPS[g.op[i]].name, "value": ref.value[i],
              "grad": ref.grad[i] if g.takes_grad(i) else None, "operands": list(g.operands(i))}
             for i in self.nodes_of_f()] if nodes else [],
            self.outside(),
            {"inputs": len(self._inputs), "forward_mode": len(self._inputs), "reverse_mode": 2},
        )

    def eval_error(self, err: EvalError) -> Error:
        """The error event for an evaluation that stopped at a node: where and why. A line
        typed in a session gets no line:column (its caret shows the statement instead)."""
        g = self.prog.graph
        span = self.prog.span(err.node)
        where = self.prog.error_at(err.node, err.message)
        at = "" if span.file == REPL_FILE else f" at {span}"
        return Error(f"cannot evaluate {label(g, err.node)}{at}: {err.message}",
                     file=span.file, at_line=span.line, col=span.col, span=str(span),
                     caret=where.caret())
