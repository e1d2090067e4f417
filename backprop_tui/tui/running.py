"""Long work off the main thread: a worker runs session lines that walk a big graph, and
every slow command (a check, a :load, timings), with a progress bar; Esc cancels a check.
The UI never waits on them. A :descend in a worker plots its loss live in the Plot tab
(at most PLOT_EVERY apart; the figure is built on the worker's thread), and Esc stops it at
the last completed step.

Which lines go to a worker is read from the command declarations (``Command.cost``), so a
new command is routed without an edit here. While a worker has the session, the app
refuses other lines (the session is not shared between threads), and only the worker's
own WorkDone message frees it: a cancelled worker's thread may still be finishing with it.
"""

from __future__ import annotations

import time

from textual import work
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, ProgressBar, TabbedContent
from textual.worker import get_current_worker

from ..commands.optimize import LiveDescent, watch_descent
from ..events import Error, Event
from ..registry import Command, command_of
from ..session import Session
from .base import AppBase, Runner
from .widgets.plot import Figure, LogLogPlot, live_figure

HEAVY_NODES = 5000  # above this, commands that walk the graph run in a worker
LONG_LINE = 5000  # a statement longer than this is parsed in a worker
MANY_STEPS = 1000  # a "steps" command taking more steps than this walks the graph
PROGRESS_EVERY = 0.05  # seconds between progress messages from a worker
PLOT_EVERY = 0.1  # seconds between live loss plots: at most 10 redraws a second
YIELD_EVERY = 0.001  # seconds of a :descend between two offers of the GIL to the UI
BUSY_SHOWN = 40  # characters of the running line shown in the busy bar


def needs_worker(session: Session, line: str, command: Command | None,
                 heavy_nodes: int = HEAVY_NODES) -> bool:
    """Whether `line` (its command, None for a statement) runs in a worker."""
    big = len(session.graph) > heavy_nodes
    if command is None:
        # a statement may build or re-evaluate the whole graph; an unknown :command is
        # refused at once
        return not line.lstrip().startswith(":") and (big or len(line) > LONG_LINE)
    if command.cost == "slow":
        return True
    if command.cost == "quick" or not big:
        return False
    if command.cost == "steps":
        return _count(command, line) > MANY_STEPS
    return True


def _count(command: Command, line: str) -> int:
    """The number its count argument was given (1 when absent or not a whole number)."""
    kinds = [a.kind for a in command.args]
    if "count" not in kinds:
        return 1
    words = line.split()[1:]
    at = kinds.index("count")
    return int(words[at]) if at < len(words) and words[at].isdigit() else 1


class WorkProgress(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done, self.total = done, total


class LossPlot(Message):
    """A running :descend's loss so far, as a figure built on the worker's thread."""

    def __init__(self, figure: Figure) -> None:
        super().__init__()
        self.figure = figure


class WorkDone(Message):
    """Posted by the worker thread when it has really finished with the session."""

    def __init__(self, line: str, source: str, events: list[Event]) -> None:
        super().__init__()
        self.line, self.source, self.events = line, source, events


class WorkerMixin(AppBase):
    """The BackpropApp's worker half."""

    _work_line: str = ""
    _last_progress: float = 0.0
    _last_plot: float = 0.0
    _last_yield: float = 0.0
    _plot_shown = False  # this run's live plot has brought the Plot tab forward

    def start_work(self, line: str, source: str, runner: Runner | None) -> None:
        self._work_line = line
        self._last_plot = 0.0
        self._plot_shown = False
        self.busy = True
        self._work(line, source, runner)

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _work(self, line: str, source: str, runner: Runner | None) -> None:
        worker = get_current_worker()
        s = self.session
        # The session's hooks, used by :check (also inside a :load): the progress bar, and Esc.
        s.check_progress = self._progress_from_thread
        s.check_cancelled = lambda: worker.is_cancelled
        watch_descent(s, self._descent_from_thread)
        try:
            events = runner() if runner is not None else s.run_line(line)
        except Exception as exc:  # noqa: BLE001 — the session never raises; belt and braces
            events = [Error(f"internal error: {exc!r}")]
        finally:
            s.check_progress = s.check_cancelled = None
            watch_descent(s, None)
        # Posted, not returned: a cancelled worker's result is dropped, but the session is
        # only free again when this thread is really done with it.
        self.post_message(WorkDone(line, source, events))

    def _progress_from_thread(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY or done == total:
            self._last_progress = now
            self.post_message(WorkProgress(done, total))

    def _descent_from_thread(self, live: LiveDescent) -> None:
        # Hand the GIL to the UI thread now and then: a CPU-bound worker otherwise keeps it
        # for the whole switch interval (5 ms) each time the UI wants it, and keys lag.
        now = time.monotonic()
        if now - self._last_yield >= YIELD_EVERY:
            time.sleep(0)
            self._last_yield = now = time.monotonic()
        if now - self._last_plot >= PLOT_EVERY:
            self._last_plot = now
            self.post_message(LossPlot(live_figure(live)))

    def on_loss_plot(self, message: LossPlot) -> None:
        if not self.busy:
            return  # the run is over: its Descend event has drawn the whole curve
        self.query_one("#plot", LogLogPlot).figure = message.figure
        if not self._plot_shown:
            self._plot_shown = True
            self.query_one("#lower", TabbedContent).active = "tab-plot"

    def on_work_progress(self, message: WorkProgress) -> None:
        bar = self.query_one("#busy-bar", ProgressBar)
        bar.update(total=message.total, progress=message.done)

    def on_work_done(self, message: WorkDone) -> None:
        self.busy = False
        self.show_events(message.line, message.source, message.events)

    def watch_busy(self, busy: bool) -> None:
        self.query_one("#busy").display = busy
        if busy:
            self.query_one("#busy-bar", ProgressBar).update(total=None, progress=0)
            line = self._work_line.strip()
            what = line.splitlines()[0][:BUSY_SHOWN] if line else ""
            cmd = command_of(line)
            esc = ("Esc stops it at the last completed step" if cmd is not None
                   and cmd.name == "descend" else "Esc cancels a check")
            # Content, not a str: the line is the user's text, never markup (`:check [/]`).
            self.query_one("#busy-label", Label).update(Content(f"running {what}  ({esc}) "))
