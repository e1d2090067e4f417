"""The step-through session: commands in, events out. No UI here.

The TUI, replay files and headless mode all drive a Session with the same lines (a
statement of the language, or a ``:command``) and render the events it returns.

Stepping model. Forward steps evaluate the op nodes of the output's cone in topological
order; backward steps visit every node of the cone in reverse order (the first seeds
∂f/∂f = 1), pushing the node's gradient to its operands. Each step appends what it changed
to an undo log, so ``:back`` costs O(1) per step at any position.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import gradcheck
from .events import (
    Back,
    BreakHit,
    Check,
    Contribution,
    Error,
    Event,
    Info,
    NodeInfo,
    Phase,
    Statement,
    Step,
    Summary,
    Warn,
)
from .graph import EvalError
from .labels import deriv_text, fmt_val, formula, kind_name, label
from .language import LangError, Program
from .ops import LITERAL, OPS

if TYPE_CHECKING:
    from .script import Recorder

_NAN = math.nan


class CommandError(Exception):
    """A command's arguments are wrong: the message says what was expected."""


MAX_COMMAND_CHARS = 10_000  # a :command line longer than this is an error, not echoed


def clip_text(text: str, n: int = 60) -> str:
    """User text quoted in a message, clipped: a hostile argument is not echoed in full."""
    return text if len(text) <= n else text[: n - 1] + "…"


@dataclass
class Command:
    name: str
    aliases: tuple[str, ...]
    usage: str
    help: str
    run: Callable[[Session, list[str]], list[Event]]


COMMANDS: dict[str, Command] = {}
_ALIASES: dict[str, str] = {}


