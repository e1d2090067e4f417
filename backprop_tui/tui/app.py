"""The Textual app: panes around one Session. Keys and the REPL send it lines; its events
and state are rendered. No autodiff logic lives here.

Every key-driven action is sent as its command text (``:step`` …) through
``Session.run_line``, so recording captures it and the log teaches the command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Label, ProgressBar, TabbedContent, TabPane

from .. import commands as _commands  # noqa: F401  registers the built-in :commands
from .. import confine
from .. import replay as _replay  # run_app's parameter shadows the module
from ..events import Error, Event, HSweep, Info, Say, ShowNode
from ..registry import ALIASES, COMMANDS
from ..render_text import text as event_text
from ..session import Session
from . import config
from .completion import complete
from .messages import NodeSelected
from .playback import PlaybackMixin
from .player import Player
from .running import HEAVY_NODES, WorkerMixin
from .screens import HelpScreen
from .served import deliver, screenshot_path
from .widgets.banner import NarrationBanner
from .widgets.graph_view import GraphView
from .widgets.inspector import Inspector
from .widgets.log_pane import LogPane
from .widgets.node_table import NodeTable
from .widgets.plot import LogLogPlot, hsweep_figure
from .widgets.repl import History, ReplPane
from .widgets.status import StatusBar

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"
SMALL_CHECK_ALL = 2000  # the x key checks every node below this size, else the inputs

# Events that answer a typed command (shown under the REPL line); steps show in the panes.
_ANSWERS = {"info", "graph", "expect", "break", "back", "phase", "statement", "export"}
ANSWER_LINES = 3
# ... and those worth a note in the status bar after a key.
_NOTES = {"info", "phase", "break", "back", "warning", "export"}

# What each key does, for the help screen (the footer's labels are one word).
_KEY_HELP = {
    "step": "step: through the forward pass, then on into the backward pass (:step)",
    "back": "step back, restoring exactly the state before (:back)",
    "continue": "continue to a breakpoint or the end (:continue; :break NODE sets one)",
    "forward": "finish the forward pass (:forward)",
    "backward": "finish the backward pass (:backward)",
    "reset": "back to the start (:reset)",
    "check": "finite-difference check of every gradient (:check all; inputs on big graphs)",
    "hsweep": "error of finite differences against h, plotted (:hsweep)",
    "repl": "type a :command (the line starts with ':')",
    "statement": "type a statement, e.g. w = 0.5; tanh(w*x + y)",
    "help": "this screen",
    "play": "replay: pause / resume",
    "skip": "replay: skip to the next narration",
    "cancel": "cancel a running check; leave the command line",
    "quit": "quit",
}

# Commands of the TUI itself (the session has no screen to capture).
TUI_COMMANDS: dict[str, tuple[str, str]] = {
    "screenshot": (":screenshot FILE.svg", "Save an SVG screenshot of the screen."),
}


def _command_name(line: str) -> str | None:
    """The canonical command of a ':cmd args' line, None for a statement."""
    stripped = line.strip()
    if not stripped.startswith(":"):
        return None
    word = stripped[1:].split(maxsplit=1)[0] if stripped[1:].strip() else ""
    return ALIASES.get(word, word)


class BackpropApp(WorkerMixin, PlaybackMixin, App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "backprop-tui"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-tiny"), (16, "-short"), (24, "-tall")]

    BINDINGS = [
        Binding("n,right", "run(':step')", "Step", id="step"),
        Binding("p,left", "run(':back')", "Back", id="back"),
        Binding("c", "run(':continue')", "Cont", id="continue"),
        Binding("f", "run(':forward')", "Fwd", id="forward"),
        Binding("b", "run(':backward')", "Bwd", id="backward"),
        Binding("r", "run(':reset')", "Reset", id="reset"),
        Binding("x", "check", "Check", id="check"),
        Binding("h", "hsweep", "h-sweep", id="hsweep"),
        Binding("colon", "focus_repl", "REPL", id="repl"),
        Binding("e", "focus_statement", "Expression", show=False, id="statement"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("space", "toggle_play", "Pause", id="play"),
        Binding("full_stop", "skip", "Skip", id="skip"),
        Binding("escape", "escape", "Cancel", show=False, id="cancel"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    # repaint=False: an app-level reactive would otherwise repaint the whole screen on
    # every step; the watchers update exactly the widgets concerned.
    inspected: reactive[int | None] = reactive(None, init=False, always_update=True, repaint=False)
    busy: reactive[bool] = reactive(False, init=False, repaint=False)

    def __init__(self, program: str | None = None, replay_path: str | None = None,
                 record: str | None = None, *, history_path: Path | None = None,
                 keymap_path: Path | None = None, replay_delay: float = 0.5,
                 heavy_nodes: int = HEAVY_NODES) -> None:
        super().__init__()
        self.session = Session()
        self._program = program
        self._replay_path = replay_path
        self._record = record
        self._history = History(history_path if history_path is not None else config.history_path())
        self._keymap_path = keymap_path
        self._replay_delay = replay_delay
        self.heavy_nodes = heavy_nodes
        self.player: Player | None = None
        self._play_timer = None
        self._pinned = False  # the user clicked a node: keep inspecting it until the next step
        self._last_command: str | None = None
        self._work_line = ""
        self._work_source = ""
        self._last_progress = 0.0

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
            self._note_events(self.session.run_line(f":record {self._record}"))
        if self._program is not None or self._replay_path is None:
            self.run_line(self._program if self._program is not None else SEED, source="program")
        if self._replay_path is not None:
            self._start_replay(self._replay_path)
        self._refresh_views()

    def _focus_home(self) -> None:
        """Single-letter keys step only when the REPL is not focused: start on the graph."""
        for widget in (self.query_one("#graph"), self.query_one("#table")):
            if widget.focusable:
                widget.focus()
                return
        self.set_focus(None)

    # ------------------------------------------------------------------ widgets
    @property
    def log_pane(self) -> LogPane:
        return self.query_one("#log", LogPane)

    @property
    def repl(self) -> ReplPane:
        return self.query_one("#repl", ReplPane)

    def _complete(self, text: str) -> tuple[int, list[str]]:
        if self.busy:
            return len(text), []
        return complete(self.session, text, TUI_COMMANDS)

    # ------------------------------------------------------------------ running lines
    def run_line(self, line: str, source: str = "repl",
                 runner: Callable[[], list[Event]] | None = None) -> bool:
        """Send one line to the session (or the TUI's own commands) and render the result.

        Returns False when refused because a worker is still busy with the session.
        """
        if self.busy:
            busy = "busy: wait for the running command, or Esc to cancel a check"
            self.log_pane.note(busy, "warning")
            self.query_one("#status", StatusBar).note = busy
            return False
        name = _command_name(line)
        if name is not None and source in ("repl", "key", "palette"):
            self._last_command = line.strip()
        if name in TUI_COMMANDS and name not in COMMANDS:
            self.log_pane.echo(line, source)
            self._after(line, source, self._tui_command(name, line))
            return True
        if self._needs_worker(line, name):
            self.log_pane.echo(line, source)
            self._work_line, self._work_source = line, source
            self.busy = True
            self._work(line, source, name == "check", runner)
            return True
        self.log_pane.echo(line, source)
        events = runner() if runner is not None else self.session.run_line(line)
        self._after(line, source, events)
        return True

    def _after(self, line: str, source: str, events: list[Event]) -> None:
        """Render a line's events, then bring every pane up to date."""
        self._note_events(events)
        errors = [e for e in events if isinstance(e, Error)]
        bare_help = _command_name(line) == "help" and len(line.split()) == 1
        if source == "repl":
            if errors:
                self.repl.show_error(errors[-1].message, errors[-1].caret)
            elif bare_help:
                self.repl.clear_message()
            else:
                self._answer_under_line(events)
        if bare_help and source != "replay":
            self.action_help()  # :help's list, as a screen rather than 30 lines of log
        elif errors and source in ("key", "palette"):
            self.repl.show_error(errors[-1].message)
        status = self.query_one("#status", StatusBar)
        notes = [event_text(e) for e in events if e.kind in _NOTES]
        # A key has no line to answer under: the status bar says it (one row, no layout).
        status.note = notes[-1] if notes and source in ("key", "palette") else ""
        for ev in events:
            if isinstance(ev, HSweep):
                self.query_one("#plot", LogLogPlot).figure = hsweep_figure(ev)
                self.query_one("#lower", TabbedContent).active = "tab-plot"
            elif isinstance(ev, Say):
                self.query_one("#banner", NarrationBanner).narration = ev.message
        self._pinned = False
        self._refresh_views()
        shown = [e for e in events if isinstance(e, ShowNode)]
        if shown:  # :show NODE is answered by the inspector
            self._pinned = True
            self.inspected = shown[-1].info.id
        if any(e.kind == "nodes" for e in events):  # ... and :nodes by the node table
            self.query_one("#lower", TabbedContent).active = "tab-nodes"
        if source == "replay" and self.player is not None:
            self._schedule_play(self.player.delay_after(events))

    def _answer_under_line(self, events: list[Event]) -> None:
        """A typed command's answer shows under the line, as in pdb; long ones in the Log tab."""
        answers = [e for e in events if e.kind in _ANSWERS]
        shown = [e for e in events if isinstance(e, ShowNode)]
        if shown and not answers:
            self.repl.show_info(f"#{shown[-1].info.id} {shown[-1].info.label}: in the inspector")
            return
        if not answers:
            self.repl.clear_message()
            return
        lines = "\n".join(event_text(e) for e in answers).split("\n")
        if len(lines) <= ANSWER_LINES:
            self.repl.show_info("\n".join(lines))
            return
        self.repl.show_info(lines[0] + f"   … {len(lines) - 1} more lines in the Log tab")
        self.query_one("#lower", TabbedContent).active = "tab-log"

    def _note_events(self, events: Iterable[Event]) -> None:
        self.log_pane.write_events(events)

    def _refresh_views(self) -> None:
        s = self.session
        self.query_one("#graph", GraphView).update_view(s)
        self.query_one("#table", NodeTable).update_view(s)
        status = self.query_one("#status", StatusBar)  # its reactives repaint only on change
        status.function = s.node_info(s.output).label if s.output is not None else ""
        status.progress = s.progress_text()
        if not self._pinned:
            self.inspected = s.current()
        else:
            self.inspected = self.inspected

    def watch_inspected(self, node: int | None) -> None:
        if not self.busy:
            self.query_one("#inspector", Inspector).update_view(self.session, node)

    def on_node_selected(self, message: NodeSelected) -> None:
        if self.busy or not 0 <= message.node_id < len(self.session.prog.graph):
            return
        self._pinned = True
        self.inspected = message.node_id

    # ------------------------------------------------------------------ TUI commands
    def _tui_command(self, name: str, line: str) -> list[Event]:
        args = line.strip().split()[1:]
        usage = TUI_COMMANDS[name][0]
        if name == "screenshot":
            if len(args) != 1 or not args[0].endswith(".svg"):
                return [Error(f"usage: {usage}")]
            try:  # served: inside the session's folder only (confine.py)
                path = screenshot_path(args[0], self.session.file)
            except confine.PathRefused as exc:
                return [Error(f"cannot write: {exc}")]
            if not path.parent.is_dir():
                return [Error(f"cannot write {path}: no such folder {path.parent}")]
            # After the next refresh, so the picture shows the screen, not the typed command.
            self.call_after_refresh(self._save_screenshot, path)
            return [Info(f"screenshot: {confine.shown(str(path))}")]
        return [Error(f"unknown TUI command :{name}")]

    def _save_screenshot(self, path: Path) -> None:
        try:
            self.save_screenshot(path.name, str(path.parent))
            deliver(self, str(path))  # served: the browser gets it as a download
        except OSError as exc:
            self.log_pane.note(f"error: cannot write {path}: {exc.strerror or exc}", "error")
            self.repl.show_error(f"cannot write {path}: {exc.strerror or exc}")

    # ------------------------------------------------------------------ REPL
    def on_input_submitted(self, event) -> None:
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
        if self.run_line(text, source="repl"):
            repl_input.value = ""
        repl_input.reset_history_position()

    # ------------------------------------------------------------------ actions
    def action_run(self, line: str) -> None:
        self.run_line(line, source="key")

    def action_check(self) -> None:
        small = len(self.session.prog.graph) <= SMALL_CHECK_ALL
        self.run_line(":check all" if small else ":check", source="key")

    def action_hsweep(self) -> None:
        node = self.inspected if self._pinned else None
        takes_grad = node is not None and self.session.node_info(node).grad is not None
        self.run_line(f":hsweep #{node}" if takes_grad else ":hsweep", source="key")

    def action_focus_repl(self) -> None:
        repl_input = self.repl.input
        repl_input.focus()
        if not repl_input.value:
            repl_input.value = ":"
            repl_input.cursor_position = 1

    def action_focus_statement(self) -> None:
        """Focus the line for a statement (no ':' put in, unlike the command key)."""
        self.repl.input.focus()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self._key_help(), TUI_COMMANDS))

    def _key_help(self) -> list[tuple[str, str]]:
        keys = []
        keymap = self._keymap
        for b in self.BINDINGS:
            assert isinstance(b, Binding)
            key = keymap.get(b.id, b.key) if b.id else b.key
            shown = ", ".join(self.get_key_display(Binding(k.strip(), "")) for k in key.split(","))
            keys.append((shown, _KEY_HELP.get(b.id or "", b.description)))
        keys.append(("ctrl+p", "command palette: every command"))
        keys.append(("↑ ↓ Tab Enter", "in the REPL: history, completion, repeat the last command"))
        return keys

    def action_escape(self) -> None:
        if self.busy:
            cancelled = self.workers.cancel_group(self, "session")
            if cancelled:
                self.log_pane.note("cancelling…", "warning")
            return
        if self.focused is self.repl.input:
            self.repl.clear_message()
            self._focus_home()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_play", "skip"):
            return self.player is not None and self.player.active
        return True

    # ------------------------------------------------------------------ palette
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for c in COMMANDS.values():
            # Titles are markup: usages such as [h=…] must be escaped.
            yield SystemCommand(escape(c.usage), escape(c.help),
                                partial(self._palette_command, c.name, c.usage))
        for name, (usage, text) in TUI_COMMANDS.items():
            if name not in COMMANDS:
                yield SystemCommand(escape(usage), escape(text),
                                    partial(self._palette_command, name, usage))

    def _palette_command(self, name: str, usage: str) -> None:
        """Run a command that needs no arguments; otherwise put it in the REPL to finish."""
        needs_args = any(not w.startswith("[") for w in usage.split()[1:2])
        if needs_args or name == "unbreak":  # a bare :unbreak removes every breakpoint
            repl_input = self.repl.input
            repl_input.value = f":{name} "
            repl_input.cursor_position = len(repl_input.value)
            repl_input.focus()
            self.repl.show_info(usage)
        else:
            self.run_line(f":{name}", source="palette")


def run_app(program: str | None = None, replay: str | None = None, record: str | None = None) -> int:
    """Run the TUI: on `program` (default: the seed's example), or playing a replay file.

    Returns the exit status: 2 when the replay file cannot be used (said on stderr).
    """
    if replay is not None:
        try:
            _replay.iter_lines(replay)  # a missing or binary file fails here, before the UI
        except _replay.ReplayError as exc:
            print(f"backprop-tui: {exc}", file=sys.stderr)
            return 2
    app = BackpropApp(program, replay, record)
    app.run()
    return app.return_code or 0

