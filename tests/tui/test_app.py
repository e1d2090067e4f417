"""Pilot tests of the TUI: every interaction drives the real app through its keys and REPL."""

from __future__ import annotations

import gc
from pathlib import Path

from conftest import enter, settle
from textual.command import CommandPalette
from textual.markup import escape
from textual.widgets import Static, TabbedContent

from backprop_tui.registry import COMMANDS
from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.messages import NodeSelected
from backprop_tui.tui.running import needs_worker
from backprop_tui.tui.screens import HelpScreen
from backprop_tui.tui.widgets.banner import NarrationBanner
from backprop_tui.tui.widgets.inspector import Inspector
from backprop_tui.tui.widgets.log_pane import LogPane
from backprop_tui.tui.widgets.plot import LogLogPlot
from backprop_tui.tui.widgets.status import StatusBar

SIZE = (100, 30)


def log_text(app: BackpropApp) -> str:
    return app.query_one(LogPane).text


def inspector_text(app: BackpropApp) -> str:
    return app.query_one(Inspector).text


def message_text(app: BackpropApp) -> str:
    return str(app.query_one("#repl-message", Static).render())


async def test_opens_on_the_seed():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        s = app.session
        assert s.output is not None and len(s.prog.graph) == 9
        assert s.progress_text() == "forward 0/5"
        status = app.query_one(StatusBar)
        assert status.progress == "forward 0/5" and status.function == "x²+3xy+1"
        assert "forward 0/5" in str(status.render())
        assert "x²+3xy+1 = 23" in log_text(app)
        assert "f = x²+3xy+1" in inspector_text(app)


async def test_step_and_back_keys():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "right")
        assert app.session.progress_text() == "forward 2/5"
        assert app.query_one(StatusBar).progress == "forward 2/5"
        assert "3x = 3 × 2 = 6" in log_text(app)
        assert "› :step" in log_text(app)  # keys are sent as commands
        cur = app.session.current()
        assert app.session.node_info(cur).label in inspector_text(app)
        await pilot.press("left")
        assert app.session.progress_text() == "forward 1/5"
        await pilot.press("left", "left")  # one past the start: a message, no crash
        assert app.session.progress_text() == "forward 0/5"
        assert "nothing to undo" in log_text(app)
        assert "nothing to undo" in app.query_one(StatusBar).note  # said where keys look
        await pilot.press("right")
        assert app.query_one(StatusBar).note == ""


async def test_finish_forward_backward_and_reset():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        assert app.session.progress_text() == "forward 5/5"
        await pilot.press("right", "right", "right", "right", "right")
        # backward 5/7 is x² (the reverse of program order): x's gradient gets its 4, 9 → 13
        assert "∂f/∂x gets 2x·1 = 4·1 = 4 (9 → 13)" in inspector_text(app)
        await pilot.press("f7")
        assert app.session.progress_text() == "done: backward 7/7"
        await pilot.press("f8")
        assert app.session.progress_text() == "forward 0/5"


async def test_continue_stops_at_a_breakpoint():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, ":break 3xy")
        assert "breakpoint at" in log_text(app)
        await pilot.press("escape")  # back out of the REPL so keys step again
        await pilot.press("f5")
        s = app.session
        assert s.current() == s.resolve("3xy")
        assert "stopped at breakpoint: 3xy" in log_text(app)
        await pilot.press("f5")  # and on to its backward step
        assert s.current() == s.resolve("3xy") and s.progress()[0] == "backward"


async def test_fd_check_runs_in_a_worker_and_reaches_the_inspector():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f7", "f9")
        await settle(pilot)
        check = app.session.last_check
        assert check is not None and check.all_pass and not app.busy
        assert {r.node for r in check.rows} >= {"x", "y", "3xy"}
        await enter(pilot, ":goto x")
        assert "finite differences" in inspector_text(app)
        assert "pass" in inspector_text(app)


def _chain(n: int) -> str:
    return "x = 0.5\ns = x\n" + "s = s*0.999 + x\n" * n + "s"


