"""Long work off the main thread: a worker runs session lines that walk a big graph, and
every FD check, with a progress bar; Esc cancels a check. The UI never waits on them.

While a worker has the session, the app refuses other lines (the session is not shared
between threads), and only the worker's own WorkDone message frees it: a cancelled worker's
thread may still be finishing with the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual import work
from textual.message import Message
from textual.widgets import Label, ProgressBar
from textual.worker import get_current_worker

from ..events import Error, Event
from ..session import Session

HEAVY_NODES = 5000  # above this, commands that walk the graph run in a worker
LONG_LINE = 5000  # a statement longer than this is parsed in a worker
PROGRESS_EVERY = 0.05  # seconds between progress messages from a worker

# Commands that touch O(1) nodes whatever the graph size: always run on the main thread.
_QUICK = {"show", "break", "unbreak", "breaks", "help", "say", "pause", "expect", "record"}


class WorkProgress(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done, self.total = done, total


class WorkDone(Message):
    """Posted by the worker thread when it has really finished with the session."""

    def __init__(self, line: str, source: str, events: list[Event]) -> None:
        super().__init__()
        self.line, self.source, self.events = line, source, events


class WorkerMixin:
    """The BackpropApp's worker half (a mixin: it needs the app's session and _after)."""

    session: Session
    heavy_nodes: int
    _work_line: str
    _last_progress: float

    def _needs_worker(self, line: str, name: str | None) -> bool:
        if name in ("check", "load", "compare"):
            # a check: progress bar and Esc even on small graphs (one code path); a :load'ed
            # file may build a graph of any size; :compare times each method for up to ~2 s
            return True
        big = len(self.session.prog.graph) > self.heavy_nodes
        if name is None:
            return big or len(line) > LONG_LINE
        if name in _QUICK or not big:
            return False
        if name in ("step", "back"):
            args = line.split()[1:]
            return bool(args) and args[0].isdigit() and int(args[0]) > 1000
        return True

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def _work(self, line: str, source: str, is_check: bool,
              runner: Callable[[], list[Event]] | None) -> None:
        worker = get_current_worker()
        s = self.session
        if is_check:  # the session's hooks: the progress bar, and Esc
            s.check_progress = self._progress_from_thread
            s.check_cancelled = lambda: worker.is_cancelled
        try:
            events = runner() if runner is not None else s.run_line(line)
        except Exception as exc:  # noqa: BLE001 — the session never raises; belt and braces
            events = [Error(f"internal error: {exc!r}")]
        finally:
            s.check_progress = s.check_cancelled = None
        # Posted, not returned: a cancelled worker's result is dropped, but the session is
        # only free again when this thread is really done with it.
        self.post_message(WorkDone(line, source, events))

    def _progress_from_thread(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY or done == total:
            self._last_progress = now
            self.post_message(WorkProgress(done, total))

    def on_work_progress(self, message: WorkProgress) -> None:
        bar = self.query_one("#busy-bar", ProgressBar)
        bar.update(total=message.total, progress=message.done)

    def on_work_done(self, message: WorkDone) -> None:
        self.busy = False
        self._after(message.line, message.source, message.events)

    def watch_busy(self, busy: bool) -> None:
        self.query_one("#busy").display = busy
        if busy:
            self.query_one("#busy-bar", ProgressBar).update(total=None, progress=0)
            what = self._work_line.strip().splitlines()[0][:40] if self._work_line.strip() else ""
            self.query_one("#busy-label", Label).update(f"running {what}  (Esc cancels a check) ")

