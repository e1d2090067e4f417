"""The status line is drawn from segments (a step's progress is new text each time, and a
Content costs ~10× more to draw): it must look exactly as its Content would."""

from __future__ import annotations

from textual.strip import Strip
from textual.widget import Widget

from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.widgets.status import StatusBar

SIZE = (100, 30)


def _cells(strip: Strip) -> list[tuple[str, object]]:
    """(character, style without its meta) per cell: how the line looks."""
    out = []
    for seg in strip:
        style = seg.style.clear_meta_and_links() if seg.style is not None else None
        out += [(ch, style) for ch in seg.text]
    return out


async def test_the_status_line_looks_as_its_content_would_at_every_width():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        status = app.query_one(StatusBar)
        cases = [
            ("x²+3xy+1", "forward 0/5", "", "9 nodes, 2 inputs; #8 is the last statement"),
            ("s", "backward 3/66664", "at the end: both passes are done", "99997 nodes, 1 input"),
            ("loss", "done: both passes", "a note\nof two lines", ""),
            ("f", "", "", ""),
            ("a b", "forward 1/2", "", "x" * 38 + " y"),  # a word ending at the width
            ("averyveryverylongnamewithoutanyspaceatall" * 3, "forward 1/2", "", "x"),
        ]
        for width in (100, 41, 12):
            await pilot.resize_terminal(width, 30)
            await pilot.pause()
            for function, progress, note, why in cases:
                status.function, status.progress, status.note, status.why = (
                    function, progress, note, why)
                ours = status.render_line(0)
                theirs = Widget.render_line(status, 0)  # from render()'s Content
                assert _cells(ours) == _cells(theirs), (function, progress, note, why, width)
                # in the same runs (a screenshot draws one text element per run)
                assert [seg.text for seg in ours] == [seg.text for seg in theirs]
                # every segment says where it is, for selecting the text with the mouse
                at = 0
                for seg in ours:
                    assert seg.style is not None and seg.style.meta["offset"] == (at, 0)
                    at += len(seg.text)


async def test_the_status_line_takes_a_new_themes_colours():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        status = app.query_one(StatusBar)
        before = _cells(status.render_line(0))
        assert app.current_theme.name == app.theme  # kept per name (AppBase.current_theme)
        app.theme = "textual-light"
        await pilot.pause()
        assert app.current_theme.name == "textual-light"
        ours = _cells(status.render_line(0))
        assert ours != before and ours == _cells(Widget.render_line(status, 0))
