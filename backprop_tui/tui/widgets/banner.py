"""The narration banner: the latest :say of a replay, and the playback state."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

_KEYS = {"playing": "space pauses · . skips to the next narration",
         "paused": "space resumes · . skips to the next narration",
         "done": "the session is yours"}


class NarrationBanner(Static):
    narration: reactive[str] = reactive("", init=False)
    status: reactive[str] = reactive("", init=False)  # "", "playing", "paused", "done"

    def on_mount(self) -> None:
        self._show()

    def watch_narration(self) -> None:
        self._show()

    def watch_status(self) -> None:
        self._show()

    def _show(self) -> None:
        self.display = bool(self.narration or self.status)
        self.set_class(self.status == "paused", "-paused")
        keys = _KEYS.get(self.status, "")
        icon = {"playing": "▶", "paused": "‖"}.get(self.status, "■")
        state = f"{icon} replay {self.status} — {keys}" if self.status else ""
        lines = []  # the narration is the replay file's text: a $ substitution, never markup
        if self.narration:
            lines.append(Content.from_markup("[b]$n[/b]", n=self.narration))
        if state:
            lines.append(Content.from_markup("[dim]$k[/dim]", k=state))
        self.update(Content("\n").join(lines))
