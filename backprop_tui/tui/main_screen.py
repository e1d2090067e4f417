"""The app's screen: Textual's, with a compositor that renders, for a partial update, only
the widgets that show on a line being updated.

A step changes lines from the top of the screen (the status line) to the node table near
the bottom. Textual renders a partial update from the box around every changed region, and
asks every widget whose clip meets that box for its lines: the tabs, the REPL line, the
footer, a dozen widgets none of whose lines change (~70 µs each, 1.1-1.5 ms of a step).
Their lines would be thrown away: only the changed lines are written. Here a widget is
asked only if one of its visible rows is being updated, so the update written is the
same (test_main_screen.py compares it with Textual's own compositor).

This subclasses Textual's private compositor (textual._compositor, textual 8): should its
shape change, the update falls back to Textual's own rendering of every widget.
"""

from __future__ import annotations

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget


class RowCompositor(Compositor):
    """Asks only the widgets on the rows being updated for their lines."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: bytearray | None = None  # the rows of a partial update, while rendering
        self._on_rows: dict[Widget, tuple[Region, Region]] | None = None

    @property
    def visible_widgets(self) -> dict[Widget, tuple[Region, Region]]:
        widgets = super().visible_widgets
        rows = self._rows
        if rows is None:
            return widgets
        if self._on_rows is None:
            on_rows = {}  # in Textual's order: the order it paints in
            for widget, (region, clip) in widgets.items():
                shown = region.intersection(clip)
                if any(rows[shown.y:shown.bottom]):
                    on_rows[widget] = (region, clip)
            self._on_rows = on_rows
        return self._on_rows

    def render_partial_update(self) -> ChopsUpdate | None:
        try:
            self.cuts  # noqa: B018 — made from every widget, before the filter applies
            height = self.size.height
            rows = bytearray(height)
            for region in self._dirty_regions:
                y0, y1 = max(region.y, 0), min(region.bottom, height)
                if y1 > y0:
                    rows[y0:y1] = b"\1" * (y1 - y0)
        except (AttributeError, TypeError):  # not the Textual this was written for
            return super().render_partial_update()
        self._rows, self._on_rows = rows, None
        try:
            return super().render_partial_update()
        finally:
            self._rows = self._on_rows = None


class MainScreen(Screen[None]):
    def __init__(self, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._compositor = RowCompositor()
