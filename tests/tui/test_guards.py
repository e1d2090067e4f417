"""Regressions of issue 16 in the TUI: the command palette's upstream bugs (item 6) and the
REPL line's length cap (item 8). Keys are posted to the app back to back, as a terminal
delivers them, where Pilot would wait for the app to go idle after each one."""

from __future__ import annotations

from conftest import settle
from textual import events
from textual.command import CommandPalette
from textual.widgets import Static

from backprop_tui.registry import MAX_COMMAND_CHARS
from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.widgets.repl import MAX_LINE, TOO_LONG

SIZE = (100, 30)


def keys(app: BackpropApp, *names: str) -> None:
    for name in names:
        app.post_message(events.Key(name, name if len(name) == 1 else None))


def message(app: BackpropApp) -> Static:
    return app.query_one("#repl-message", Static)


async def test_palette_enter_enter_quickly_runs_once_and_keeps_the_app():
    """Ctrl+P, `step`, Enter Enter: the second Enter dismissed the palette again and popped
    the app's last screen (ScreenStackError, exit 1) in Textual 8.2.8."""
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p", *"step")
        await pilot.pause(0.2)  # the palette has found its matches
        keys(app, "enter", "enter", "enter")
        await pilot.pause(0.3)
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, CommandPalette)
        assert app.session.progress_text() == "forward 1/5"  # :step ran once
        await pilot.press("right")  # and the app still takes keys
        assert app.session.progress_text() == "forward 2/5"
    assert app.return_code in (None, 0)


async def test_page_keys_in_a_just_opened_palette():
    """Page keys before the palette's list is laid out raised KeyError in Textual 8.2.8."""
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        keys(app, "ctrl+p", "pagedown", "pageup", "pagedown")
        await pilot.pause(0.3)
        assert app.is_running and isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        assert not isinstance(app.screen, CommandPalette)
    assert app.return_code in (None, 0)


def test_the_cap_is_the_sessions_command_limit():
    assert MAX_LINE == MAX_COMMAND_CHARS == 10_000


async def test_an_unbracketed_paste_past_the_cap_is_cut_with_a_message():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        repl = app.repl.input
        repl.focus()
        keys(app, *("x = 1 + " + "1" * (MAX_LINE + 10_000)))  # one key per character
        await pilot.pause(0.5)
        await settle(pilot)
        assert repl.value == ("x = 1 + " + "1" * MAX_LINE)[:MAX_LINE]  # its first characters
        assert TOO_LONG in str(message(app).render()) and message(app).has_class("-error")
        keys(app, "2")  # the line is full
        await pilot.pause()
        assert len(repl.value) == MAX_LINE
        await pilot.press("backspace")  # shorter again: the warning goes
        assert not message(app).display
        repl.value = ""
        await pilot.press(*"x = 2", "enter")  # typing works as before
        assert app.session.prog.bindings.get("x") is not None and repl.value == ""


async def test_a_bracketed_paste_past_the_cap_is_refused_whole():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        repl = app.repl.input
        repl.focus()
        repl.value, repl.cursor_position = "x = ", 4
        await pilot.pause()
        repl.post_message(events.Paste("1" * (MAX_LINE + 1)))
        await pilot.pause()
        assert repl.value == "x = "
        assert TOO_LONG in str(message(app).render())
        repl.post_message(events.Paste("1" * (MAX_LINE - 4)))  # exactly fills the line
        await pilot.pause()
        assert len(repl.value) == MAX_LINE


async def test_a_burst_of_keys_is_inserted_in_order_before_an_editing_key():
    """Keys already queued go in as one insertion; Enter after them submits all of them."""
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.repl.input.focus()
        keys(app, *"x = 3; x^2", "enter")
        await pilot.pause(0.3)
        await settle(pilot)
        assert app.session.progress_text() == "forward 0/1"
        assert "x² = 9" in app.log_pane.text
