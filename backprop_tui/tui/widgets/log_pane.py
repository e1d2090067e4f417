"""The log: every command echoed, then its events as ``render_text`` renders them.

Colours come from component classes styled in app.tcss, so both themes stay readable;
narration from replay files gets its own, louder style. Which style an event gets, and
whether it is a table, is the app's event table's to say (tui/reactions.py).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widgets import RichLog

MAX_EVENT_LINES = 120  # a :nodes on a 100k graph is for the node table, not the log


class LogPane(RichLog):
    COMPONENT_CLASSES = {
        "log-pane--echo", "log-pane--error", "log-pane--warning", "log-pane--say",
        "log-pane--phase", "log-pane--break", "log-pane--check", "log-pane--expect",
        "log-pane--fail",
    }

    def __init__(self, **kwargs: Any) -> None:
        # min_width: RichLog's default (78) would scroll sideways in a side pane.
        super().__init__(wrap=True, markup=False, highlight=False, max_lines=4000, min_width=20,
                         **kwargs)
        # What was written, as plain lines: RichLog defers rendering while its tab is hidden.
        self.plain: deque[str] = deque(maxlen=4000)

        # Writes while the pane is hidden (another tab): each would cost a layout pass.
        self._hidden: deque[tuple[Any, tuple[Any, ...], dict[str, Any]]] = deque(maxlen=2000)

    def write(self, content: Any, *args: Any, **kwargs: Any) -> LogPane:
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

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"log-pane--{name}", partial=True)

    def echo(self, line: str, source: str = "") -> None:
        prefix = "▶ " if source == "replay" else "› "
        first = line.strip().splitlines()[0] if line.strip() else ""
        more = " …" if "\n" in line.strip() else ""
        self.write(Text(prefix + first[:200] + more, style=self._style("echo")))

    def write_entry(self, text: str, style: str = "", table: bool = False) -> None:
        """An event's text, in the style `style` (a log-pane--NAME class, "" for plain).

        A table keeps its columns: it is not wrapped, and the log scrolls sideways for it.
        """
        lines = text.split("\n")
        if len(lines) > MAX_EVENT_LINES:  # keep the head and the tail (a table's totals)
            cut = len(lines) - MAX_EVENT_LINES
            lines = lines[:MAX_EVENT_LINES - 5] + [f"… {cut} more lines"] + lines[-5:]
        text_obj = Text("\n".join(lines), style=self._style(style) if style else "")
        if table:
            text_obj.no_wrap = True
            self.write(text_obj, width=max(cell_len(ln) for ln in lines))
        else:
            self.write(text_obj)

    def note(self, text: str, style: str = "") -> None:
        """A line from the app itself (busy, cancelled, exported)."""
        self.write(Text(text, style=self._style(style) if style else ""))
