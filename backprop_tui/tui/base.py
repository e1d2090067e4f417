"""The typed base the app's halves share (workers, playback), so each half type-checks alone.

``BackpropApp`` is ``WorkerMixin`` + ``PlaybackMixin`` over this base: the halves call what
is declared here, and the app supplies the bodies of the two hooks.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App
from textual.reactive import reactive
from textual.theme import Theme
from textual.timer import Timer

from ..events import Event
from ..registry import Command
from ..session import Session
from .player import Player
from .widgets.log_pane import LogPane
from .widgets.repl import ReplPane

Runner = Callable[[], list[Event]]


class AppBase(App[int]):
    # repaint=False: an app-level reactive would otherwise repaint the whole screen.
    busy: reactive[bool] = reactive(False, init=False, repaint=False)
    _theme_cache: tuple[str, Theme] | None = None

    @property
    def current_theme(self) -> Theme:
        """Textual's, kept per theme name: it copies the registry of themes twice each
        time, and a frame asks for it twice per widget rendered."""
        name = self.theme
        cached = self._theme_cache
        if cached is None or cached[0] != name:
            cached = self._theme_cache = (name, super().current_theme)
        return cached[1]

    def register_theme(self, theme: Theme) -> None:
        self._theme_cache = None
        super().register_theme(theme)

    def unregister_theme(self, theme_name: str) -> None:
        self._theme_cache = None
        super().unregister_theme(theme_name)

    session: Session
    own: dict[str, Command]  # the TUI's own :commands (own_commands.py)
    heavy_nodes: int  # above this many nodes, commands that walk the graph run in a worker
    player: Player | None
    _play_timer: Timer | None
    _replay_delay: float
    _pinned: bool  # the inspector keeps the node the user clicked

    @property
    def log_pane(self) -> LogPane:
        return self.query_one("#log", LogPane)

    @property
    def repl(self) -> ReplPane:
        return self.query_one("#repl", ReplPane)

    # -- the hooks the app implements ---------------------------------------------------
    def run_line(self, line: str, source: str = "repl", runner: Runner | None = None) -> bool:
        """Send one line to the session and render the result; False when refused (busy)."""
        raise NotImplementedError

    def show_events(self, line: str, source: str, events: list[Event]) -> None:
        """Render a line's events, then bring every pane up to date."""
        raise NotImplementedError

    def start_work(self, line: str, source: str, runner: Runner | None) -> None:
        """Run `runner` (or the line) in a worker; show_events(line, source, …) after it."""
        raise NotImplementedError

    def _log_events(self, events: list[Event]) -> None:
        """Write events to the Log tab (and nothing else)."""
        raise NotImplementedError

    def _refresh_views(self) -> None:
        """Bring the panes that show the session's state up to date."""
        raise NotImplementedError

    def inspect_node(self, node: int) -> None:
        """Show `node` in the inspector, and keep it there until the next step."""
        raise NotImplementedError
