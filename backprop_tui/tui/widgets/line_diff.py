"""Repaint only the lines that changed, for the Line API panes that change on every step.

Textual's compositor costs about as much per dirty line as the line's own rendering: a
step that refreshes a whole pane re-composes every line of it, though a step changes a
few (the current node's chip, one note, two table rows). A pane using this mixin keeps
the strips it last gave Textual; ``repaint()`` builds the visible lines afresh and
refreshes only those that differ, handing the new strips straight to ``render_line``.

A ScrollView subclass rather than a mixin: Textual takes a widget's default CSS (here
ScrollView's overflow) from its first base class only.

The pane provides ``_line(y)`` (its content line y as it should look now) and
``_view_key()`` (what every line depends on besides the content: scroll offset, size…),
and may provide ``_make_frame()``: what every line reads (sizes, the session's current
node…), made once per pass over the lines in ``self._frame`` rather than once per line.
Anything else that changes every line (a new drawing, a theme) calls ``refresh()`` as
usual, which drops the strips made ready.

``set_virtual_size`` changes the scrollable size without the layout pass of the whole
screen that setting ``virtual_size`` costs (~5 ms here, and a second frame), when no
scrollbar appears or disappears: then only the scrollbars' thumbs change.
"""

from __future__ import annotations

from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class LineDiffView(ScrollView):
    """A Line API ScrollView whose ``repaint()`` refreshes only its changed lines."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._drawn: dict[int, Strip] = {}  # content line -> the strip Textual has
        self._drawn_key: object = None
        self._ready: dict[int, Strip] = {}  # changed lines, built by repaint()
        self.repainted: set[int] | None = None  # lines the last repaint refreshed; None: all
        self._frame_key: object = None  # the view key while Textual renders a frame
        self._frame: object = None  # _make_frame()'s, during a pass over the lines

    def _line(self, y: int) -> Strip:
        raise NotImplementedError

    def _view_key(self) -> object:
        raise NotImplementedError

    def _make_frame(self) -> object:
        """What every line of one pass reads; None: nothing (each _line reads its own)."""
        return None

    def render_lines(self, crop: Region) -> list[Strip]:
        # The view key once per frame, not once per line: it reads sizes that cost ~10 µs.
        self._frame_key = self._view_key()
        self._frame = self._make_frame()
        try:
            return super().render_lines(crop)
        finally:
            self._frame_key = self._frame = None

    def render_line(self, y: int) -> Strip:
        key = self._frame_key if self._frame_key is not None else self._view_key()
        strip = self._ready.pop(y, None) if key == self._drawn_key else None
        if strip is None:
            strip = self._line(y)
        if key != self._drawn_key:
            self._drawn_key = key
            self._drawn = {}
            self._ready = {}
        self._drawn[y] = strip
        return strip

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False,
                recompose: bool = False) -> LineDiffView:
        if not regions:
            self._ready = {}  # every line will be rendered from the state at the time
        super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        return self

    def repaint(self) -> int:
        """Refresh the visible lines that changed since Textual last rendered them (all
        of them when the view moved); returns how many were refreshed."""
        width, height = self.scrollable_content_region.size
        if self._view_key() != self._drawn_key or not self._drawn or width <= 0:
            self.refresh()
            self.repainted = None
            return height
        drawn = self._drawn
        self.repainted = changed = set()
        regions = []
        self._frame = self._make_frame()
        try:
            for y in range(height):
                strip = self._line(y)
                old = drawn.get(y)
                if strip is not old and strip != old:
                    self._ready[y] = strip
                    regions.append(Region(0, y, width, 1))
                    changed.add(y)
        finally:
            self._frame = None
        if regions:
            super().refresh(*regions)  # one call: each costs ~30 µs
        return len(changed)

    def set_virtual_size(self, size: Size) -> bool:
        """Set the virtual size; returns whether that needs a layout pass (a scrollbar
        appears or disappears, or the pane is not laid out yet)."""
        old = self.virtual_size
        if size == old:
            return False
        if not self.is_mounted or not self._same_scrollbars(old, size):
            self.virtual_size = size  # a reactive with layout=True
            return True
        self.set_reactive(LineDiffView.virtual_size, size)
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.window_virtual_size = size.height
        if self.show_horizontal_scrollbar:
            self.horizontal_scrollbar.window_virtual_size = size.width
        # keep the offset inside the new size, as a layout would
        x, y = min(self.scroll_x, self.max_scroll_x), min(self.scroll_y, self.max_scroll_y)
        if (x, y) != (self.scroll_x, self.scroll_y):
            self.scroll_to(x, y, animate=False)
        return False

    def _same_scrollbars(self, old: Size, new: Size) -> bool:
        """Whether both sizes clearly show the same scrollbars: each axis well over or well
        within the pane (within by the other scrollbar's width too); else let Textual decide."""
        width, height = self.container_size
        if width <= 0 or height <= 0:
            return False
        styles = self.styles
        for axis, (overflow, room, bar) in enumerate((
                (styles.overflow_x, width, styles.scrollbar_size_vertical),
                (styles.overflow_y, height, styles.scrollbar_size_horizontal))):
            if overflow != "auto":
                continue  # hidden or always shown: the size does not change it
            a, b = old[axis], new[axis]
            if not ((a > room and b > room) or (a <= room - bar and b <= room - bar)):
                return False
        return True