async def test_long_check_shows_progress_and_esc_cancels():
    app = BackpropApp(_chain(6000), heavy_nodes=100)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(app.session.prog.graph) > 18000
        await enter(pilot, ":check all")  # O(n²) evaluations: seconds, unless cancelled
        assert app.busy and app.query_one("#busy").display
        await pilot.press("escape")
        await settle(pilot)
        assert not app.busy and not app.query_one("#busy").display
        assert app.session.last_check is not None and app.session.last_check.cancelled
        assert "cancelled" in log_text(app)
        await enter(pilot, ":step")  # the session is usable again
        assert app.session.progress_text().startswith("forward 1/")


async def test_refuses_commands_while_busy():
    app = BackpropApp(_chain(6000), heavy_nodes=100)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await enter(pilot, ":check all")
        assert not app.run_line(":step", source="key")
        assert "busy" in log_text(app)
        await pilot.press("escape")
        await settle(pilot)


async def test_big_program_loads_in_a_worker():
    app = BackpropApp(_chain(300), heavy_nodes=100)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session.output is not None and app.session.progress_text() == "forward 0/600"
        await pilot.press("f6")
        await settle(pilot)  # :forward walks the graph: a worker above heavy_nodes
        assert app.session.progress_text() == "forward 600/600"
        await pilot.press("right")  # one step stays on the main thread
        assert app.session.progress_text().startswith("backward 1/")


async def test_repl_history_persists_across_sessions(tmp_path):
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, ":step")
        await enter(pilot, ":show x")
    history = tmp_path / "state" / "backprop-tui" / "history"
    assert history.read_text(encoding="utf-8").splitlines()[-2:] == [":step", ":show x"]
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        repl = app.repl.input
        repl.focus()
        repl.value = "draft"
        await pilot.press("up")
        assert repl.value == ":show x"
        await pilot.press("up")
        assert repl.value == ":step"
        await pilot.press("down", "down")
        assert repl.value == "draft"  # the line being typed comes back


async def test_enter_on_an_empty_line_repeats_the_last_command():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, ":step")
        await enter(pilot, "")
        await enter(pilot, "")
        assert app.session.progress_text() == "forward 3/5"
        await pilot.press("escape", "left")  # a key-driven command is the last one too
        await enter(pilot, "")
        assert app.session.progress_text() == "forward 1/5"


async def test_tab_completes_commands_names_and_labels():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        repl = app.repl.input
        repl.focus()
        repl.value, repl.cursor_position = ":go", 3
        await pilot.press("tab")
        assert repl.value == ":goto "
        await pilot.press("3", "x")
        await pilot.press("tab")  # 3x and 3xy: the common prefix stays, both are listed
        assert repl.value == ":goto 3x"
        assert "3xy" in message_text(app)
        await pilot.press("y", "tab")
        assert repl.value == ":goto 3xy "
        await pilot.press("enter")
        assert app.session.current() == app.session.resolve("3xy")
        repl.value, repl.cursor_position = ":break op:ta", 12
        await pilot.press("tab")
        assert repl.value == ":break op:tan"  # tan, tanh
        repl.value, repl.cursor_position = "z = sq", 6
        await pilot.press("tab")
        assert repl.value == "z = sqrt("


async def test_errors_show_under_the_line_with_a_caret():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, "x +* 2")
        msg = app.query_one("#repl-message", Static)
        text = message_text(app)
        assert msg.display and msg.has_class("-error")
        assert "unexpected '*'" in text
        assert "    x +* 2\n       ^" in text
        assert app.repl.input.value == "x +* 2" or app.repl.input.value == ""
        await enter(pilot, ":frobnicate")
        assert "did you mean" in message_text(app) or "try :help" in message_text(app)
        await enter(pilot, ":step")
        assert not app.query_one("#repl-message", Static).display


