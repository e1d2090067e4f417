"""The partial updates a step writes rebuild exactly the screen a full render draws.

Each frame after a key writes only the lines that changed (the panes' LineDiffView, and
main_screen.RowCompositor, which renders only the widgets on those lines): applied one
after another to a copy of the screen, the updates must leave what a full render of the
final state shows. A line that changed but was not refreshed, or a widget left out that
shows on a refreshed line, makes the two differ."""

from __future__ import annotations

from rich.segment import ControlType, Segment
from textual import events

from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.main_screen import RowCompositor

SIZE = (100, 30)
Cells = list[list[tuple[str, object]]]


class RecordingApp(BackpropApp):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.updates: list[object] | None = None

    def _display(self, screen, renderable) -> None:  # type: ignore[no-untyped-def]
        if renderable is not None and self.updates is not None:
            self.updates.append(renderable)
        super()._display(screen, renderable)


def _write(cells: Cells, segments: list[Segment]) -> None:
    x = y = 0
    for seg in segments:
        if seg.control:
            for code in seg.control:
                if code[0] == ControlType.CURSOR_MOVE_TO:
                    x, y = code[1], code[2]
            continue
        if seg.text == "\n":
            continue
        style = seg.style.clear_meta_and_links() if seg.style is not None else None
        for ch in seg.text:
            cells[y][x] = (ch, style)
            x += 1


def _screen(app: BackpropApp, fresh: bool = True) -> Cells:
    """The screen as a full render of the current state draws it (`fresh`: every widget's
    every line rendered anew, none from the lines Textual keeps)."""
    if fresh:
        for widget in app.screen.walk_children(with_self=True):
            widget.refresh()
    width, height = app.size
    cells: Cells = [[("", None)] * width for _ in range(height)]
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        x = 0
        for seg in strip:
            style = seg.style.clear_meta_and_links() if seg.style is not None else None
            for ch in seg.text:
                cells[y][x] = (ch, style)
                x += 1
    return cells


async def _replay_keys(program: str | None, keys: list[str]) -> tuple[Cells, Cells, int]:
    app = RecordingApp(program)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert isinstance(app.screen._compositor, RowCompositor)
        cells = _screen(app, fresh=False)  # what the terminal shows now
        app.updates = []
        for key in keys:
            app.post_message(events.Key(key, None))
            await pilot.pause()
        await pilot.pause(0.05)
        partial = 0
        console = app.console
        for update in app.updates:
            partial += type(update).__name__ == "ChopsUpdate"
            _write(cells, list(update.__rich_console__(console, console.options)))
        return cells, _screen(app), partial


async def test_steps_on_the_seed_write_what_a_full_render_draws():
    keys = ["right"] * 8 + ["left"] * 2 + ["f9", "right", "f3", "f2", "left"]
    written, drawn, partial = await _replay_keys(None, keys)
    assert partial >= 8  # most frames were partial updates, the case this is about
    assert written == drawn


async def test_steps_along_a_neighbourhood_write_what_a_full_render_draws():
    program = "x = 0.5\ns = x\n" + "s = s*0.999 + x\n" * 300 + "s"
    written, drawn, partial = await _replay_keys(program, ["right"] * 9 + ["left"] * 3)
    assert partial >= 8
    assert written == drawn
