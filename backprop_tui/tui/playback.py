"""Replay playback in the app: lines run one by one, paced by the Player; space pauses
and resumes, '.' skips to the next narration."""

from __future__ import annotations

from functools import partial

from .. import replay
from .base import AppBase
from .player import Player
from .widgets.banner import NarrationBanner


class PlaybackMixin(AppBase):
    """The BackpropApp's replay half."""

    def action_toggle_play(self) -> None:
        if self.player is None or not self.player.active:
            return
        self.player.toggle()
        self.query_one("#banner", NarrationBanner).status = self.player.state
        if self.player.state == "playing":
            self._schedule_play(0)
        elif self._play_timer is not None:
            self._play_timer.stop()
            self._play_timer = None

    def action_skip(self) -> None:
        if self.player is None or not self.player.active:
            return
        self.player.skip()
        self._schedule_play(0)

    def _start_replay(self, path: str) -> None:
        try:
            lines = replay.iter_lines(path)
        except replay.ReplayError as exc:
            self.log_pane.note(f"error: {exc}", "error")
            return
        self.player = Player(lines, self._replay_delay)
        self.query_one("#banner", NarrationBanner).status = "playing"
        self.refresh_bindings()
        self._schedule_play(0)

    def _schedule_play(self, delay: float) -> None:
        if self._play_timer is not None:
            self._play_timer.stop()
        self._play_timer = self.set_timer(max(delay, 0.001), self._play_next)  # 0 divides by 0

    def _play_next(self) -> None:
        self._play_timer = None
        player = self.player
        if player is None or not player.wants_next() or self.busy:
            return
        sl = player.next_line()
        if sl is None:
            banner = self.query_one("#banner", NarrationBanner)
            banner.status = "done"
            if player.error:
                self.log_pane.note(f"error: {player.error}", "error")
            self.refresh_bindings()
            return
        self.run_line(sl.text, source="replay", runner=partial(replay.run_line, self.session, sl))