async def test_the_line_has_the_focus_and_escape_leaves_it_only_when_empty():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is app.repl.input
        await pilot.press("colon", "s", "t", "e", "p", "enter")
        assert app.session.progress_text() == "forward 1/5"
        await pilot.press("n")  # typed into the REPL, not a step
        assert app.session.progress_text() == "forward 1/5"
        await pilot.press("escape")
        assert app.focused is app.repl.input and app.repl.input.value == "n"
        await pilot.press("backspace", "escape")
        assert app.focused is not app.repl.input
        await pilot.press("colon")  # any key that is not a letter binding: back to the line
        assert app.focused is app.repl.input and app.repl.input.value == ":"


async def test_a_statement_typed_after_esc_goes_into_the_line():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")  # key mode: w is no binding, so it is typed
        for key in "w=2;w*x":
            await pilot.press({"=": "equals_sign", ";": "semicolon", "*": "asterisk"}.get(key, key))
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.output == app.session.resolve("w·x")
        assert app.session.progress_text() == "forward 0/1"


async def test_clicking_a_node_inspects_it():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        x = app.session.resolve("x")
        app.post_message(NodeSelected(x))
        await pilot.pause()
        assert inspector_text(app).startswith("x")
        await pilot.press("right")  # a step goes back to following the current node
        assert app.inspected == app.session.current()


async def test_hsweep_key_draws_the_plot():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f10")
        await settle(pilot)
        plot = app.query_one(LogLogPlot)
        assert plot.figure is not None and len(plot.figure.series) == 4  # the four methods
        assert app.query_one("#lower", TabbedContent).active == "tab-plot"
        assert "best step size: h = " in log_text(app)


async def test_help_screen_lists_keys_and_every_command():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-body Static", Static).render())
        for c in COMMANDS.values():
            assert c.usage in text
        assert ":screenshot FILE.svg" in text and "Step" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_lists_every_command():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for c in COMMANDS.values():
            assert escape(c.usage) in titles
        goto = next(c for c in app.get_system_commands(app.screen) if c.title.startswith(":goto"))
        goto.callback()  # needs a NODE: put in the REPL to finish
        await pilot.pause()
        assert app.repl.input.value == ":goto " and app.focused is app.repl.input
        step = next(c for c in app.get_system_commands(app.screen) if c.title.startswith(":step"))
        step.callback()
        await pilot.pause()
        assert app.session.progress_text() == "forward 1/5"
        await pilot.press("ctrl+p")  # the palette itself opens
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)  # (our guarded subclass of it)


async def test_keys_are_remappable(tmp_path):
    conf = tmp_path / "config" / "backprop-tui"
    conf.mkdir(parents=True)
    (conf / "keys.toml").write_text('[keys]\nstep = "j"\nback = "k"\n', encoding="utf-8")
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape", "j", "j", "k")  # letters act in key mode (after Esc)
        assert app.session.progress_text() == "forward 1/5"
        await pilot.press("n")  # no longer bound: typed into the line
        assert app.session.progress_text() == "forward 1/5" and app.repl.input.value == "n"


async def test_screenshot_and_dot_export(tmp_path):
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await enter(pilot, f":screenshot {tmp_path / 'shot.svg'}")
        await pilot.pause()
        assert (tmp_path / "shot.svg").read_text(encoding="utf-8").startswith("<svg")
        await enter(pilot, f":export dot {tmp_path / 'g.dot'}")
        assert "digraph" in (tmp_path / "g.dot").read_text(encoding="utf-8")
        await enter(pilot, ":screenshot")
        assert "usage" in message_text(app)


