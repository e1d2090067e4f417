"""The step-through session: lines in, events out. No UI here.

The TUI, replay files and headless mode all drive a Session with the same lines (a
statement of the language, or a ``:command``) and render the events it returns. Views read
the session through its public model (session_queries.Queries) and never its undo log.

f is the node differentiated: the last statement, or a node chosen with ``:output``. Only
f's graph is stepped (session_steps.Stepping); the rest of the program is counted as
"outside f". ``:new`` starts afresh. Stepping has two modes, each a steps.Steps object: backprop
(reverse_steps.py: forward in program order, backward in exact reverse) and forward-mode AD
(forward_steps.py: one tangent pass per seeded input); ``:mode`` switches between them.

Listeners. After each line run from outside (not the lines a :load runs inside it), the
session calls every listener with the line and its events: the recorder is one. A listener
may return events to add to the line's (the recorder's warning when the disk fills up).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

from .conditions import Condition
from .events import Check, CheckRow, Defined, Error, Event, Info, Mode, NewSession, Statement, Warn
from .forward_steps import ForwardSteps
from .incremental import ConeCount, Reference
from .labels import fmt_val, label
from .language import LangError, Program
from .ops import INPUT, LITERAL
from .registry import ALIASES, COMMANDS, MAX_COMMAND_CHARS, CommandError, unknown
from .reverse_steps import ReverseSteps
from .session_breaks import MAX_WATCH, Breakpoints
from .steps import Steps
from .textutil import clip

__all__ = ["MAX_WATCH", "Session"]

Listener = Callable[[str, list[Event]], "list[Event] | None"]

# Words a learner types that are not statements (unless bound as names).
QUIT_WORDS = ("quit", "exit")
QUIT_HELP = ("quit is not a statement: the TUI quits with Ctrl+Q; headless mode stops at the "
             "end of its input (Ctrl+D on a terminal)")


class Session(Breakpoints):
    def __init__(self, program: Program | None = None) -> None:
        self.line = 0
        self.file = "<input>"
        self.breaks: set[int] = set()
        self.break_ops: set[str] = set()
        self.break_when: list[tuple[int | None, Condition]] = []  # :break [NODE] when …
        self.watches: list[int] = []  # :watch
        self.last_error: Error | None = None
        # Hooks for a UI that runs :check in a worker: progress(done, total), cancelled().
        self.check_progress: Callable[[int, int], None] | None = None
        self.check_cancelled: Callable[[], bool] | None = None
        self.listeners: list[Listener] = []
        # Gradients of the same graph from another engine (check_engine puts the learner's
        # here) and finite-difference estimates made with them, by node: views show them
        # beside backprop's through other_grad(i), fd_grad(i) and node_info(i).
        self.other_grads: dict[int, float] = {}
        self.other_name = ""
        self.fd_grads: dict[int, float] = {}
        self._depth = 0  # run_line nesting: a :load runs lines inside a line
        self._start(program or Program())

    def _start(self, program: Program) -> None:
        """Begin on `program`: nothing differentiated until its output is set."""
        self.prog = program
        # (position, text) of each :say, for handouts that show narration beside its step.
        # A new output restarts stepping, so earlier narration moves to position 0.
        self.narration: list[tuple[int, str]] = []
        self._narration_reset = 0  # narration before this index is already at position 0
        self.output: int | None = None
        self.output_chosen = False  # f was picked with :output rather than being the last statement
        # f's step order and what depends on it (session_queries.Ordered): built when first
        # read after f changed (_ensure), so a statement costs O(its nodes), not O(graph).
        self._order_stale = False
        self._o_fwd: Sequence[int] = ()  # forward steps' nodes, in order (read-only for views)
        self._o_bwd: Sequence[int] = ()  # backward steps' nodes, in order
        self.pos = 0  # steps taken
        self.last_check: Check | None = None
        # Input values before each :nudge / :descend, newest last: :back at the start of
        # stepping restores the newest (one undo entry per command). Any other change to the
        # program, f or an input empties it: the snapshot would then undo more than that.
        self.input_undo: list[dict[int, float]] = []
        self.last_check_line = ":check"  # the :check line that ran it (a recording replays it)
        self._o_fwd_index = array("i")
        self._o_bwd_index = array("i")
        self._o_cone = bytearray()
        self._o_cone_size = 0
        self._o_inputs: list[tuple[str, int]] = []
        # What each statement reports, kept up to date per statement (incremental.py).
        self._ref = Reference(self.prog.graph)
        self._count = ConeCount(self.prog.graph)
        self._consumers: tuple[list[int], list[int]] | None = None
        self._label_index: dict[str, list[int]] | None = None
        self._check_index: tuple[Check | None, dict[int, CheckRow]] = (None, {})
        # Op nodes outside f's cone: stepping never visits them, so they hold full-pass
        # values, or an entry in _off_errors when they cannot be evaluated. Computed when first
        # asked for (computed(i)) after the structure or an input changed.
        self._o_off: list[int] = []
        self._off_errors: dict[int, str] = {}
        self._off_stale = True
        self.mode: Mode = "reverse"
        self._o_seeds: list[int] = []  # forward mode: the input each tangent pass seeds (.seeds)
        self._all_inputs = False  # forward mode over every input of f (seeds follow f)
        self._o_steps: Steps = ReverseSteps(self.prog.graph, -1, [], [], [])
        if self.prog.output is not None:
            self.set_output(self.prog.output)

    def new(self) -> NewSession:
        """Start afresh: an empty program, no breakpoints, no check (listeners stay)."""
        self.breaks.clear()
        self.break_ops.clear()
        self.break_when.clear()
        self.watches.clear()
        self._start(Program())
        return NewSession("new session: the program is empty; type an expression, "
                          "e.g. x = 2; x^2 + 1")

    # ------------------------------------------------------------------ input lines
    def run_line(self, text: str, line: int | None = None, file: str | None = None) -> list[Event]:
        """Run one line (statements or a :command) and return its events. Never raises."""
        self.line = self.line + 1 if line is None else line
        if file is not None:
            self.file = file
        stripped = text.strip()
        first = stripped[:1]  # "" for a blank line: `in` below is then true
        self._depth += 1
        try:
            if first not in ":/#":  # a statement: most lines of a file
                if first in "hqe" and (word := self._word(stripped)) is not None:
                    events = word
                else:
                    prog = self.prog
                    nodes = prog.run(text, self.file, self.line)
                    if prog.defined:
                        events = self._defined()
                        if nodes:
                            events += self.statement_event(text)
                    else:
                        events = self.statement_event(text) if nodes else []
            elif first == ":":
                events = self._command(stripped[1:])
            elif first == "/":  # /TEXT searches, as in less and vim (no statement starts so)
                events = self._command("find " + stripped[1:])
            else:  # blank, or a # comment
                events = []
        except CommandError as exc:
            events = [Error(str(exc), file=self.file, at_line=self.line, col=1)]
        except LangError as exc:
            events = [Error(exc.message, file=exc.file, at_line=exc.line, col=exc.col,
                            caret=exc.caret())]
        except RecursionError:  # defensive: nothing here should recurse
            events = [Error("the input is nested too deeply")]
        finally:
            self._depth -= 1
        last_error = None
        for ev in events:
            ev.line = self.line
            if isinstance(ev, Error):
                last_error = ev
        # ':expect error' looks at the line before it, so expectations don't clear it.
        if first != ":" or not stripped.startswith(":expect"):
            self.last_error = last_error
        if self.listeners:
            self.publish(text, events)
        return events

    def publish(self, text: str, events: list[Event]) -> None:
        """Tell the listeners a line ran (only lines run from outside, not inside a :load);
        the events a listener returns are added to the line's."""
        if self._depth == 0:
            for listener in list(self.listeners):
                extra = listener(text, events)
                for ev in extra or ():
                    ev.line = self.line
                    events.append(ev)

    def _word(self, stripped: str) -> list[Event] | None:
        """`help` and `quit` typed as statements (unless they are bound names): what the
        learner meant, rather than "unknown name 'help'"."""
        if not stripped.startswith("help") and stripped not in QUIT_WORDS:
            return None  # every statement of a file: no split
        words = stripped.split()
        if words[0] in self.prog.bindings:
            return None
        if words[0] == "help" and (len(words) == 1 or len(words) == 2
                                   and words[1].lstrip(":") in ALIASES):
            return self._command(" ".join(words))
        if stripped in QUIT_WORDS:
            return [Info(QUIT_HELP)]
        return None

    def _note_warnings(self) -> list[Event]:
        # (not a comprehension in statement_event: a closure over g would cost every call)
        g = self.prog.graph
        return [Warn(msg, node, label(g, node)) for msg, node, _, _ in self.prog.notes]

    def _defined(self) -> list[Event]:
        return [Defined(f.name, list(f.params), clip(f.text, 80), f.ops, f.redefines)
                for f in self.prog.defined]

    def statement_event(self, text: str) -> list[Event]:
        """After statements were added to the program: make its output f (stepping
        restarts) and report its value, with a warning when something overflowed. O(the
        statement's nodes): values and cone counts are kept up to date (incremental.py)."""
        self._label_index = None
        prog = self.prog
        out = prog.output
        assert out is not None
        self.set_output(out)
        g = prog.graph
        # Written for the common line of a file (no notes, no error, a finite value, a
        # bound name): it runs once per statement line.
        events = self._note_warnings() if prog.notes else []
        value = None
        ref = self._ref
        ref.sync()
        err = ref.error(out) if ref.failed else None
        if err is not None:
            events.append(self.eval_error(err))
        else:
            value = ref.value[out]
            # Overflow to inf (1e308*10) is a warning, not an error: name the first node.
            bad = ref.nonfinite.get(out) if ref.nonfinite else None
            if bad is not None:
                v = ref.value[bad]
                kind = "nan" if v != v else "overflow to inf"
                events.append(Warn(f"value is {v} ({kind})", bad, label(g, bad)))
        counts = self._count.update(out)
        if counts is None:  # a big cone unlike the last one: count it by the step order
            counts = self._cone_size, len(self.fwd), len(self._inputs)
        nodes, ops, inputs = counts
        # The name this statement bound (x2 = 3x): f = x2 must be said, not implied.
        name = prog.last_name or ""
        node = g.names.get(out)  # label()'s first answer, without the call
        ev = Statement(text.strip(), out, label(g, out) if node is None else node, value, nodes,
                       inputs, ops, ops + inputs, name=name, outside=len(g.op) - nodes)
        if events:
            events.insert(0, ev)
            return events
        return [ev]

    def _command(self, text: str) -> list[Event]:
        if len(text) > MAX_COMMAND_CHARS:
            raise CommandError(f"the command is {len(text):,} characters long; the limit is "
                               f"{MAX_COMMAND_CHARS:,}")
        parts = text.split(maxsplit=1)
        if not parts:
            raise CommandError("empty command; try :help")
        name = ALIASES.get(parts[0])
        if name is None:
            raise unknown(parts[0], text)
        cmd = COMMANDS[name]
        rest = parts[1] if len(parts) > 1 else ""
        return cmd.run(self, ([rest] if rest else []) if cmd.raw else rest.split())

    # ------------------------------------------------------------------ structure
    def set_output(self, out: int, chosen: bool = False) -> None:
        """Make `out` the differentiated node f: its graph sets the steps. Resets stepping;
        the last check was about another f (or other values), so it is dropped. O(1): the
        step order is built when first read (_ensure). The steps taken are undone, O(1)
        each, so values and gradients are at rest again (op nodes nan, gradients 0)."""
        if not self._order_stale:
            while self.pos:
                self._undo()
        self.output = out
        self.output_chosen = chosen
        if self.input_undo:
            self.input_undo.clear()
        self.pos = 0
        self._order_stale = True
        self._consumers = None
        self.last_check = None
        narration = self.narration
        if self._narration_reset < len(narration):
            for k in range(self._narration_reset, len(narration)):  # each entry once
                narration[k] = (0, narration[k][1])
            self._narration_reset = len(narration)

    def _ensure(self) -> None:
        """Build f's step order, cone and indexes after f changed, and reset stepping on
        them: O(graph), once per change of f, when something first asks."""
        out = self.output
        self._order_stale = False
        if out is None:
            return
        g = self.prog.graph
        n = len(g)
        grad = g.grad
        for i in self._o_bwd:  # the old cone: a node left outside the new one keeps no gradient
            if i < n:
                grad[i] = 0.0
        cone = g.cone(out)
        self._o_fwd, self._o_bwd = g.step_order(out, cone)
        cone.extend(bytes(n - len(cone)))  # nodes after f: outside it
        self._o_cone = cone
        self._o_cone_size = sum(cone)
        op = g.op
        self._o_inputs = [(g.names[i], i) for i in self._o_bwd[::-1] if op[i] == INPUT]
        fwd_index = array("i", [-1]) * n  # 4 bytes a node
        bwd_index = array("i", [-1]) * n
        for k, i in enumerate(self._o_fwd):
            fwd_index[i] = k
        for k, i in enumerate(self._o_bwd):
            bwd_index[i] = k
        self._o_fwd_index, self._o_bwd_index = fwd_index, bwd_index
        self._o_off = [i for i in range(n) if op[i] > LITERAL and fwd_index[i] < 0]
        self._off_stale = True
        if self.mode == "forward":
            # Seeds follow f: every input of the new f, or those chosen that it still uses.
            kept = [i for i in self._o_seeds if cone[i]]
            self._all_inputs = self._all_inputs or not kept
            self._o_seeds = [i for _, i in self._o_inputs] if self._all_inputs else kept
        self._new_steps()

    def set_mode(self, mode: Mode, seeds: list[int] | None = None) -> None:
        """Step by backprop ("reverse") or by forward-mode AD, one tangent pass per seed
        (None: every input of f, following f when it changes). Resets stepping."""
        if self._order_stale:
            self._ensure()
        self.mode = mode
        self._all_inputs = mode == "forward" and seeds is None
        if mode == "reverse":
            self._o_seeds = []
        else:
            self._o_seeds = [i for _, i in self._inputs] if seeds is None else list(seeds)
        self._new_steps()

    def _new_steps(self) -> None:
        g, out = self.prog.graph, self.output
        if out is None:
            return
        if self.mode == "forward":
            self._o_steps = ForwardSteps(g, out, self.fwd, self.bwd, self._inputs, self.seeds)
        else:
            self._o_steps = ReverseSteps(g, out, self.fwd, self.bwd, self._inputs)
        self._reset_state()

    def set_input(self, i: int, value: float) -> None:
        """Change input i's value in place (:set); stepping restarts, and the last check,
        which judged the old values, is dropped."""
        self.input_undo.clear()
        self._set_values({i: value})

    def change_inputs(self, values: dict[int, float]) -> None:
        """Set several inputs at once as one undoable change (:nudge, :descend): :back at
        the start of stepping restores the values before it."""
        value = self.prog.graph.value
        self.input_undo.append({i: value[i] for i in values})
        self._set_values(values)

    def undo_inputs(self) -> Info:
        """Restore the inputs before the last :nudge or :descend."""
        old = self.input_undo.pop()
        self._set_values(old)
        g = self.prog.graph
        shown = ", ".join(f"{label(g, i)} = {fmt_val(v)}" for i, v in old.items())
        return Info(f"back to the inputs before the last change: {clip(shown, 400)}; "
                    "restarted from the forward pass")

    def back(self, n: int = 1) -> list[Event]:
        if self.pos == 0 and self.input_undo and self.output is not None:
            return [self.undo_inputs()]
        return super().back(n)

    def _set_values(self, values: dict[int, float]) -> None:
        value = self.prog.graph.value
        for i, v in values.items():
            value[i] = v
        self._ref.invalidate()
        self._off_stale = True
        self.last_check = None
        self.reset()

    def _settle_off_cone(self) -> None:
        """Give the op nodes outside f's cone their full-pass values at the current inputs
        (x = 2; y = x*x; z = x + 1: y is not part of f = z, and shows 4, not a stale nan).
        O(last such node), once per change, and only when there is one; the cone's values
        (the stepping state) are untouched."""
        self._off_errors = {}
        self._off_stale = False
        off = self._off
        if not off:
            return
        g = self.prog.graph
        vals, errors = g.evaluate_upto(off[-1] + 1)
        value = g.value
        for i in off:
            value[i] = vals[i]
            if i in errors:
                self._off_errors[i] = errors[i]

