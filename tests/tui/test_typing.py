"""Typing is never lost (issue 11, item 4): printable keys go into the line, wherever the
focus is; → ← step on an empty line; the letters act only after Esc left an empty line."""

from __future__ import annotations

from conftest import settle
from textual import events
from textual.widgets import TabbedContent

from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.screens import HelpScreen
from backprop_tui.tui.widgets.graph_view import GraphView
from backprop_tui.tui.widgets.status import StatusBar

SIZE = (100, 30)
KEY_NAMES = {"(": "left_parenthesis", ")": "right_parenthesis", "*": "asterisk", "^": "circumflex_accent",
             "=": "equals_sign", " ": "space", ":": "colon", "?": "question_mark", ".": "full_stop"}


async def type_text(pilot, text: str) -> None:
    await pilot.press(*(KEY_NAMES.get(ch, ch) for ch in text))
    await pilot.pause()


async def test_typing_without_focusing_changes_nothing_but_the_line():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        s = app.session
        before = (s.progress_text(), len(s.graph), s.output)
        for text in ("sin(x)*x^2", "y = 3", "bad(x)", "help", "quit", ":step", "n p c f b r x h q ?"):
            await type_text(pilot, text)
            assert app.repl.input.value == text
            assert (s.progress_text(), len(s.graph), s.output) == before
            assert len(app.screen_stack) == 1 and app.is_running
            app.repl.input.value = ""
        await type_text(pilot, "sin(x)")
        await pilot.press("enter")
        await settle(pilot)
        assert s.output == s.resolve("sin(x)") and s.progress_text() == "forward 0/1"
        await pilot.press("right")  # the line is empty again: → steps
        assert s.progress_text() == "forward 1/1"
        await pilot.press("left")
        assert s.progress_text() == "forward 0/1"


async def test_arrows_move_the_cursor_in_a_line_that_holds_text():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "x")
        await pilot.press("left", "left")  # to the start: the line holds text, no step back
        await pilot.press("right", "left")
        assert app.session.progress_text() == "forward 0/5"
        await type_text(pilot, "3*")
        assert app.repl.input.value == "3*x"


async def test_arrows_typed_in_one_burst_with_text_move_the_cursor_and_never_step():
    """→ ← step as soon as the app sees them (a priority binding) only on a line that is
    empty with nothing queued for it: typed in one burst with text (a fast typist, a
    paste), they move the cursor among the characters they follow."""
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = app.session.progress_text()
        for key, char in (("a", "a"), ("b", "b"), ("left", None), ("c", "c"), ("right", None),
                          ("d", "d")):
            app.post_message(events.Key(key, char))  # no wait between keys
        await settle(pilot)
        assert app.session.progress_text() == before
        assert app.repl.input.value == "acbd"
        app.repl.input.value = ""
        await pilot.press("right")  # empty and nothing queued: a step, at once
        assert app.session.progress_text() != before


async def test_typing_after_a_click_elsewhere_goes_to_the_line():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#table").focus()
        await type_text(pilot, "sin(x)")
        assert app.repl.input.value == "sin(x)" and app.focused is app.repl.input
        assert app.session.progress_text() == "forward 0/5"


async def test_letters_act_only_after_esc_on_an_empty_line():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "x")
        await pilot.press("escape")  # the line holds text: Esc keeps it, and the focus
        assert app.focused is app.repl.input and app.repl.input.value == "x"
        app.repl.input.value = ""
        await pilot.press("escape", "n", "n", "p")
        assert app.session.progress_text() == "forward 1/5"
        await type_text(pilot, "sin")  # not a key: back to the line, typed
        assert app.repl.input.value == "sin" and app.focused is app.repl.input


async def test_help_and_quit_typed_as_words_do_what_they_say():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "help")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await type_text(pilot, "quit")
        await pilot.press("enter")
        await pilot.pause()
        assert not app.is_running


async def test_enter_repeats_a_command_only_if_no_statement_came_since():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, ":step")
        await pilot.press("enter", "enter")
        assert app.session.progress_text() == "forward 2/5"
        await type_text(pilot, "x*y")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")  # nothing to repeat: the statement came after :step
        assert app.session.progress_text() == "forward 0/1"


async def test_function_keys_switch_the_tabs():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        tabs = app.query_one("#lower", TabbedContent)
        for key, tab in (("f3", "tab-log"), ("f4", "tab-plot"), ("f2", "tab-nodes")):
            await pilot.press(key)
            assert tabs.active == tab


async def test_palette_entries_switch_the_tabs():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Nodes tab", "Log tab", "Plot tab"} <= set(titles)
        tabs = app.query_one("#lower", TabbedContent)
        for c in app.get_system_commands(app.screen):
            if c.title == "Log tab":
                c.callback()
        await pilot.pause()
        assert tabs.active == "tab-log"
        await type_text(pilot, ":nodes")
        await pilot.press("enter")
        await pilot.pause()
        assert tabs.active == "tab-nodes"  # a command whose output goes to a tab shows it


async def test_the_status_line_says_which_node_f_is_and_why():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        status = app.query_one(StatusBar)
        assert status.why == "9 nodes, 2 inputs; #8 is the last statement; :output NODE picks another"
        await type_text(pilot, "z = 5; z*x")
        await pilot.press("enter")
        await pilot.pause()
        # f = zx uses z, x and zx of the 11 nodes
        assert status.function == "zx" and status.why.startswith("3 nodes, 2 inputs, 8 outside f;")
        assert "8 nodes outside f hidden: :nodes all lists them" in app.query_one(GraphView).note
        await type_text(pilot, ":output #6")
        await pilot.press("enter")
        await pilot.pause()
        assert status.function == "x²+3xy" and "#6 chosen with :output" in status.why
        assert "chosen with :output" in str(status.render())