async def test_recording_captures_keys_as_commands(tmp_path):
    rec = tmp_path / "session.bp"
    app = BackpropApp(record=str(rec))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "right", "left", "f9")
        await settle(pilot)
    lines = [ln for ln in rec.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    assert lines == ["x = 2; y = 3; x^2 + 3x*y + 1", ":step", ":step", ":back", ":check all"]


def _demo(tmp_path: Path, body: str) -> str:
    path = tmp_path / "demo.bp"
    path.write_text(body, encoding="utf-8")
    return str(path)


async def _wait_for(pilot, cond, tries: int = 200) -> None:
    for _ in range(tries):
        if cond():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


async def test_replay_plays_with_narration_and_expectations(tmp_path):
    path = _demo(tmp_path, "x = 2; y = 3; x^2 + 3x*y + 1\n:say The forward pass\n:forward\n"
                 ":pause 0.05\n:expect value 3xy = 18\n:say Now backward\n:backward\n"
                 ":expect grad x = 13\n:check\n:expect check pass\n")
    app = BackpropApp(replay_path=path, replay_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        await _wait_for(pilot, lambda: app.player is not None and app.player.state == "done")
        await settle(pilot)
        banner = app.query_one(NarrationBanner)
        assert banner.narration == "Now backward" and banner.status == "done"
        log = log_text(app)
        assert "✓ value of 3xy = 18" in log and "✓ ∂f/∂x = 13" in log and "✗" not in log
        assert "▶ :forward" in log  # replayed lines are marked
        assert app.session.progress_text() == "done: backward 7/7"


async def test_replay_space_pauses_and_dot_skips_to_the_narration(tmp_path):
    path = _demo(tmp_path, "x = 2; y = 3; x^2 + 3x*y + 1\n:say First\n:pause 30\n:step\n"
                 ":pause 30\n:step\n:say Second\n:pause 30\n:step\n")
    app = BackpropApp(replay_path=path, replay_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        banner = app.query_one(NarrationBanner)
        await _wait_for(pilot, lambda: banner.narration == "First")
        await pilot.pause(0.1)
        assert app.session.progress_text() == "forward 0/5"  # honouring :pause 30
        await pilot.press("space")
        assert app.player.state == "paused" and banner.status == "paused"
        await pilot.press("space")  # resume: the pause is over
        await _wait_for(pilot, lambda: app.session.progress_text() == "forward 1/5")
        await pilot.press("full_stop")  # skip the second pause, on to the narration
        await _wait_for(pilot, lambda: banner.narration == "Second")
        await pilot.pause(0.1)
        assert app.session.progress_text() == "forward 2/5"
        await pilot.press("full_stop")  # no narration left: runs to the end
        await _wait_for(pilot, lambda: app.player.state == "done")
        assert app.session.progress_text() == "forward 3/5"


async def test_replay_of_a_bad_file_is_reported(tmp_path):
    app = BackpropApp(replay_path=str(tmp_path / "missing.bp"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "no such file" in log_text(app)


async def test_resize_down_to_20x6_and_back():
    app = BackpropApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6", "right")
        for size in [(60, 20), (20, 6), (1, 1), (20, 6), (79, 23), (80, 24), (160, 50)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.press("right")
        assert app.screen.has_class("-wide") and app.screen.has_class("-tall")
        await pilot.resize_terminal(20, 6)
        await pilot.pause()
        assert app.screen.has_class("-narrow") and app.screen.has_class("-tiny")
        assert not app.query_one("#inspector").region.area


async def test_light_theme_renders():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "textual-light"
        await pilot.press("f6", "right", "f9")
        await settle(pilot)
        assert app.session.last_check is not None


async def test_show_answers_in_the_inspector_and_help_opens_the_screen():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, ":show 3xy")
        assert app.query_one(Inspector).text.startswith("3xy")
        assert "in the inspector" in message_text(app)
        await enter(pilot, ":help step")  # short answers show under the line
        assert ":step [N]" in message_text(app)
        await enter(pilot, ":graph")  # long ones in the Log tab
        assert app.query_one("#lower", TabbedContent).active == "tab-log"
        assert "more lines in the Log tab" in message_text(app)
        await enter(pilot, ":nodes")
        assert app.query_one("#lower", TabbedContent).active == "tab-nodes"
        await enter(pilot, ":help")
        assert isinstance(app.screen, HelpScreen)


async def test_log_tab_shows_what_was_written_while_hidden():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "right")
        log = app.query_one(LogPane)
        assert not log.lines  # hidden behind the Nodes tab: nothing rendered yet
        app.query_one("#lower", TabbedContent).active = "tab-log"
        await pilot.pause()
        await pilot.pause()
        rendered = "\n".join(strip.text for strip in log.lines)
        assert "forward 2/5" in rendered


async def test_q_quits_with_status_0():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


def test_run_app_refuses_a_bad_replay_file_before_opening(tmp_path, capsys):
    from backprop_tui.tui.app import run_app

    (tmp_path / "bin.bp").write_bytes(b"\x00\x01")
    assert run_app(replay=str(tmp_path / "bin.bp")) == 2
    assert "binary" in capsys.readouterr().err


async def test_resizing_and_keys_while_a_worker_has_the_session():
    app = BackpropApp(_chain(4000), heavy_nodes=100)
    async with app.run_test(size=SIZE) as pilot:
        for size in [(20, 6), (100, 30), (60, 15)]:  # the program loads meanwhile
            await pilot.resize_terminal(*size)
            await pilot.press("right", "f1", "escape")
        await settle(pilot)
        await pilot.resize_terminal(*SIZE)
        await enter(pilot, ":check all")
        await pilot.resize_terminal(80, 24)
        await pilot.press("escape")
        await settle(pilot)
        assert not app.busy and app.session.output is not None


async def test_load_runs_a_file_in_a_worker(tmp_path):
    (tmp_path / "inc.bp").write_text(":say from the file\n:step\n", encoding="utf-8")
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, f":load {tmp_path / 'inc.bp'}")
        await settle(pilot)
        assert app.session.progress_text() == "forward 1/5"
        assert "from the file" in log_text(app)


async def test_status_follows_the_function_being_differentiated():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, ":output 3xy")
        assert app.query_one(StatusBar).function == "3xy"
        await enter(pilot, "x*y*3 + 1")  # a new last statement, same step counts as before
        label = app.session.node_info(app.session.output).label
        assert label.endswith("+1") and app.query_one(StatusBar).function == label


async def test_a_broken_keymap_file_is_reported_not_fatal(tmp_path):
    conf = tmp_path / "config" / "backprop-tui"
    conf.mkdir(parents=True)
    (conf / "keys.toml").write_text("[keys\nstep = ", encoding="utf-8")
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "keymap ignored" in log_text(app)
        assert "keymap ignored" in app.query_one(StatusBar).note
        await pilot.press("right")  # the default keys still work
        assert app.session.progress_text() == "forward 1/5"


def test_history_skips_huge_lines(tmp_path):
    from backprop_tui.tui.widgets.repl import MAX_HISTORY_LINE, History

    history = History(tmp_path / "history")
    history.add(":step")
    history.add("1+" * MAX_HISTORY_LINE + "1")
    history.add(":show x")
    assert history.entries == [":step", ":show x"]
    assert (tmp_path / "history").read_text(encoding="utf-8").splitlines() == [":step", ":show x"]


async def test_compare_runs_in_a_worker_and_lands_in_the_log():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        # Timing the three methods takes up to ~2 s: never on the UI thread.
        assert needs_worker(app.session, ":compare", COMMANDS["compare"], app.heavy_nodes)
        await enter(pilot, ":compare")
        await settle(pilot)
        assert not app.busy
        text = log_text(app)
        assert "finite differences (central)" in text and "∂f/∂x = 2x + 3y" in text
        # its tables are wide: the Log comes forward, and the line says where to look
        assert app.query_one("#lower", TabbedContent).active == "tab-log"
        assert "in the Log tab" in message_text(app)


async def test_what_lives_with_the_app_is_out_of_the_collectors_walks_until_it_exits():
    """A full collection walked the UI's ~70k objects: one key in forty stalled 45-65 ms.
    After the first frame they are frozen (gc.freeze), and given back when the app ends."""
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await settle(pilot)
        assert gc.get_freeze_count() > 10_000
        await pilot.press("right")
        assert app.session.progress_text() == "forward 1/5"
    assert gc.get_freeze_count() == 0
