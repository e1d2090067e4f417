"""The step-through session: lines in, events out. No UI here.

The TUI, replay files and headless mode all drive a Session with the same lines (a
statement of the language, or a ``:command``) and render the events it returns. Views read
the session through its public model (the queries below) and never its undo log.

Stepping model. Forward steps evaluate the op nodes of the output's cone in topological
order; backward steps visit every node of the cone in reverse order (the first seeds
∂f/∂f = 1), pushing the node's gradient to its operands. Each step appends what it changed
to an undo log, so ``:back`` costs O(1) per step at any position.

Listeners. After each line run from outside (not the lines a :load runs inside it), the
session calls every listener with the line and its events: the recorder is one.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass

from . import gradcheck
from .events import (
    Back,
    BreakHit,
    Check,
    Contribution,
    Error,
    Event,
    GradState,
    Info,
    LocalDeriv,
    NodeInfo,
    Phase,
    Statement,
    Step,
    Summary,
    Warn,
)
from .graph import EvalError, Graph
from .labels import deriv_text, fmt_val, formula, kind_name, label
from .language import LangError, Program
from .ops import OPS
from .registry import ALIASES, COMMANDS, MAX_COMMAND_CHARS, CommandError, unknown
from .textutil import clip

_NAN = math.nan

Listener = Callable[[str, list[Event]], None]


@dataclass(frozen=True)
class ChainTerm:
    """One term of ∂f/∂node = Σ over consumers c of ∂f/∂c · ∂c/∂node."""

    consumer: int
    consumer_label: str
    local: float  # ∂c/∂node at the stored values
    local_text: str
    upstream: float  # ∂f/∂c as it is now
    product: float
    arrived: bool  # c's backward step has pushed this term


def _normalise(text: str) -> str:
    """Label text as typed: no spaces or product signs, ASCII minus, ^ for superscripts."""
    text = text.replace("**", "^")
    for ch in " \t*×·":
        text = text.replace(ch, "")
    return text.replace("−", "-")


class Session:
    def __init__(self, program: Program | None = None) -> None:
        self.prog = program or Program()
        self.line = 0
        self.file = "<input>"
        self.breaks: set[int] = set()
        self.break_ops: set[str] = set()
        self.last_error: Error | None = None
        self.last_check: Check | None = None
        # Hooks for a UI that runs :check in a worker: progress(done, total), cancelled().
        self.check_progress: Callable[[int, int], None] | None = None
        self.check_cancelled: Callable[[], bool] | None = None
        self.listeners: list[Listener] = []
        # (position, text) of each :say, for handouts that show narration beside its step.
        # A new output restarts stepping, so earlier narration moves to position 0.
        self.narration: list[tuple[int, str]] = []
        self._narration_reset = 0  # narration before this index is already at position 0
        self.output: int | None = None
        self.fwd: list[int] = []  # forward steps' nodes, in order (read-only for views)
        self.bwd: list[int] = []  # backward steps' nodes, in order
        self.pos = 0  # steps taken
        self._fwd_index: list[int] = []
        self._bwd_index: list[int] = []
        self._consumers: tuple[list[int], list[int]] | None = None
        self._log: list[tuple] = []
        self._label_index: dict[str, list[int]] | None = None
        self._depth = 0  # run_line nesting: a :load runs lines inside a line
        if self.prog.output is not None:
            self.set_output(self.prog.output)

    @property
    def graph(self) -> Graph:
        return self.prog.graph

    # ------------------------------------------------------------------ input lines
    def run_line(self, text: str, line: int | None = None, file: str | None = None) -> list[Event]:
        """Run one line (statements or a :command) and return its events. Never raises."""
        self.line = self.line + 1 if line is None else line
        if file is not None:
            self.file = file
        stripped = text.strip()
        self._depth += 1
        try:
            if stripped.startswith(":"):
                events = self._command(stripped[1:])
            elif not stripped or stripped.startswith("#"):
                events = []
            else:
                events = self._statement(text)
        except CommandError as exc:
            events = [Error(str(exc), file=self.file, at_line=self.line, col=1)]
        except LangError as exc:
            events = [Error(exc.message, file=exc.file, at_line=exc.line, col=exc.col,
                            caret=exc.caret())]
        except RecursionError:  # defensive: nothing here should recurse
            events = [Error("the input is nested too deeply")]
        finally:
            self._depth -= 1
        for ev in events:
            ev.line = self.line
        errors = [e for e in events if isinstance(e, Error)]
        # ':expect error' looks at the line before it, so expectations don't clear it.
        if not stripped.startswith(":expect"):
            self.last_error = errors[-1] if errors else None
        self.publish(text, events)
        return events

    def publish(self, text: str, events: list[Event]) -> None:
        """Tell the listeners a line ran (only lines run from outside, not inside a :load)."""
        if self._depth == 0:
            for listener in list(self.listeners):
                listener(text, events)

    def _statement(self, text: str) -> list[Event]:
        nodes = self.prog.run(text, self.file, self.line)
        if not nodes:
            return []
        self._label_index = None
        out = self.prog.output
        assert out is not None
        self.set_output(out)
        g = self.prog.graph
        events: list[Event] = []
        value = None
        try:
            ref = gradcheck.reference(g, out)
            value = ref.value[out]
            # Overflow to inf (1e308*10) is a warning, not an error: name the first node.
            bad = next((i for i in self.fwd if not math.isfinite(ref.value[i])), None)
            if bad is not None:
                v = ref.value[bad]
                kind = "nan" if v != v else "overflow to inf"
                events.append(Warn(f"value is {v} ({kind})", bad, label(g, bad)))
        except EvalError as err:
            events.append(self.eval_error(err))
        ev = Statement(text.strip(), out, label(g, out), value, len(g), len(self.prog.inputs()),
                       len(self.fwd), len(self.bwd))
        return [ev, *events]

    def _command(self, text: str) -> list[Event]:
        if len(text) > MAX_COMMAND_CHARS:
            raise CommandError(f"the command is {len(text):,} characters long; the limit is "
                               f"{MAX_COMMAND_CHARS:,}")
        parts = text.split()
        if not parts:
            raise CommandError("empty command; try :help")
        name = ALIASES.get(parts[0])
        if name is None:
            raise unknown(parts[0], text)
        return COMMANDS[name].run(self, parts[1:])

    # ------------------------------------------------------------------ structure
    def set_output(self, out: int) -> None:
        """Make `out` the differentiated node: its cone sets the steps. Resets stepping."""
        g = self.prog.graph
        n = len(g)
        self.output = out
        self.fwd, self.bwd = g.step_order(out)
        self._fwd_index = [-1] * n
        self._bwd_index = [-1] * n
        for k, i in enumerate(self.fwd):
            self._fwd_index[i] = k
        for k, i in enumerate(self.bwd):
            self._bwd_index[i] = k
        self._consumers = None
        for k in range(self._narration_reset, len(self.narration)):  # each entry once
            self.narration[k] = (0, self.narration[k][1])
        self._narration_reset = len(self.narration)
        self._reset_state()

    def _reset_state(self) -> None:
        g = self.prog.graph
        value, grad = g.value, g.grad
        for i in self.fwd:
            value[i] = _NAN
        for i in self.bwd:
            grad[i] = 0.0
        self.pos = 0
        self._log.clear()

    def require_program(self) -> int:
        if self.output is None:
            raise CommandError("no program yet: type an expression, e.g. x = 2; x^2 + 1")
        return self.output

    # ------------------------------------------------------------------ queries
    @property
    def steps_total(self) -> int:
        return len(self.fwd) + len(self.bwd)

    @property
    def in_backward(self) -> bool:
        """A backward step has been taken."""
        return self.pos > len(self.fwd)

    def progress(self) -> tuple[str, int, int]:
        """('forward', 3, 5) or ('backward', 2, 9): the phase and steps done in it."""
        f = len(self.fwd)
        if self.pos <= f:
            return "forward", self.pos, f
        return "backward", self.pos - f, len(self.bwd)

    def progress_text(self) -> str:
        if self.output is None:
            return "no program"
        phase, k, n = self.progress()
        if phase == "backward" and k == n:
            return f"done: backward {k}/{n}"
        return f"{phase} {k}/{n}"

    def current(self) -> int | None:
        """The node of the last step taken, or None at the start."""
        if self.pos == 0:
            return None
        f = len(self.fwd)
        return self.fwd[self.pos - 1] if self.pos <= f else self.bwd[self.pos - 1 - f]

    def forward_step_of(self, i: int) -> int:
        """0-based index of node i's forward step, or -1 (a leaf, or not part of f)."""
        return self._fwd_index[i] if 0 <= i < len(self._fwd_index) else -1

    def backward_step_of(self, i: int) -> int:
        """0-based index of node i's backward step, or -1 when i is not part of f."""
        return self._bwd_index[i] if 0 <= i < len(self._bwd_index) else -1

    def in_cone(self, i: int) -> bool:
        """f depends on node i (i is part of f's graph)."""
        return self.backward_step_of(i) >= 0

    def computed(self, i: int) -> bool:
        k = self.forward_step_of(i)
        return k < 0 or k < self.pos

    def final(self, i: int) -> bool:
        k = self.backward_step_of(i)
        return k >= 0 and k < self.pos - len(self.fwd)

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
        computed = self.computed(i)
        grad = g.grad[i] if g.takes_grad(i) and self.in_cone(i) else None
        return NodeInfo(i, label(g, i), kind_name(g, i), g.value[i] if computed else None, grad,
                        self.final(i), list(g.operands(i)), str(self.prog.span(i)),
                        formula(g, i) if computed and not g.is_leaf(i) else "")

    def local_derivatives(self, i: int) -> list[LocalDeriv]:
        """∂i/∂operand for each operand, once i and its operands are computed (else [])."""
        g = self.prog.graph
        if g.is_leaf(i) or not self.computed(i) or not all(self.computed(j) for j in g.operands(i)):
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

    def chain_terms(self, i: int) -> list[ChainTerm]:
        """∂f/∂i as the chain rule writes it: one term per consumer c of i in f's graph,
        ∂f/∂c · ∂c/∂i, with the numbers as they are now and whether c has pushed it."""
        g = self.prog.graph
        terms = []
        for c in dict.fromkeys(self.consumers(i)):  # x·x: one consumer, two terms
            known = self.computed(c) and all(self.computed(j) for j in g.operands(c))
            derivs = g.local_derivs(c) if known else ()
            for slot, j in enumerate(g.operands(c)):
                if j != i:
                    continue
                d = derivs[slot] if known else _NAN
                up = g.grad[c] if self.in_backward else _NAN
                terms.append(ChainTerm(c, label(g, c), d, deriv_text(g, c, slot), up, up * d,
                                       self.final(c)))
        return terms

    def received(self) -> dict[int, float]:
        """The nodes the backward step just taken pushed to, each with its gradient before
        the push: O(1), for views that redraw every frame."""
        if not self.in_backward or not self._log:
            return {}
        return {j: before for j, before in reversed(self._log[-1][2])}

    def current_step(self) -> Step | None:
        """The event of the step just taken (None at the start)."""
        if self.pos == 0:
            return None
        return self._step_event()

    def last_contributions(self) -> list[Contribution]:
        """What the backward step just taken pushed to its operands ([] otherwise)."""
        step = self.current_step()
        return step.contributions if step is not None and step.phase == "backward" else []

    def resolve(self, ref: str) -> int:
        """A node from '#id', a name, or a label such as 3xy."""
        g = self.prog.graph
        if ref.startswith("#"):
            try:
                i = int(ref[1:])
            except ValueError:
                raise CommandError(f"'{clip(ref)}' is not a node id; ids look like #4") from None
            if not 0 <= i < len(g):
                raise CommandError(f"no node {ref}; ids run from #0 to #{len(g) - 1}")
            return i
        if ref in self.prog.bindings:
            return self.prog.bindings[ref]
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

    def summary(self) -> Summary:
        """The program's output and gradients from full passes (independent of stepping)."""
        g = self.prog.graph
        out = self.output
        if out is None:
            return Summary(None, [], [])
        ref = gradcheck.reference(g, out)
        return Summary(
            {"label": label(g, out), "value": ref.value[out]},
            [{"name": name, "value": ref.value[i], "grad": ref.grad[i]}
             for name, i in self.prog.inputs()],
            [{"id": i, "label": label(g, i), "op": OPS[g.op[i]].name, "value": ref.value[i],
              "grad": ref.grad[i] if g.takes_grad(i) else None, "operands": list(g.operands(i))}
             for i in range(len(g))],
        )

    def eval_error(self, err: EvalError) -> Error:
        """The error event for an evaluation that stopped at a node: where and why."""
        g = self.prog.graph
        span = self.prog.span(err.node)
        where = self.prog.error_at(err.node, err.message)
        return Error(f"cannot evaluate {label(g, err.node)} at {span}: {err.message}",
                     file=span.file, at_line=span.line, col=span.col, span=str(span),
                     caret=where.caret())

    # ------------------------------------------------------------------ stepping
    def _advance(self) -> int:
        """Take one step without building an event; returns the node. Raises EvalError."""
        g = self.prog.graph
        f = len(self.fwd)
        if self.pos < f:
            i = self.fwd[self.pos]
            old = g.value[i]
            g.value[i] = g.eval_node(i)
            self._log.append((i, old))
        else:
            i = self.bwd[self.pos - f]
            grad = g.grad
            seeded_old = None
            if i == self.output:
                seeded_old = grad[i]
                grad[i] = 1.0
            pushes = []
            if not g.is_leaf(i):
                gi = grad[i]
                for j, d in zip(g.operands(i), g.local_derivs(i), strict=True):
                    if g.takes_grad(j):
                        pushes.append((j, grad[j]))
                        grad[j] += gi * d
            # A tuple of atomics, so the cyclic GC stops tracking it: a long log stays cheap.
            self._log.append((i, seeded_old, tuple(pushes)))
        self.pos += 1
        return i

    def _undo(self) -> None:
        g = self.prog.graph
        self.pos -= 1
        entry = self._log.pop()
        if self.pos < len(self.fwd):
            i, old = entry
            g.value[i] = old
        else:
            i, seeded_old, pushes = entry
            for j, before in reversed(pushes):
                g.grad[j] = before
            if seeded_old is not None:
                g.grad[i] = seeded_old

    def _step_event(self) -> Step:
        """The event for the step just taken (reads the undo log's top entry)."""
        g = self.prog.graph
        f = len(self.fwd)
        i = self.current()
        assert i is not None
        if self.pos <= f:
            return Step("forward", i, label(g, i), g.value[i], None, self.pos, f, formula(g, i))
        _, seeded_old, pushes = self._log[-1]
        contribs = []
        if pushes:
            gi = g.grad[i]
            derivs = g.local_derivs(i)
            running: dict[int, float] = {}
            for slot, j in enumerate(g.operands(i)):
                if not g.takes_grad(j):
                    continue
                before = running.get(j, next(b for jj, b in pushes if jj == j))
                after = before + gi * derivs[slot]
                running[j] = after
                contribs.append(Contribution(j, label(g, j), derivs[slot], deriv_text(g, i, slot),
                                             gi, gi * derivs[slot], before, after))
        kink = ""
        if g.is_kink(i):
            kink = (f"{OPS[g.op[i]].name} is not differentiable at 0; backprop uses the "
                    f"convention {OPS[g.op[i]].name}'(0) = 0")
        grad = g.grad[i] if g.takes_grad(i) else None
        return Step("backward", i, label(g, i), g.value[i], grad, self.pos - f, len(self.bwd),
                    contributions=contribs, seeded=seeded_old is not None, final=True, kink=kink)

    def _checks_after(self, i: int) -> list[Event]:
        """Warnings and phase-end events after the step at node i."""
        g = self.prog.graph
        out: list[Event] = []
        f = len(self.fwd)
        value = g.value[i] if self.pos <= f else g.grad[i]
        if not math.isfinite(value):
            what = "value" if self.pos <= f else "gradient"
            out.append(Warn(f"{what} is {value}", i, label(g, i)))
        if self.pos > f and self._log[-1][2]:
            for j, _ in self._log[-1][2]:
                if not math.isfinite(g.grad[j]):
                    out.append(Warn(f"gradient became {g.grad[j]} (from {label(g, i)})", j,
                                    label(g, j)))
        if self.pos == f:
            assert self.output is not None
            out.append(Phase("forward", "done", f"forward pass done: f = {label(g, self.output)} = "
                             f"{fmt_val(g.value[self.output])}; next, the backward pass"))
        elif self.pos == self.steps_total:
            grads = ", ".join(f"∂f/∂{name} = {fmt_val(g.grad[n])}" for name, n in self.prog.inputs()
                              if self.in_cone(n))
            out.append(Phase("backward", "done", "backward pass done" + (f": {grads}" if grads else "")))
        return out

    def step(self, n: int = 1, verbose: bool = True, stop_at_breaks: bool = False) -> list[Event]:
        """Take up to n steps. Verbose: an event per step; else one summary line."""
        self.require_program()
        events: list[Event] = []
        taken = 0
        while taken < n:
            if self.pos >= self.steps_total:
                if taken == 0:
                    events.append(Info("at the end: both passes are done (:back or :reset)"))
                break
            try:
                i = self._advance()
            except EvalError as err:
                events.append(self.eval_error(err))
                break
            taken += 1
            if verbose:
                events.append(self._step_event())
                events.extend(self._checks_after(i))
            elif self.pos == len(self.fwd) or self.pos == self.steps_total:
                events.extend(self._checks_after(i))
            if stop_at_breaks:
                reason = self._break_reason(i)
                if reason:
                    if not verbose:
                        events.append(self._step_event())
                    events.append(BreakHit(i, label(self.prog.graph, i), reason))
                    break
        if not verbose and taken:
            events.insert(0, Info(f"ran {taken} step{'s' * (taken != 1)}: now {self.progress_text()}"))
        return events

    def back(self, n: int = 1) -> list[Event]:
        self.require_program()
        steps = min(n, self.pos)
        for _ in range(steps):
            self._undo()
        if steps == 0:
            return [Info("at the start: nothing to undo")]
        cur = self.current()
        return [Back(steps, "backward" if self.in_backward else "forward", self.progress_text(), cur,
                     None if cur is None else label(self.prog.graph, cur))]

    def run_to(self, target: int, verbose: bool = False) -> list[Event]:
        if target > self.pos:
            return self.step(target - self.pos, verbose=verbose)
        if target < self.pos:
            return self.back(self.pos - target)
        return [Info(f"already there: {self.progress_text()}")]

    def _break_reason(self, i: int) -> str:
        if i in self.breaks:
            return "breakpoint"
        name = OPS[self.prog.graph.op[i]].name
        return f"op:{name}" if name in self.break_ops else ""

    def reset(self) -> None:
        if self.output is not None:
            self._reset_state()
