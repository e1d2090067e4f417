"""Replay playback: which line runs next, how long to wait after it, slides, and going back.

No widgets here: the app asks for the next line, runs it, and hands back its events
(``delay_after``); the answer is the seconds to wait, or None to stop until a key.

Timed playback (the pacing rule, all divided by the speed):
- after a ``:say``, its reading time (replay.reading_time: words at 180 a minute, 1.5–30 s);
- after ``:pause S``, S seconds (also in a run that plays at once); after a line of only
  ``:expect``, nothing;
- after any other line, STEP seconds, unless the run of lines from there to the next
  narration is longer than SHORT_RUN lines: such a run plays at once.
Slides: each ``:say`` is a slide; advancing runs every line up to the next one at once.

Going back restores the session exactly, to the state right after a slide's ``:say`` (or
to the script's position, after stepping by hand). A Checkpoint is a cheap copy of the
session's public state there. When only stepping and looking happened since (the lines are
classified by their command, FAST), the undo log takes the session back: ``run_to(pos)``,
O(steps). Otherwise (a statement, :set, :check, :mode …) the session starts afresh and the
script's lines up to that point are run again without drawing (``rebuild``): exact, as the
lines are deterministic; lines that write files or the screen (:export :record
:screenshot) are not run again. The rebuild runs in a fresh Session (in a worker: the panes
keep drawing the old one), which the app then adopts with the old one's listeners.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from ..commands.record import recorder_of
from ..events import Error, Event, Expect, Pause, Say
from ..language import Program
from ..registry import ALIASES
from ..replay import ScriptLine, Tally, failure_text, is_narration, reading_time, run_line
from ..session import Session

STEP = 0.5  # seconds after a line that shows something, at speed 1
SHORT_RUN = 10  # a longer run of lines without narration plays at once
SPEEDS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)  # what + and - step through
MIN_SPEED, MAX_SPEED = 0.1, 20.0

# Commands that only step or look: the undo log can take the session back across them.
# The stepping commands change the position and the breakpoints (both restored); the rest
# change nothing. Anything else (statements, and commands not listed) is a rebuild.
FAST = frozenset({"step", "back", "forward", "backward", "continue", "reset", "goto",
                  "break", "unbreak", "breaks", "say", "pause", "expect", "show", "nodes",
                  "graph", "help"})
# Lines not run again when rebuilding: they write files or the screen, not the session.
NOT_REPEATED = frozenset({"export", "record", "screenshot"})


def command_name(text: str) -> str | None:
    """The command a line runs (its registry name), '' for an unknown one, None for a
    statement."""
    s = text.strip()
    if not s.startswith(":"):
        return None
    words = s[1:].split(maxsplit=1)
    return ALIASES.get(words[0], words[0] if words else "") if words else ""


def is_fast(text: str) -> bool:
    s = text.strip()
    if not s or s.startswith("#"):
        return True
    return command_name(s) in FAST


@dataclass
class Checkpoint:
    """The session's state after `index` script lines: what stepping changes (restored by the
    undo log), and what must not have changed for that to be exact (compared)."""

    index: int  # script lines run
    pos: int
    breaks: frozenset[int]
    break_ops: frozenset[str]
    narration: int  # len(session.narration)
    last_error: Error | None
    tally: tuple[int, int, int]
    say: str  # the narration on screen
    # The structure: when any of it differs, only a rebuild restores the state.
    prog: Program
    nodes: int
    output: int | None
    chosen: bool
    mode: str
    seeds: tuple[int, ...]
    input_undo: int
    check: object

    def same_structure(self, s: Session) -> bool:
        return (s.prog is self.prog and len(s.graph) == self.nodes and s.output == self.output
                and s.output_chosen == self.chosen and s.mode == self.mode
                and tuple(s.seeds) == self.seeds and len(s.input_undo) == self.input_undo
                and s.last_check is self.check)


def checkpoint(s: Session, index: int, tally: Tally, say: str) -> Checkpoint:
    return Checkpoint(index, s.pos, frozenset(s.breaks), frozenset(s.break_ops),
                      len(s.narration), s.last_error, tally.mark(), say, s.prog, len(s.graph),
                      s.output, s.output_chosen, s.mode, tuple(s.seeds), len(s.input_undo),
                      s.last_check)


def restore_fast(s: Session, cp: Checkpoint) -> None:
    """Back (or forward) to `cp` with the undo log; the structure must be cp's."""
    s.run_to(cp.pos)
    s.breaks.clear()
    s.breaks |= cp.breaks
    s.break_ops.clear()
    s.break_ops |= cp.break_ops
    del s.narration[cp.narration:]
    s.last_error = cp.last_error


