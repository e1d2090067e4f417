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
    why: reactive[str] = reactive("")  # which node f is and why, its graph's size
    note: reactive[str] = reactive("")  # what the last key-driven command said, if anything

    def render(self) -> Content:
        return self._content(self.function, self.progress, self.note, self.why)

    @lru_cache(maxsize=64)  # noqa: B019 — a handful of bars, a step revisits the same texts
    def _content(self, function: str, progress: str, note: str, why: str = "") -> Content:
        phase = progress.split(" ")[0] if progress else ""
        style = {"forward": "$text-primary", "backward": "$text-accent",
                 "done:": "$text-success"}.get(phase, "$text-muted")
        # Progress first: on a narrow terminal it is what must stay visible.
        parts = Content.from_markup("[b]∂[/b] ")
        if progress:
            parts += Content.styled(progress, f"b {style}")  # plain text, styled: no markup
        if function:
            parts += Content.from_markup("   f = $f", f=function)
        # A key's note (it has no line to answer under) before the why, which is always there.
        if note:
            parts += Content.from_markup("   [i]$n[/i]", n=note.split("\n")[0])
        if why:
            parts += Content.from_markup("   [dim]($w)[/dim]", w=why)
        return parts


def why_text(nodes: int, inputs: int, outside: int, reason: str, node: int) -> str:
    """The status line's why, sizes first (they fit at 100 columns): `9 nodes, 2 inputs,
    3 outside f; #8 is the last statement; :output NODE picks another`."""
    def n(k: int, word: str) -> str:
        return f"{k} {word}{'s' * (k != 1)}"
    out = f", {outside} outside f" if outside else ""
    verb = "is " if reason.startswith("the ") else ""
    return f"{n(nodes, 'node')}, {n(inputs, 'input')}{out}; #{node} {verb}{reason}"
