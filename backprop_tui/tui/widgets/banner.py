"""The narration banner: the latest :say of a replay, what stopped playback, and its state."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

_KEYS = {
    "playing": "space pauses · . next narration · + − speed · PgUp back · F11 slides",
    "paused": "space resumes · . next narration · + − speed · PgUp back · F11 slides",
    "slide": "PgDn or space: next slide · PgUp: previous · F11: timed playback",
    "advancing": "running to the next slide…",
    "stopped": "space or PgDn carries on · PgUp goes back a slide",
    "done": "the session is yours",
}


class NarrationBanner(Static):
    narration: reactive[str] = reactive("", init=False)
    # "", "playing", "paused", "slide", "advancing", "stopped", "done"
    status: reactive[str] = reactive("", init=False)
    detail: reactive[str] = reactive("", init=False)  # slide k of n, speed
    failure: reactive[str] = reactive("", init=False)  # file:line: expected …, got …

    def on_mount(self) -> None:
        self._show()

    def watch_narration(self) -> None:
        self._show()

    def watch_status(self) -> None:
        self._show()

    def watch_detail(self) -> None:
        self._show()

    def watch_failure(self) -> None:
        self._show()

    def update_player(self, state: str, slides: bool, slide: int, slides_total: int,
                      speed: float, failure: str) -> None:
        """Show a player's state (playback.py)."""
        where = f"slide {slide} of {slides_total}" if slides_total else "no narration"
        self.detail = where if slides else f"{where} · ×{speed:g}"
        self.failure = failure
        self.status = state

    def _show(self) -> None:
        self.display = bool(self.narration or self.status)
        self.set_class(self.status in ("paused", "slide"), "-paused")
        self.set_class(bool(self.failure), "-failed")
        keys = _KEYS.get(self.status, "")
        if self.status == "done" and self.detail.startswith("slide"):
            keys += " · PgUp goes back to the last slide"
        icon = {"playing": "▶", "paused": "‖", "slide": "▣", "advancing": "▶",
                "stopped": "✗"}.get(self.status, "■")
        title = {"stopped": "playback stopped", "slide": "slides", "advancing": "slides"}.get(
            self.status, f"replay {self.status}")
        detail = f" ({self.detail})" if self.detail and self.status != "done" else ""
        state = f"{icon} {title}{detail} — {keys}" if self.status else ""
        lines = []  # the narration is the replay file's text: a $ substitution, never markup
        if self.narration:
            lines.append(Content.from_markup("[b]$n[/b]", n=self.narration))
        if self.failure:
            lines.append(Content.from_markup("[b $text-error]$f[/]", f=self.failure))
        if state:
            lines.append(Content.from_markup("[dim]$k[/dim]", k=state))
        self.update(Content("\n").join(lines))