@dataclass
class Player:
    session: Session
    lines: list[ScriptLine]
    delay: float = STEP  # 0: never wait (tests)
    speed: float = 1.0
    slides: bool = False
    prologue: tuple[str, ...] = ()  # lines run before the replay (-e PROGRAM)
    state: str = "playing"  # playing | paused | advancing | slide | stopped | done
    skipping: bool = False  # timed: '.' runs on to the next narration
    error: str | None = None  # the input could not be read
    failure: str = ""  # what stopped playback (a failed :expect, an unexpected error)
    say: str = ""  # the narration on screen
    cursor: int = 0  # lines run
    touched: bool = False  # the user ran lines since the script's last one
    structural: bool = False  # … and one of them was not FAST
    tally: Tally = field(default_factory=Tally)
    restored: bool = False  # the last "line" was a restore: wait as at its slide
    _says: list[int] = field(default_factory=list)
    _next_say: list[int] = field(default_factory=list)
    _slow: list[int] = field(default_factory=list)  # non-FAST lines among lines[:k]
    _slide_cp: dict[int, Checkpoint] = field(default_factory=dict)  # slide number → state
    _last: Checkpoint | None = None  # the state after the script's last line
    _running: bool = False

    def __post_init__(self) -> None:
        n = len(self.lines)
        self._says = [k for k, sl in enumerate(self.lines) if is_narration(sl)]
        self._next_say = [n] * (n + 1)
        for k in range(n - 1, -1, -1):
            self._next_say[k] = k if is_narration(self.lines[k]) else self._next_say[k + 1]
        self._slow = [0] * (n + 1)
        for k, sl in enumerate(self.lines):
            fast = sl.error is None and sl.load is None and is_fast(sl.text)
            self._slow[k + 1] = self._slow[k] + (not fast)
        if self.slides:
            self.state = "advancing"
        self.speed = clamp_speed(self.speed)
        self.session.listeners.append(self._heard)
        self._last = checkpoint(self.session, 0, self.tally, "")

    # ------------------------------------------------------------------ where we are
    @property
    def active(self) -> bool:
        return self.state != "done"

    @property
    def slide_count(self) -> int:
        return len(self._says)

    @property
    def slide(self) -> int:
        """The slide on screen: how many :say lines have run (0 before the first)."""
        return bisect.bisect_left(self._says, self.cursor)

    @property
    def position(self) -> Checkpoint:
        """The state after the script's last line (what advancing resumes from)."""
        assert self._last is not None
        return self._last

    def slide_index(self, k: int) -> int:
        """Lines run at slide k (1-based): up to and including its :say."""
        return self._says[k - 1] + 1

    def wants_next(self) -> bool:
        return self.state in ("playing", "advancing") or (self.state == "paused" and self.skipping)

    def instant(self) -> bool:
        """Whether the next line runs without a pause before the one after it."""
        if self.state == "advancing" or self.skipping or self.delay <= 0:
            return True
        return self._run_left() > SHORT_RUN

    def _run_left(self) -> int:
        """Lines from the cursor to the next narration (or the end), that one excluded."""
        return self._next_say[min(self.cursor, len(self.lines))] - self.cursor

    # ------------------------------------------------------------------ lines
    def next_line(self) -> ScriptLine | None:
        if self.cursor >= len(self.lines):
            self.state = "done"
            self.skipping = False
            return None
        sl = self.lines[self.cursor]
        self.cursor += 1
        self._running = True
        return sl

    def _heard(self, text: str, events: list[Event]) -> None:
        """The session's listener: a line the user ran (not the script's) is noted."""
        if not self._running:
            self.touched = True
            self.structural = self.structural or not is_fast(text)

    def delay_after(self, events: list[Event]) -> float | None:
        """After the script's line (or a restore) produced `events`: seconds to wait before
        the next line, or None to stop until a key."""
        self._running = False
        if self.restored:
            self.restored = False
            return self._wait_at_slide()
        sl = self.lines[self.cursor - 1] if self.cursor else None
        says = [e for e in events if isinstance(e, Say)]
        if says:
            self.say = says[-1].message
        if sl is not None:
            self._fed(sl, events)
        if self.failure:
            self.state, self.skipping = "stopped", False
            return None
        if says and sl is not None and is_narration(sl):
            self._slide_cp[self.slide] = self.position
            if self.state == "advancing":
                self.state = "slide"
                return None
            if self.skipping:
                self.skipping = False  # arrived at the narration: normal pacing from here
        if self.state == "advancing" or self.skipping:
            return 0.0
        pause = sum(e.seconds for e in events if isinstance(e, Pause))
        if pause:  # the author asked for it: honoured, even in a run that plays at once
            return pause / self.speed
        if self.cursor >= len(self.lines):
            return 0.0
        if says:  # time to read it, also before a run that then plays at once
            return self._reading()
        if self.instant() or events and all(isinstance(e, Expect) for e in events):
            return 0.0
        return self.delay / self.speed

    def _reading(self) -> float:
        return reading_time(self.say) * self.delay / STEP / self.speed

    def _wait_at_slide(self) -> float | None:
        if self.state in ("slide", "stopped", "paused", "done"):
            return None
        return 0.0 if self.instant() else self._reading()

    def _fed(self, sl: ScriptLine, events: list[Event]) -> None:
        """Count the line's verdicts; a failed :expect or an error nothing expected stops."""
        failed = [e for e in events if isinstance(e, Expect) and not e.passed]
        newly = self.tally.feed(sl, events)
        if self.cursor >= len(self.lines):
            newly += self.tally.finish()
        if failed or newly:
            self.failure = failure_text(failed[0] if failed else newly[0])
        self._last = checkpoint(self.session, self.cursor, self.tally, self.say)
        self.touched = self.structural = False

    # ------------------------------------------------------------------ keys
    def toggle(self) -> None:
        if self.state == "playing":
            self.state = "paused"
        elif self.state in ("paused", "stopped"):
            self.failure = ""
            self.state = "playing"

    def skip(self) -> None:
        if self.active:
            self.skipping = True

    def advance(self) -> None:
        """Slides: run on to the next slide (after a failure, too)."""
        if self.state == "done":
            return
        self.failure = ""
        self.skipping = False
        self.state = "advancing"

    def set_slides(self, on: bool) -> None:
        self.slides = on
        self.skipping = False
        if self.state == "done":
            return
        if on:
            self.state = "slide"
        elif self.state in ("slide", "advancing"):
            self.state = "playing"

    def faster(self, up: bool) -> float:
        """The next speed on the ladder up (or down); returns the ratio old/new."""
        old = self.speed
        if up:
            self.speed = next((v for v in SPEEDS if v > old + 1e-9), min(MAX_SPEED, old * 1.5))
        else:
            self.speed = next((v for v in reversed(SPEEDS) if v < old - 1e-9),
                              max(MIN_SPEED, old / 1.5))
        return old / self.speed

    # ------------------------------------------------------------------ going back
    def back_target(self) -> int | None:
        """The slide pageup goes to: this one, when lines ran after it (or the user stepped),
        else the one before; None at the first."""
        k = self.slide
        moved = self.touched or (k and self.cursor - 1 != self._says[k - 1])
        target = k if moved else k - 1
        return target if target >= 1 else None

    def target_checkpoint(self, slide: int) -> Checkpoint | None:
        return self._slide_cp.get(slide)

    def needs_rebuild(self, cp: Checkpoint) -> bool:
        """Whether the undo log cannot take the session from now to `cp` exactly."""
        lo, hi = sorted((cp.index, self.cursor))
        return (self.structural or self._slow[hi] != self._slow[lo]
                or not cp.same_structure(self.session))

    def restore(self, cp: Checkpoint) -> None:
        """The session as at `cp` through the undo log (needs_rebuild(cp) is False)."""
        restore_fast(self.session, cp)
        self._arrive(cp)

    def _arrive(self, cp: Checkpoint) -> None:
        self.cursor = cp.index
        self.tally.rewind(cp.tally)
        self.say = cp.say
        self.failure = ""
        self.skipping = False
        self._last = cp
        self.touched = self.structural = False
        self.restored = True
        for k in [k for k in self._slide_cp if self._says[k - 1] >= cp.index]:
            del self._slide_cp[k]  # after cp: taken again when reached

    def rebuild(self, index: int, stop_from: int | None = None) -> Session:
        """Run the prologue and lines[:index] in a fresh session, without drawing, and make
        it the player's; returns it, for the app to adopt (adopt()). A worker may run this:
        the app's session is not touched, so the panes can draw it meanwhile. With
        `stop_from`, a failure at or after that line stops the rebuild there (advancing)."""
        s = Session()
        for text in self.prologue:
            s.run_line(text)
        self.session = s
        self.tally = Tally()
        self._slide_cp.clear()
        self.cursor, self.say, self.failure = 0, "", ""
        while self.cursor < index:
            sl = self.lines[self.cursor]
            self.cursor += 1
            events = [] if command_name(sl.text) in NOT_REPEATED else run_line(s, sl)
            says = [e for e in events if isinstance(e, Say)]
            if says:
                self.say = says[-1].message
            self._fed(sl, events)
            if is_narration(sl):
                self._slide_cp[self.slide] = self.position
            if self.failure and (stop_from is None or self.cursor <= stop_from):
                self.failure = ""  # seen before: going back does not stop at it
            if self.failure:
                break
        failure = self.failure
        self._arrive(self.position)
        self.failure = failure
        return s

    def adopt(self, old: Session) -> None:
        """After a rebuild: the old session's listeners (the recorder, this player's) move to
        the new one."""
        new = self.session
        new.listeners[:] = old.listeners
        old.listeners.clear()
        rec = recorder_of(new)
        if rec is not None:
            rec.session = new

    def next_slide_index(self) -> int:
        """The line count after the next slide's :say (or the end)."""
        k = self._next_say[min(self.cursor, len(self.lines))]
        return min(k + 1, len(self.lines))


def clamp_speed(speed: float) -> float:
    return min(MAX_SPEED, max(MIN_SPEED, speed))
