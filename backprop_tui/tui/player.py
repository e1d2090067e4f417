"""Replay playback pacing: which line runs next and how long to wait after it.

No widgets here: the app asks for the next line, runs it, and hands back its events.
`:pause S` waits S seconds; a narration waits long enough to be read; other lines wait
`delay`; skipping (the `.` key) runs lines
without waiting until the next narration (`:say`) has run.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..events import Event, Pause, Say
from ..replay import ReplayError, ScriptLine

READ_CHARS = 25  # characters a second, reading narration
READ_MAX = 8.0  # seconds at most for one narration (space pauses for longer)


class Player:
    def __init__(self, lines: Iterator[ScriptLine], delay: float = 0.5) -> None:
        self._lines = lines
        self.delay = delay
        self.state = "playing"  # "playing", "paused" or "done"
        self.skipping = False
        self.error: str | None = None

    @property
    def active(self) -> bool:
        return self.state != "done"

    def wants_next(self) -> bool:
        return self.state == "playing" or (self.state == "paused" and self.skipping)

    def next_line(self) -> ScriptLine | None:
        try:
            return next(self._lines)
        except StopIteration:
            pass
        except ReplayError as exc:  # only stdin raises late; files fail before playing
            self.error = str(exc)
        self.state = "done"
        self.skipping = False
        return None

    def toggle(self) -> None:
        if self.state == "playing":
            self.state = "paused"
        elif self.state == "paused":
            self.state = "playing"

    def skip(self) -> None:
        if self.active:
            self.skipping = True

    def delay_after(self, events: list[Event]) -> float:
        """Seconds to wait before the next line, after a line produced `events`."""
        says = [e for e in events if isinstance(e, Say)]
        if says and self.skipping:
            self.skipping = False  # arrived at the narration: normal pacing from here
        if self.skipping:
            return 0.0
        pause = sum(e.seconds for e in events if isinstance(e, Pause))
        if pause:
            return pause
        if says and self.delay > 0:  # time to read it before the next one replaces it
            return max(self.delay, min(READ_MAX, 1.0 + len(says[-1].message) / READ_CHARS))
        return self.delay
