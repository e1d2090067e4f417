"""Replay playback in the app: timed or as slides (player.py decides what runs and when).

Keys (on an empty line, during playback): space pauses and resumes (next slide, in slides);
'.' skips to the next narration; + and - change the speed. PageDown / PageUp go to the next
and the previous slide, F11 switches between slides and timed playback, F12 the
presentation layout (presentation.py). Lines that play at once run in batches on the UI
thread, drawn once per batch (a 661-line run drew 661 times and took 35 s); a line that
needs a worker, or a TUI command, runs alone as usual.
"""

from __future__ import annotations

import time
from functools import partial

from .. import replay
from ..events import Event, Info, Say
from ..registry import COMMANDS
from . import presentation
from .base import AppBase
from .own_commands import command_word, lookup
from .player import Player, clamp_speed
from .reactions import reaction
from .running import needs_worker
from .widgets.banner import NarrationBanner

BATCH_SECONDS = 0.05  # a batch of lines run at once yields to the UI after this long
PLAYBACK_ACTIONS = ("toggle_play", "skip", "next_slide", "prev_slide", "toggle_slides", "speed")


class PlaybackMixin(AppBase):
    """The BackpropApp's replay half."""

    _play_due = 0.0  # when the pending timer fires (monotonic), to rescale it on + / -
    _replay_speed = 1.0
    _replay_slides = False
    replay_prologue: tuple[str, ...] = ()  # lines run before the replay (-e PROGRAM)
    _present = ""  # the presentation layout: "", presentation.DARK or LIGHT
    _theme_before = ""

    # ------------------------------------------------------------------ keys
    def playback_key_enabled(self, action: str) -> bool:
        p = self.player
        if p is None or len(self.screen_stack) > 1:  # the palette, help: their page keys
            return False
        if action == "prev_slide":  # also after the end: back to the last slide
            return p.slide_count > 0
        return p.active

    def action_toggle_play(self) -> None:
        p = self.player
        if p is None or not p.active:
            return
        if p.slides:
            self._next_slide()
            return
        p.toggle()
        self._show_player()
        if p.state == "playing":
            self._schedule_play(0)
        else:
            self._stop_timer()

    def action_skip(self) -> None:
        p = self.player
        if p is None or not p.active:
            return
        if p.slides:
            self._next_slide()
            return
        if p.state == "stopped":
            p.toggle()
        p.skip()
        self._show_player()
        self._schedule_play(0)

    def action_next_slide(self) -> None:
        self.action_skip()

    def action_prev_slide(self) -> None:
        p = self.player
        if p is None or self.busy:
            return
        k = p.back_target()
        if k is None:
            self.log_pane.note("at the first slide: nothing before it", "warning")
            return
        self._stop_timer()
        if p.slides or p.state in ("done", "stopped"):
            p.state = "slide" if p.slides else "paused"
        cp = p.target_checkpoint(k)
        where = self._slide_where(k)
        if cp is not None and not p.needs_rebuild(cp):
            t0 = time.perf_counter()
            p.restore(cp)
            ms = (time.perf_counter() - t0) * 1000
            events: list[Event] = [Info(f"⟲ slide {k} of {p.slide_count} ({where}): restored "
                                        f"with the undo log in {ms:.1f} ms"), Say(p.say)]
            self.show_events(":back", "replay", events)
            self._show_player()
        else:
            self._rebuild(p.slide_index(k), None, f"slide {k} of {p.slide_count} ({where})")

    def action_toggle_slides(self) -> None:
        p = self.player
        if p is None or not p.active:
            return
        p.set_slides(not p.slides)
        self._stop_timer()
        self._show_player()
        if p.state == "playing":
            self._schedule_play(0)

    def action_speed(self, up: int) -> None:
        p = self.player
        if p is None or not p.active:
            return
        ratio = p.faster(up > 0)
        self._show_player()
        if self._play_timer is not None:  # the wait under way, at the new speed
            left = max(0.0, self._play_due - time.monotonic())
            self._schedule_play(left * ratio)

    def action_present(self) -> None:
        self.set_presentation(presentation.following(self._present))

    def set_presentation(self, mode: str) -> None:
        """The presentation layout: presentation.DARK, LIGHT, or "" (off)."""
        if not self._present:
            self._theme_before = self.theme
        self._present = mode
        presentation.apply(self, mode, self._theme_before)
        word = {"": "off", presentation.DARK: "dark projector theme",
                presentation.LIGHT: "light projector theme"}[mode]
        self.log_pane.note(f"presentation layout: {word} (F12: "
                           f"{presentation.following(mode) or 'off'})")

    # ------------------------------------------------------------------ playing
    def _start_replay(self, path: str) -> None:
        try:
            lines = list(replay.iter_lines(path))
        except replay.ReplayError as exc:
            self.log_pane.note(f"error: {exc}", "error")
            return
        self.player = Player(self.session, lines, self._replay_delay,
                             speed=clamp_speed(self._replay_speed), slides=self._replay_slides,
                             prologue=self.replay_prologue)
        self._show_player()
        self.refresh_bindings()
        self._schedule_play(0)

    def _stop_timer(self) -> None:
        if self._play_timer is not None:
            self._play_timer.stop()
            self._play_timer = None

    def _schedule_play(self, delay: float | None) -> None:
        self._stop_timer()
        self._show_player()
        if delay is None:  # stop until a key
            return
        self._play_due = time.monotonic() + delay
        self._play_timer = self.set_timer(max(delay, 0.001), self._play_next)  # 0 divides by 0

    def _play_next(self) -> None:
        self._play_timer = None
        if not self.screen_stack:  # the app is closing: its screens are gone, so is playback
            return
        p = self.player
        if p is None or not p.wants_next() or self.busy:
            return
        if p.touched and not self._resync():
            return
        if p.instant():
            self._play_batch()
            return
        sl = p.next_line()
        if sl is None:
            self._finished()
            return
        self.run_line(sl.text, source="replay", runner=partial(replay.run_line, self.session, sl))

    def _next_slide(self) -> None:
        p = self.player
        if p is None or not p.active or self.busy:
            return
        if p.touched and p.needs_rebuild(p.position):
            target = p.next_slide_index()
            p.advance()
            self._rebuild(target, p.cursor, f"slide {p.slide + 1} of {p.slide_count}", "slide")
            return
        p.advance()
        self._schedule_play(0)

    def _resync(self) -> bool:
        """The user ran lines since the script's last one: back to the script's position
        before it carries on. False when that takes a rebuild (a worker carries on)."""
        p = self.player
        assert p is not None
        cp = p.position
        if p.needs_rebuild(cp):
            self._rebuild(cp.index, p.cursor, "the script's position")
            return False
        p.restore(cp)
        p.restored = False
        self.log_pane.note("⟲ back to the script's position (stepped by hand meanwhile)")
        self._refresh_views()
        return True

    def _rebuild(self, index: int, stop_from: int | None, what: str,
                 state: str | None = None) -> None:
        """Start afresh and run the script's first `index` lines again, in a worker; then
        the player is in `state` (default: as now)."""
        p = self.player
        assert p is not None
        state = state or p.state

        def rebuild() -> list[Event]:
            t0 = time.perf_counter()
            p.rebuild(index, stop_from)
            ms = (time.perf_counter() - t0) * 1000
            self.call_from_thread(self._adopt)  # before WorkDone draws it
            p.state = "stopped" if p.failure else state
            return [Info(f"⟲ {what}: the session rebuilt by running its first {index:,} "
                         f"lines again in {ms:.0f} ms"), Say(p.say)]

        self._stop_timer()
        self.start_work(f"⟲ {what}", "replay", rebuild)

    def _adopt(self) -> None:
        """The player's rebuilt session becomes the app's (UI thread)."""
        p = self.player
        assert p is not None
        if p.session is not self.session:
            p.adopt(self.session)
            self.session = p.session

    def _runs_alone(self, sl: replay.ScriptLine) -> bool:
        """A line the batch leaves to run_line: a TUI command, or one that needs a worker."""
        if sl.error is not None or sl.load is not None:
            return False
        word = command_word(sl.text)
        command = lookup(word, self.own) if word else None
        if command is not None and command.name not in COMMANDS:
            return True
        return needs_worker(self.session, sl.text, command, self.heavy_nodes)

    def _play_batch(self) -> None:
        p = self.player
        assert p is not None
        t0 = time.monotonic()
        done: list[tuple[replay.ScriptLine, list[Event]]] = []
        delay: float | None = 0.0
        while p.cursor < len(p.lines):
            if self._runs_alone(p.lines[p.cursor]):
                if not done:
                    sl = p.next_line()
                    assert sl is not None
                    self.run_line(sl.text, source="replay",
                                  runner=partial(replay.run_line, self.session, sl))
                    return
                break
            sl = p.next_line()
            assert sl is not None
            events = replay.run_line(self.session, sl)
            done.append((sl, events))
            delay = p.delay_after(events)
            if delay is None or delay > 0 or not p.instant() or time.monotonic() - t0 > BATCH_SECONDS:
                break
        if not done:
            self._finished()
            return
        self._show_batch(done)
        self._schedule_play(delay)

    def _show_batch(self, done: list[tuple[replay.ScriptLine, list[Event]]]) -> None:
        """Log every line and event, apply their reactions, and draw the panes once."""
        for sl, events in done:
            self.log_pane.echo(sl.text, "replay")
            self._log_events(events)
        for _, events in done:
            for ev in events:
                row = reaction(ev)
                if row.apply is not None:
                    row.apply(self, ev)
        self._pinned = False
        self._refresh_views()

    def _finished(self) -> None:
        p = self.player
        assert p is not None
        p.next_line()  # past the end: done
        if p.error:
            self.log_pane.note(f"error: {p.error}", "error")
        self._show_player()
        self.refresh_bindings()

    def _slide_where(self, k: int) -> str:
        p = self.player
        assert p is not None
        sl = p.lines[p.slide_index(k) - 1]
        return f"{sl.file}:{sl.line}"

    def _show_player(self) -> None:
        p = self.player
        if p is None:
            return
        found = self.query("#banner").results(NarrationBanner)
        banner = next(found, None)
        if banner is None:  # a timer that fires while the app closes: nothing to show
            return
        banner.update_player(p.state, p.slides, p.slide, p.slide_count, p.speed, p.failure)
        if p.say and banner.narration != p.say:
            banner.narration = p.say