def command(name: str, usage: str, help: str, aliases: tuple[str, ...] = ()):
    """Register a :command. Every view gets it: this table is the only list."""

    def deco(fn: Callable[[Session, list[str]], list[Event]]):
        COMMANDS[name] = Command(name, aliases, usage, help, fn)
        for alias in (name, *aliases):
            _ALIASES[alias] = name
        return fn

    return deco


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
        self.recorder: Recorder | None = None  # :record (script.py) appends each line run
        self.output: int | None = None
        self.fwd: list[int] = []
        self.bwd: list[int] = []
        self.fwd_index: list[int] = []
        self.bwd_index: list[int] = []
        self.pos = 0
        self.log: list[tuple] = []
        self._label_index: dict[str, list[int]] | None = None
        if self.prog.output is not None:
            self._set_output(self.prog.output)

    # ------------------------------------------------------------------ input lines
    def run_line(self, text: str, line: int | None = None, file: str | None = None) -> list[Event]:
        """Run one line (statements or a :command) and return its events. Never raises."""
        self.line = self.line + 1 if line is None else line
        if file is not None:
            self.file = file
        stripped = text.strip()
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
        for ev in events:
            ev.line = self.line
        errors = [e for e in events if isinstance(e, Error)]
        # ':expect error' looks at the line before it, so expectations don't clear it.
        if not stripped.startswith(":expect"):
            self.last_error = errors[-1] if errors else None
        if self.recorder is not None:
            self.recorder.record(self, text, events)
        return events

    def _statement(self, text: str) -> list[Event]:
        nodes = self.prog.run(text, self.file, self.line)
        if not nodes:
            return []
        self._label_index = None
        self._set_output(self.prog.output)
        g = self.prog.graph
        out = self.prog.output
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
            events.append(self._eval_error(err))
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
        name = _ALIASES.get(parts[0])
        if name is None:
            close = difflib.get_close_matches(parts[0], list(_ALIASES), n=3)
            hint = f"; did you mean {', '.join(':' + c for c in close)}?" if close else "; try :help"
            if any(c in text for c in "=+-*/^()"):
                # Pressing ':' in the TUI starts a command line; a statement goes without it.
                hint = f"; a statement is typed without the ':', as {clip_text(text.strip())}"
            raise CommandError(f"unknown command ':{clip_text(parts[0])}'{hint}")
        return COMMANDS[name].run(self, parts[1:])

    # ------------------------------------------------------------------ structure
    def _set_output(self, out: int) -> None:
        """Make `out` the differentiated node: its cone sets the steps. Resets stepping.

        The backward order is Kahn's algorithm from the output, operands left to right: a
        node is visited once every consumer has pushed to it. For the seed this visits x²
        before 3x, so x's gradient arrives as 0 → 4 → 13, as in the seed's walk-through.
        The forward order is its mirror image.
        """
        g = self.prog.graph
        n = len(g)
        a, b, op = g.a, g.b, g.op
        pending = [0] * n  # consumers in the cone not yet visited, one per edge
        seen = bytearray(n)
        seen[out] = 1
        for i in range(out, -1, -1):
            if seen[i] and op[i] > LITERAL:
                pending[a[i]] += 1
                seen[a[i]] = 1
                if b[i] >= 0:
                    pending[b[i]] += 1
                    seen[b[i]] = 1
        order = [out]
        k = 0
        while k < len(order):
            i = order[k]
            k += 1
            if op[i] > LITERAL:
                for j in (a[i], b[i]) if b[i] >= 0 else (a[i],):
                    pending[j] -= 1
                    if pending[j] == 0:
                        order.append(j)
        self.output = out
        self.bwd = order
        self.fwd = [i for i in reversed(order) if op[i] > LITERAL]
        self.fwd_index = [-1] * n
        self.bwd_index = [-1] * n
        for k, i in enumerate(self.fwd):
            self.fwd_index[i] = k
        for k, i in enumerate(self.bwd):
            self.bwd_index[i] = k
        self._reset_state()

    def _reset_state(self) -> None:
        g = self.prog.graph
        value, grad = g.value, g.grad
        for i in self.fwd:
            value[i] = _NAN
        for i in self.bwd:
            grad[i] = 0.0
        self.pos = 0
        self.log.clear()

    def require_program(self) -> int:
        if self.output is None:
            raise CommandError("no program yet: type an expression, e.g. x = 2; x^2 + 1")
        return self.output

    # ------------------------------------------------------------------ queries
    @property
    def steps_total(self) -> int:
        return len(self.fwd) + len(self.bwd)

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

    def computed(self, i: int) -> bool:
        k = self.fwd_index[i] if i < len(self.fwd_index) else -1
        return k < 0 or k < self.pos

    def final(self, i: int) -> bool:
        k = self.bwd_index[i] if i < len(self.bwd_index) else -1
        return k >= 0 and k < self.pos - len(self.fwd)

    def node_info(self, i: int) -> NodeInfo:
        g = self.prog.graph
        computed = self.computed(i)
        in_cone = i < len(self.bwd_index) and self.bwd_index[i] >= 0
        grad = g.grad[i] if g.takes_grad(i) and in_cone else None
        return NodeInfo(i, label(g, i), kind_name(g, i), g.value[i] if computed else None, grad,
                        self.final(i), list(g.operands(i)), str(self.prog.span(i)),
                        formula(g, i) if computed and not g.is_leaf(i) else "")

    def resolve(self, ref: str) -> int:
        """A node from '#id', a name, or a label such as 3xy."""
        g = self.prog.graph
        if ref.startswith("#"):
            try:
                i = int(ref[1:])
            except ValueError:
                raise CommandError(f"'{clip_text(ref)}' is not a node id; ids look like #4") from None
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
            in_cone = [i for i in found if i < len(self.bwd_index) and self.bwd_index[i] >= 0]
            return (in_cone or found)[-1]
        close = difflib.get_close_matches(_normalise(ref), list(self._label_index), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; :nodes lists them"
        raise CommandError(f"no node '{clip_text(ref)}'{hint}")

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

    # ------------------------------------------------------------------ stepping
    def _advance(self) -> int:
        """Take one step without building an event; returns the node. Raises EvalError."""
        g = self.prog.graph
        f = len(self.fwd)
        if self.pos < f:
            i = self.fwd[self.pos]
            old = g.value[i]
            g.value[i] = g.eval_node(i)
            self.log.append((i, old))
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
            self.log.append((i, seeded_old, tuple(pushes)))
        self.pos += 1
        return i

    def _undo(self) -> None:
        g = self.prog.graph
        self.pos -= 1
        entry = self.log.pop()
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
        if self.pos <= f:
            return Step("forward", i, label(g, i), g.value[i], None, self.pos, f, formula(g, i))
        _, seeded_old, pushes = self.log[-1]
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

    def _eval_error(self, err: EvalError) -> Error:
        g = self.prog.graph
        span = self.prog.span(err.node)
        where = self.prog.error_at(err.node, err.message)
        return Error(f"cannot evaluate {label(g, err.node)} at {span}: {err.message}",
                     file=span.file, at_line=span.line, col=span.col, span=str(span),
                     caret=where.caret())

    def _checks_after(self, i: int) -> list[Event]:
        """Warnings and phase-end events after the step at node i."""
        g = self.prog.graph
        out: list[Event] = []
        f = len(self.fwd)
        value = g.value[i] if self.pos <= f else g.grad[i]
        if not math.isfinite(value):
            what = "value" if self.pos <= f else "gradient"
            out.append(Warn(f"{what} is {value}", i, label(g, i)))
        if self.pos > f and self.log[-1][2]:
            for j, _ in self.log[-1][2]:
                if not math.isfinite(g.grad[j]):
                    out.append(Warn(f"gradient became {g.grad[j]} (from {label(g, i)})", j,
                                    label(g, j)))
        if self.pos == f:
            out.append(Phase("forward", "done", f"forward pass done: f = {label(g, self.output)} = "
                             f"{fmt_val(g.value[self.output])}; next, the backward pass"))
        elif self.pos == self.steps_total:
            grads = ", ".join(f"∂f/∂{name} = {fmt_val(g.grad[n])}" for name, n in self.prog.inputs()
                              if self.bwd_index[n] >= 0)
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
                events.append(self._eval_error(err))
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
        phase, _, _ = self.progress()
        return [Back(steps, phase, self.progress_text(), cur,
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


# Command modules register themselves in COMMANDS on import.
from . import (  # noqa: E402,F401
    commands,  # :step :back … :check :hsweep :compare :help
    dot,  # :export
    script,  # :say :pause :expect :load :record
)
