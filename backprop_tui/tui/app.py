"""The Textual app: panes around one Session. Keys and the REPL send it lines; its events
and state are rendered. No autodiff logic lives here.

Every key-driven action is sent as its command text (``:step`` …) through
``Session.run_line``, so recording captures it and the log teaches the command. The app's
halves live beside it: keys.py (bindings, help text), reactions.py (what each event
updates), running.py (workers), playback.py (replays), palette.py, own_commands.py.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Footer, Input, Label, ProgressBar, TabbedContent, TabPane

from .. import commands as _commands  # noqa: F401  registers the built-in :commands
from .. import replay as _replay  # run_app's parameter shadows the module
from ..commands.view import toggle_line
from ..events import Event
from ..registry import COMMANDS
from ..render_text import text as event_text
from ..session import QUIT_WORDS, Session
from . import config
from .base import Runner
from .completion import complete
from .keys import BINDINGS, key_help
from .main_screen import MainScreen
from .messages import NodeSelected
from .nudging import NudgeMixin
from .own_commands import command_word, help_of, lookup, own_commands, run_own
from .palette import PaletteMixin
from .playback import PLAYBACK_ACTIONS, PlaybackMixin
from .reactions import log_style, reaction, status_note, under_line
from .running import HEAVY_NODES, WorkerMixin, needs_worker
from .screens import HelpScreen
from .widgets.banner import NarrationBanner
from .widgets.graph_view import GraphView
from .widgets.inspector import Inspector
from .widgets.log_pane import LogPane
from .widgets.node_table import NodeTable
from .widgets.plot import LogLogPlot
from .widgets.repl import History, ReplPane
from .widgets.status import StatusBar, why_text

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"
SMALL_CHECK_ALL = 2000  # the x key checks every node below this size, else the inputs
FREEZE_NODES = 20_000  # a graph this big is kept out of the garbage collector's walks
ANSWER_LINES = 3  # a longer answer to a typed command goes to the Log tab


class BackpropApp(WorkerMixin, PlaybackMixin, PaletteMixin, NudgeMixin):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "backprop-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-tiny"), (16, "-short"), (24, "-tall")]
    BINDINGS = BINDINGS

    # repaint=False: an app-level reactive would otherwise repaint the whole screen on
    # every step; the watchers update exactly the widgets concerned.
    inspected: reactive[int | None] = reactive(None, init=False, always_update=True, repaint=False)

    def __init__(self, program: str | None = None, replay_path: str | None = None,
                 record: str | None = None, *, history_path: Path | None = None,
                 keymap_path: Path | None = None, replay_delay: float = 0.5,
                 heavy_nodes: int = HEAVY_NODES, slides: bool = False, speed: float = 1.0,
                 present: str = "") -> None:
        super().__init__()
        self.session = Session()
        self.own = own_commands(self)
        self._program = program
        self._replay_path = replay_path
        self._record = record
        self._history = History(history_path if history_path is not None else config.history_path())
        self._keymap_path = keymap_path
        self._replay_delay = replay_delay
        self._replay_slides, self._replay_speed = slides, speed  # playback.py
        self.replay_prologue = (program,) if program and replay_path else ()
        self._present_at_start = present  # presentation.DARK / LIGHT, or ""
        self.heavy_nodes = heavy_nodes
        self.player = None
        self._play_timer = None
        self._pinned = False  # the user clicked a node: keep inspecting it until the next step
        self._last_command: str | None = None
        self._frozen: tuple[int, int] = (0, 0)  # the graph (id, nodes) last frozen

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield NarrationBanner(id="banner")
        with Horizontal(id="top"):
            yield GraphView(id="graph")
            yield Inspector(id="inspector")
        # The table needs the full width for its FD columns, so the log shares its tabs.
        with TabbedContent(id="lower", initial="tab-nodes"):
            with TabPane("Nodes", id="tab-nodes"):
                yield NodeTable(id="table")
            with TabPane("Log", id="tab-log"):
                yield LogPane(id="log")
            with TabPane("Plot", id="tab-plot"):
                yield LogLogPlot(id="plot")
        with Horizontal(id="busy"):
            yield Label("", id="busy-label")
            yield ProgressBar(id="busy-bar", show_eta=False)
        yield ReplPane(self._history, self._complete, id="repl")
        yield Footer(compact=True)

    def get_default_screen(self) -> MainScreen:
        return MainScreen(id="_default")

    def on_mount(self) -> None:
        keymap, problem = config.load_keymap(self._keymap_path)
        if keymap:
            self.set_keymap(keymap)
        self.query_one("#graph").border_title = "Graph"
        self._focus_home()
        if problem:
            self.log_pane.note(f"keymap ignored: {problem}", "warning")
            self.call_after_refresh(setattr, self.query_one("#status", StatusBar), "note",
                                    "keymap ignored: see the Log tab")
        if self._record:
            self._log_events(self.session.run_line(f":record {self._record}"))
        if self._program is not None or self._replay_path is None:
            self.run_line(self._program if self._program is not None else SEED, source="program")
        if self._replay_path is not None:
            self._start_replay(self._replay_path)
        if self._present_at_start:
            self.set_presentation(self._present_at_start)
        self._refresh_views()
        self.call_after_refresh(self._freeze_ui)

    def _freeze_ui(self) -> None:
        """Textual's widgets, styles and caches, the imported modules: ~70k objects that
        live as long as the app, which every full garbage collection walked (45-65 ms, one
        key in forty stalled on the seed). Once the first frame is drawn, they are moved
        out of the collector's reach, as a big graph is (_freeze_big_graph), the young
        generations collected first. on_unmount gives them back to the collector (another
        app may run next, as in the tests: what was garbage among them is collected then)."""
        gc.collect(1)
        gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()

    def _focus_home(self) -> None:
        """Home is the line: whatever the learner types goes there (keys.py's rule)."""
        self.repl.input.focus()

    def _leave_line(self) -> None:
        """Esc on an empty line: key mode, where the single letters act (keys.py)."""
        for widget in (self.query_one("#graph"), self.query_one("#table")):
            if widget.focusable:
                widget.focus()
                return
        self.set_focus(None)

    def on_key(self, event: events.Key) -> None:
        """A printable key that reached the app (the focus is off the line and no binding
        took it) goes into the line, and the focus with it: typing is never lost."""
        if not event.is_printable or event.character is None or len(self.screen_stack) > 1:
            return
        repl_input = self.repl.input
        bound = self.screen.active_bindings.get(event.key)
        if self.focused is repl_input or (bound is not None and bound.enabled):
            return  # in key mode a bound letter acts (its binding runs it)
        event.stop()
        repl_input.focus()
        repl_input.insert_text_at_cursor(event.character)

    def empty_line_key(self, key: str) -> bool:
        """A key pressed on the empty line that acts rather than types: → ← step, and
        space / . while a replay plays. Returns whether it acted."""
        if key == "right":
            self.action_run(":step")
        elif key == "left":
            self.action_run(":back")
        elif key in ("space", "full_stop", "plus", "minus") and self.player is not None \
                and self.player.active:
            if key in ("plus", "minus"):
                self.action_speed(1 if key == "plus" else -1)
            else:
                self.action_toggle_play() if key == "space" else self.action_skip()
        else:
            return False
        return True

    def _complete(self, text: str) -> tuple[int, list[str]]:
        if self.busy:
            return len(text), []
        return complete(self.session, text, self.own)

    # ------------------------------------------------------------------ running lines
    def run_line(self, line: str, source: str = "repl", runner: Runner | None = None) -> bool:
        """Send one line to the session (or the TUI's own commands) and render the result.

        Returns False when refused because a worker is still busy with the session.
        """
        if self.busy:
            busy = "busy: wait for the running command, or Esc to cancel a check"
            self.log_pane.note(busy, "warning")
            self.query_one("#status", StatusBar).note = busy
            return False
        word = command_word(line)
        command = lookup(word, self.own) if word else None
        if source in ("repl", "key", "palette"):
            # Enter on an empty line repeats a :command only if no statement came since.
            self._last_command = line.strip() if word is not None else None
        self.log_pane.echo(line, source)
        if command is not None and command.name in self.own:
            self.show_events(line, source, run_own(command, self.session, line))
            return True
        own_help = self._own_help(line) if command is not None and command.name == "help" else None
        if own_help is not None:
            self.show_events(line, source, [own_help])
        elif needs_worker(self.session, line, command, self.heavy_nodes):
            self.start_work(line, source, runner)
        else:
            self.show_events(line, source, runner() if runner is not None else self.session.run_line(line))
        return True

    def _own_help(self, line: str) -> Event | None:
        """`:help NAME` of a TUI command: the session does not know it."""
        words = line.split()
        own = self.own.get(words[1].lstrip(":")) if len(words) == 2 else None
        return help_of(own) if own is not None else None

    def show_events(self, line: str, source: str, events: list[Event]) -> None:
        """Render a line's events (each as its row in reactions.REACTIONS says), then bring
        every pane up to date."""
        self._log_events(events)
        text, is_error = under_line(events)
        word = command_word(line)
        command = lookup(word, self.own) if word else None
        bare_help = command is not None and command.name == "help" and len(line.split()) == 1
        if source == "repl":
            if is_error:
                self.repl.show(text, error=True)
            elif bare_help:
                self.repl.clear_message()
            else:
                self._answer_under_line(text)
        if bare_help and source != "replay":
            self.action_help()  # :help's list, as a screen rather than 30 lines of log
        elif is_error and source in ("key", "palette"):
            self.repl.show(text, error=True)
        # A key has no line to answer under: the status bar says it (one row, no layout).
        note = status_note(events) if source in ("key", "palette") else ""
        self.query_one("#status", StatusBar).note = note
        self._pinned = False
        for ev in events:
            row = reaction(ev)
            if row.apply is not None:
                row.apply(self, ev)
            if row.tab:
                self.query_one("#lower", TabbedContent).active = row.tab
        self._refresh_views()
        self._freeze_big_graph()
        if source == "replay" and self.player is not None:
            self._schedule_play(self.player.delay_after(events))

    def _freeze_big_graph(self) -> None:
        """A full garbage collection walks every list of a big graph: ~80 ms at 1e5 nodes,
        one key in forty or so stalled. Once a graph has grown past FREEZE_NODES, what
        exists is moved out of the collector's reach (gc.freeze). Reference counting still
        frees an old graph (it holds no cycles); the young generations are collected first
        so that little cyclic garbage is kept."""
        g = self.session.graph
        key = (id(g), len(g))
        if len(g) >= FREEZE_NODES and key != self._frozen:
            self._frozen = key
            gc.collect(1)
            gc.freeze()

    def _log_events(self, events: list[Event]) -> None:
        for ev in events:
            self.log_pane.write_entry(event_text(ev), log_style(ev), reaction(ev).table)

    def _answer_under_line(self, text: str) -> None:
        """A typed command's answer shows under the line, as in pdb; long ones in the Log tab."""
        if not text:
            self.repl.clear_message()
            return
        lines = text.split("\n")
        if len(lines) <= ANSWER_LINES:
            self.repl.show_info(text)
            return
        self.repl.show_info(lines[0] + f"   … {len(lines) - 1} more lines in the Log tab")
        self.query_one("#lower", TabbedContent).active = "tab-log"

    def _refresh_views(self) -> None:
        s = self.session
        self.query_one("#graph", GraphView).update_view(s)
        self.query_one("#table", NodeTable).update_view(s)
        status = self.query_one("#status", StatusBar)  # its reactives repaint only on change
        info = s.output_info()
        status.function = (f"{info.name} = {info.label}" if info.name and info.name != info.label
                           else info.label) if info is not None else ""
        status.why = why_text(info.nodes, info.inputs, info.outside, info.reason, info.id) \
            if info is not None else ""
        status.progress = s.progress_text()
        if not self._pinned:
            self.inspected = s.current()
        else:
            self.inspected = self.inspected

    def selected_node(self) -> int | None:
        """The node picked in the graph or the table (the nudge keys move it)."""
        return self.inspected if self._pinned else None

    def inspect_node(self, node: int) -> None:
        self._pinned = True
        self.inspected = node

    def watch_inspected(self, node: int | None) -> None:
        if not self.busy:
            self.query_one("#inspector", Inspector).update_view(self.session, node)

    def on_node_selected(self, message: NodeSelected) -> None:
        if self.busy or not 0 <= message.node_id < len(self.session.graph):
            return
        self.inspect_node(message.node_id)
        self.query_one("#graph", GraphView).centre_on(message.node_id)

    # ------------------------------------------------------------------ REPL
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "repl-input":
            return
        text = event.value
        repl_input = self.repl.input
        if not text.strip():
            if self._last_command is None:
                return
            text = self._last_command  # Enter on an empty line repeats, as in pdb
        else:
            self._history.add(text)
        if self._typed_word(text):
            repl_input.value = ""
            return
        if self.run_line(text, source="repl"):
            repl_input.value = ""
        repl_input.reset_history_position()

    def _typed_word(self, text: str) -> bool:
        """`help` and `quit` (`exit`) typed as words, unless bound as names: do them."""
        word = text.strip()
        if word in self.session.prog.bindings or self.busy:
            return False
        if word == "help":
            self.log_pane.echo(text, "repl")
            self.repl.clear_message()
            self.action_help()
            return True
        if word in QUIT_WORDS:
            self.exit()
            return True
        return False

    # ------------------------------------------------------------------ actions
    def action_tab(self, tab: str) -> None:
        self.query_one("#lower", TabbedContent).active = tab
    def action_run(self, line: str) -> None:
        self.run_line(line, source="key")

    def action_find(self) -> None:
        """Back to the line to type a search: an empty line gets its '/', typing is kept."""
        line = self.repl.input
        if not line.value:
            line.value = "/"
            line.cursor_position = 1
        line.focus()

    def action_check(self) -> None:
        small = len(self.session.graph) <= SMALL_CHECK_ALL
        self.run_line(":check all" if small else ":check", source="key")

    def action_hsweep(self) -> None:
        node = self.inspected if self._pinned else None
        takes_grad = node is not None and self.session.node_info(node).grad is not None
        self.run_line(f":hsweep #{node}" if takes_grad else ":hsweep", source="key")

    def action_graph_pan(self, dx: int, dy: int) -> None:
        self.query_one("#graph", GraphView).pan(dx, dy)

    def action_graph_zoom(self, step: int) -> None:
        self.query_one("#status", StatusBar).note = self.query_one("#graph", GraphView).zoom_by(step)

    def action_graph_fit(self) -> None:
        self.query_one("#status", StatusBar).note = self.query_one("#graph", GraphView).fit()

    def action_graph_outside(self) -> None:
        view = self.query_one("#graph", GraphView)
        self.query_one("#status", StatusBar).note = view.toggle_outside()

    def action_graph_fold(self) -> None:
        """Fold or unfold the inspected node (or the fold that hides it), as a :command."""
        s = self.session
        node = self.inspected if self.inspected is not None else s.current()
        line = toggle_line(s, node) if node is not None else None
        if line is None:
            self.query_one("#status", StatusBar).note = (
                "select a named node (click it, or Enter in the table) to fold it")
            return
        self.run_line(line, source="key")

    def action_help(self) -> None:
        keys = key_help(self._keymap, lambda k: self.get_key_display(Binding(k, "")))
        self.push_screen(HelpScreen(keys, [*COMMANDS.values(), *self.own.values()]))

    def action_escape(self) -> None:
        if self.busy:
            cancelled = self.workers.cancel_group(self, "session")
            if cancelled:
                self.log_pane.note("cancelling…", "warning")
            return
        if self.focused is self.repl.input:
            self.repl.clear_message()
            if not self.repl.input.value:
                self._leave_line()
        else:
            self._focus_home()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in PLAYBACK_ACTIONS:
            return self.playback_key_enabled(action)
        return True


def run_app(program: str | None = None, replay: str | None = None, record: str | None = None,
            slides: bool = False, speed: float = 1.0, present: str = "") -> int:
    """Run the TUI: on `program` (default: the seed's example), or playing a replay file.

    Returns the exit status: 2 when the replay file cannot be used (said on stderr).
    """
    if replay is not None:
        try:
            _replay.iter_lines(replay)  # a missing or binary file fails here, before the UI
        except _replay.ReplayError as exc:
            print(f"backprop-tui: {exc}", file=sys.stderr)
            return 2
    app = BackpropApp(program, replay, record, slides=slides, speed=speed, present=present)
    app.run()
    return app.return_code or 0

