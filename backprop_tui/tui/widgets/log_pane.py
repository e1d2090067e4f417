"""The log: every command echoed, then its events as ``render_text`` renders them.

Colours come from component classes styled in app.tcss, so both themes stay readable;
narration from replay files gets its own, louder style.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import RichLog

from ...events import Event
from ...render_text import text as event_text

MAX_EVENT_LINES = 120  # a :nodes on a 100k graph is for the node table, not the log

_STYLE_OF_KIND = {
    "error": "error", "warning": "warning", "say": "say", "phase": "phase", "break": "break",
    "check": "check", "hsweep": "check", "expect": "expect",
}
# Tables: wrapping would scramble their columns, so they keep their width and scroll sideways.
_TABLES = {"check", "hsweep", "nodes", "graph"}


class LogPane(RichLog):
    COMPONENT_CLASSES = {
        "log-pane--echo", "log-pane--error", "log-pane--warning", "log-pane--say",
        "log-pane--phase", "log-pane--break", "log-pane--check", "log-pane--expect",
        "log-pane--fail",
    }

    def __init__(self, **kwargs) -> None:
        # min_width: RichLog's default (78) would scroll sideways in a side pane.
        super().__init__(wrap=True, markup=False, highlight=False, max_lines=4000, min_width=20,
                         **kwargs)
        # What was written, as plain lines: RichLog defers rendering while its tab is hidden.
        self.plain: deque[str] = deque(maxlen=4000)

        # Writes while the pane is hidden (another tab): each would cost a layout pass.
        self._hidden: deque[tuple] = deque(maxlen=2000)

    def write(self, content, *args, **kwargs):  # type: ignore[override]
        if isinstance(content, Text):
            self.plain.extend(content.plain.split("\n"))
        if not self.region.area:
            self._hidden.append((content, args, kwargs))
            return self
        return super().write(content, *args, **kwargs)

    def on_show(self) -> None:
        while self._hidden:
            content, args, kwargs = self._hidden.popleft()
            super().write(content, *args, **kwargs)

    @property
    def text(self) -> str:
        return "\n".join(self.plain)

    def _style(self, name: str):
        return self.get_component_rich_style(f"log-pane--{name}", partial=True)

    def echo(self, line: str, source: str = "") -> None:
        prefix = "▶ " if source == "replay" else "› "
        first = line.strip().splitlines()[0] if line.strip() else ""
        more = " …" if "\n" in line.strip() else ""
        self.write(Text(prefix + first[:200] + more, style=self._style("echo")))

    def write_events(self, events: Iterable[Event]) -> None:
        for ev in events:
            text = event_text(ev)
            lines = text.split("\n")
            if len(lines) > MAX_EVENT_LINES:  # keep the head and the tail (a table's totals)
                cut = len(lines) - MAX_EVENT_LINES
                lines = lines[:MAX_EVENT_LINES - 5] + [f"… {cut} more lines"] + lines[-5:]
            style = _STYLE_OF_KIND.get(ev.kind, "")
            if ev.kind == "expect" and not getattr(ev, "passed", True):
                style = "fail"
            text_obj = Text("\n".join(lines), style=self._style(style) if style else "")
            if ev.kind in _TABLES:
                text_obj.no_wrap = True
                self.write(text_obj, width=max(cell_len(ln) for ln in lines))
            else:
                self.write(text_obj)

    def note(self, text: str, style: str = "") -> None:
        """A line from the app itself (busy, cancelled, exported)."""
        self.write(Text(text, style=self._style(style) if style else ""))
