"""The header line: the phase and progress, the function being differentiated, and a note
from the last key-driven command ("at the end: both passes are done").

A render() with reactives that only repaint: Textual's Header re-lays out the screen when
its subtitle changes, which would cost a full-screen layout on every step. The rendered
line is kept per text: turning a Content into a line costs ~0.5 ms, and stepping back and
forth shows the same few texts again.
"""

from __future__ import annotations

from functools import lru_cache

from textual.content import Content
from textual.events import Resize
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget


class StatusBar(Widget):
    function: reactive[str] = reactive("")
    progress: reactive[str] = reactive("")
    why: reactive[str] = reactive("")  # which node f is and why, its graph's size
    note: reactive[str] = reactive("")  # what the last key-driven command said, if anything

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: dict[tuple, Strip] = {}

    def render(self) -> Content:
        return self._content(self.function, self.progress, self.note, self.why)

    def render_line(self, y: int) -> Strip:
        key = (self.function, self.progress, self.note, self.why, self.size, y)
        strip = self._lines.get(key)
        if strip is None:
            if len(self._lines) >= 64:
                self._lines.clear()
            strip = self._lines[key] = super().render_line(y)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines = {}  # a theme's colours are in the lines

    def on_resize(self, event: Resize) -> None:
        self._lines = {}

    @lru_cache(maxsize=64)  # noqa: B019 — a handful of bars, a step revisits the same texts
    def _content(self, function: str, progress: str, note: str, why: str = "") -> Content:
        phase = progress.split(" ")[0] if progress else ""
        style = {"forward": "$text-primary", "backward": "$text-accent",
                 "done:": "$text-success"}.get(phase, "$text-muted")
        # Progress first: on a narrow terminal it is what must stay visible. Assembled
        # from plain text and styles: user text never goes through markup.
        parts: list[str | tuple[str, str]] = [("∂", "b"), " "]
        if progress:
            parts.append((progress, f"b {style}"))
        if function:
            parts.append(f"   f = {function}")
        # A key's note (it has no line to answer under) before the why, which is always there.
        if note:
            parts += ["   ", (note.split("\n")[0], "i")]
        if why:
            parts += ["   ", (f"({why})", "dim")]
        return Content.assemble(*parts)


def why_text(nodes: int, inputs: int, outside: int, reason: str, node: int) -> str:
    """The status line's why, sizes first (they fit at 100 columns): `9 nodes, 2 inputs,
    3 outside f; #8 is the last statement; :output NODE picks another`."""
    def n(k: int, word: str) -> str:
        return f"{k} {word}{'s' * (k != 1)}"
    out = f", {outside} outside f" if outside else ""
    verb = "is " if reason.startswith("the ") else ""
    return f"{n(nodes, 'node')}, {n(inputs, 'input')}{out}; #{node} {verb}{reason}"
