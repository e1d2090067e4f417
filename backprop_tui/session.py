"""The step-through session: lines in, events out. No UI here.

The TUI, replay files and headless mode all drive a Session with the same lines (a
statement of the language, or a ``:command``) and render the events it returns. Views read
the session through its public model (the queries below) and never its undo log.

Stepping model. The session owns the position (steps taken) and an undo log with one
entry per step; the stepping mode owns the step rules (steps.py). In reverse mode
(reverse_steps.py, backprop) forward steps evaluate the op nodes of the output's cone in
topological order and backward steps visit every node of the cone in reverse order (the
first seeds ∂f/∂f = 1), pushing the node's gradient to its operands; in forward mode
(forward_steps.py) each step computes a node's value and tangent, one pass per seeded
input. ``:back`` costs O(1) per step at any position, in either mode.

The read-only model for views (node_info, chain_terms, resolve, summary, ...) is in
queries.py, a mixin of Session.

Listeners. After each line run from outside (not the lines a :load runs inside it), the
session calls every listener with the line and its events: the recorder is one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from . import gradcheck
from .events import Back, BreakHit, Check, Error, Event, Info, Mode, Statement, Step, Warn
from .forward_steps import ForwardSteps
from .graph import EvalError, Graph
from .labels import label
from .language import LangError, Program
from .ops import OPS
from .queries import ChainTerm, Queries
from .registry import ALIASES, COMMANDS, MAX_COMMAND_CHARS, CommandError, unknown
from .reverse_steps import ReverseSteps
from .steps import Steps

__all__ = ["ChainTerm", "Listener", "Session"]

Listener = Callable[[str, list[Event]], None]


class Session(Queries):
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
        self.output: int | None = None
        self.fwd: list[int] = []  # forward steps' nodes, in order (read-only for views)
        self.bwd: list[int] = []  # backward steps' nodes, in order
        self.pos = 0  # steps taken
        self.mode: Mode = "reverse"
        self.seeds: list[int] = []  # forward mode: the input each tangent pass seeds
        self._all_inputs = False  # forward mode over every input of f (seeds follow f)
        self._inputs: list[tuple[str, int]] = []  # f's inputs (name, node)
        self._fwd_index: list[int] = []
        self._bwd_index: list[int] = []
        self._consumers: tuple[list[int], list[int]] | None = None
        self._log: list[tuple] = []
        self._steps: Steps = ReverseSteps(self.prog.graph, -1, [], [], [])
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
        self._inputs = [(name, i) for name, i in self.prog.inputs() if self._bwd_index[i] >= 0]
        if self.mode == "forward":
            # Seeds follow f: every input of the new f, or those chosen that it still uses.
            kept = [i for i in self.seeds if self._bwd_index[i] >= 0]
            self._all_inputs = self._all_inputs or not kept
            self.seeds = [i for _, i in self._inputs] if self._all_inputs else kept
        self._consumers = None
        self._new_steps()

    def set_mode(self, mode: Mode, seeds: list[int] | None = None) -> None:
        """Step by backprop ("reverse") or by forward-mode AD, one tangent pass per seed
        (None: every input of f, following f when it changes). Resets stepping."""
        self.mode = mode
        self._all_inputs = mode == "forward" and seeds is None
        if mode == "reverse":
            self.seeds = []
        else:
            self.seeds = [i for _, i in self._inputs] if seeds is None else list(seeds)
        self._new_steps()

    def _new_steps(self) -> None:
        g, out = self.prog.graph, self.output
        if out is None:
            return
        if self.mode == "forward":
            self._steps = ForwardSteps(g, out, self.fwd, self.bwd, self._inputs, self.seeds)
        else:
            self._steps = ReverseSteps(g, out, self.fwd, self.bwd, self._inputs)
        self._reset_state()

    def _reset_state(self) -> None:
        self._steps.reset()
        self.pos = 0
        self._log.clear()

    def require_program(self) -> int:
        if self.output is None:
            raise CommandError("no program yet: type an expression, e.g. x = 2; x^2 + 1")
        return self.output

    # ------------------------------------------------------------------ position queries
    @property
    def steps_total(self) -> int:
        return self._steps.total

    @property
    def in_backward(self) -> bool:
        """A backward step has been taken."""
        return self._steps.in_backward(self.pos)

    def progress(self) -> tuple[str, int, int]:
        """('forward', 3, 5) or ('backward', 2, 9): the phase and steps done in it."""
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
        return self._steps.computed(self.forward_step_of(i), self.pos)

    def final(self, i: int) -> bool:
        return self._steps.final(self.backward_step_of(i), self.pos)

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

    # ------------------------------------------------------------------ stepping
    def _advance(self) -> int:
        """Take one step without building an event; returns the node. Raises EvalError."""
        i, entry = self._steps.advance(self.pos)
        self._log.append(entry)
        self.pos += 1
        return i

    def _undo(self) -> None:
        self.pos -= 1
        self._steps.undo(self.pos, self._log.pop())

    def _step_event(self) -> Step:
        """The event for the step just taken (reads the undo log's top entry)."""
        return self._steps.event(self.pos, self._log[-1])

    def _checks_after(self, i: int) -> list[Event]:
        """Warnings and phase-end events after the step at node i."""
        return self._steps.after(self.pos, i, self._log[-1])

    def step(self, n: int = 1, verbose: bool = True, stop_at_breaks: bool = False) -> list[Event]:
        """Take up to n steps. Verbose: an event per step; else one summary line."""
        self.require_program()
        events: list[Event] = []
        taken = 0
        while taken < n:
            if self.pos >= self.steps_total:
                if taken == 0:
                    done = "both passes are done" if self.mode == "reverse" else "every tangent pass is done"
                    events.append(Info(f"at the end: {done} (:back or :reset)"))
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
            elif self._steps.at_phase_end(self.pos):
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
