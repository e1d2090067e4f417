"""The header line: the phase and progress, the function being differentiated, and a note
from the last key-driven command ("at the end: both passes are done").

A render() with reactives that only repaint: Textual's Header re-lays out the screen when
its subtitle changes, which would cost a full-screen layout on every step. The line is
drawn from segments in the component classes' styles: the progress changes on every step,
and turning a Content into a line costs ~0.5 ms where the segments cost ~0.05. render()
keeps the Content, which says the same (a test compares the two); a line with characters
wider than one cell is drawn from it.
"""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.content import Content
from textual.events import Resize
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

# The progress's colour by its first word (the phase); the status-bar--ROLE classes.
PHASE_ROLE = {"forward": "forward", "backward": "backward", "done:": "done"}
Part = tuple[str, str]  # (text, role): "" plain, "bold", "italic", "dim", or a phase's role


class StatusBar(Widget):
    COMPONENT_CLASSES = {"status-bar--bold", "status-bar--italic", "status-bar--dim",
                         "status-bar--forward", "status-bar--backward", "status-bar--done",
                         "status-bar--muted"}
    DEFAULT_CSS = """
    StatusBar > .status-bar--bold { text-style: bold; }
    StatusBar > .status-bar--italic { text-style: italic; }
    StatusBar > .status-bar--dim { text-style: dim; }
    StatusBar > .status-bar--forward { color: $text-primary; text-style: bold; }
    StatusBar > .status-bar--backward { color: $text-accent; text-style: bold; }
    StatusBar > .status-bar--done { color: $text-success; text-style: bold; }
    StatusBar > .status-bar--muted { color: $text-muted; text-style: bold; }
    """

    function: reactive[str] = reactive("")
    progress: reactive[str] = reactive("")
    why: reactive[str] = reactive("")  # which node f is and why, its graph's size
    note: reactive[str] = reactive("")  # what the last key-driven command said, if anything

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: dict[tuple, Strip] = {}
        self._styles: dict[str, Style] = {}

    def render(self) -> Content:
        return _content(self.function, self.progress, self.note, self.why)

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        key = (self.function, self.progress, self.note, self.why, width, y)
        strip = self._lines.get(key)
        if strip is None:
            if len(self._lines) >= 64:
                self._lines.clear()
            strip = self._lines[key] = self._line(y, width)
        return strip

    def _line(self, y: int, width: int) -> Strip:
        parts = _parts(self.function, self.progress, self.note, self.why)
        plain = "".join(text for text, _ in parts)
        if y or cell_len(plain) != len(plain):
            return super().render_line(y)  # from render()'s Content: wide characters
        if not self._styles:
            base = self.rich_style
            self._styles = {"": base} | {
                role[len("status-bar--"):]: base + self.get_component_rich_style(role, partial=True)
                for role in self.COMPONENT_CLASSES}
        end = _wrap_at(plain, width)
        runs: list[list[str]] = []  # [text, role]: neighbours in one style are one run
        at = 0
        for text, role in parts:
            if at >= end:
                break
            text = text[:end - at]
            at += len(text)
            if runs and runs[-1][1] == role:
                runs[-1][0] += text
            else:
                runs.append([text, role])
        segments = []
        at = 0
        for text, role in runs:
            # the offset, as Content gives it, is what selecting the text with the mouse reads
            segments.append(Segment(text, self._styles[role] + Style.from_meta({"offset": (at, y)})))
            at += len(text)
        return Strip(segments, at)  # Textual pads it to the width, as it does Content's

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines = {}  # a theme's colours are in the lines
        self._styles = {}

    def on_resize(self, event: Resize) -> None:
        self._lines = {}


def _wrap_at(plain: str, width: int) -> int:
    """Where the first line of `plain` wrapped to `width` ends, as Content wraps it: after
    the last word that fits, its trailing spaces dropped (a word longer than the line is cut)."""
    if len(plain) <= width:
        return len(plain)
    cut = plain.rfind(" ", 0, width + 1)
    if cut <= 0 or not plain[:cut].strip():
        return width
    return len(plain[:cut].rstrip())


@lru_cache(maxsize=64)  # a step revisits the same few texts
def _parts(function: str, progress: str, note: str, why: str) -> tuple[Part, ...]:
    # Progress first: on a narrow terminal it is what must stay visible. Plain text and
    # roles: user text never goes through markup.
    parts: list[Part] = [("∂", "bold"), (" ", "")]
    if progress:
        parts.append((progress, PHASE_ROLE.get(progress.split(" ")[0], "muted")))
    if function:
        parts.append((f"   f = {function}", ""))
    # A key's note (it has no line to answer under) before the why, which is always there.
    if note:
        parts += [("   ", ""), (note.split("\n")[0], "italic")]
    if why:
        parts += [("   ", ""), (f"({why})", "dim")]
    return tuple(parts)


_CONTENT_STYLE = {"": "", "bold": "b", "italic": "i", "dim": "dim", "forward": "b $text-primary",
                  "backward": "b $text-accent", "done": "b $text-success", "muted": "b $text-muted"}


@lru_cache(maxsize=64)
def _content(function: str, progress: str, note: str, why: str = "") -> Content:
    return Content.assemble(*((text, _CONTENT_STYLE[role]) if role else text
                              for text, role in _parts(function, progress, note, why)))


def why_text(nodes: int, inputs: int, outside: int, reason: str, node: int) -> str:
    """The status line's why, sizes first (they fit at 100 columns): `9 nodes, 2 inputs,
    3 outside f; #8 is the last statement; :output NODE picks another`."""
    def n(k: int, word: str) -> str:
        return f"{k} {word}{'s' * (k != 1)}"
    out = f", {outside} outside f" if outside else ""
    verb = "is " if reason.startswith("the ") else ""
    return f"{n(nodes, 'node')}, {n(inputs, 'input')}{out}; #{node} {verb}{reason}"
