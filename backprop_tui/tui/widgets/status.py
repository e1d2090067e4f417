"""The header line: the phase and progress, the function being differentiated, and a note
from the last key-driven command ("at the end: both passes are done").

A render() with reactives that only repaint: Textual's Header re-lays out the screen when
its subtitle changes, which would cost a full-screen layout on every step.
"""

from __future__ import annotations

from functools import lru_cache

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget


class StatusBar(Widget):
    function: reactive[str] = reactive("")
    progress: reactive[str] = reactive("")
    note: reactive[str] = reactive("")  # what the last key-driven command said, if anything

    def render(self) -> Content:
        return self._content(self.function, self.progress, self.note)

    @lru_cache(maxsize=64)  # noqa: B019 — a handful of bars, a step revisits the same texts
    def _content(self, function: str, progress: str, note: str) -> Content:
        phase = progress.split(" ")[0] if progress else ""
        style = {"forward": "$text-primary", "backward": "$text-accent",
                 "done:": "$text-success"}.get(phase, "$text-muted")
        # Progress first: on a narrow terminal it is what must stay visible.
        parts = Content.from_markup("[b]∂[/b] ")
        if progress:
            parts += Content.styled(progress, f"b {style}")  # plain text, styled: no markup
        if function:
            parts += Content.from_markup("   f = $f", f=function)
        if note:
            parts += Content.from_markup("   [i]$n[/i]", n=note.split("\n")[0])
        return parts
