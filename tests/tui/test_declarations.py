"""The TUI reads the command declarations (registry.Arg, Command.cost) and one event table:
completion, worker routing, help and palette need no edit when a command is added."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from conftest import enter, settle
from textual.widgets import Static

from backprop_tui import events as ev
from backprop_tui import records as rec
from backprop_tui.commands import check as _check  # noqa: F401  registers the commands
from backprop_tui.language import parse
from backprop_tui.registry import ALIASES, COMMANDS, Arg, command
from backprop_tui.session import Session
from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.completion import complete
from backprop_tui.tui.reactions import REACTIONS, log_style, status_note, under_line
from backprop_tui.tui.running import MANY_STEPS, needs_worker
from backprop_tui.tui.screens import HelpScreen

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"
SEED_NODES = ["x", "y", "x²", "3", "3x", "3xy", "x²+3xy", "1", "x²+3xy+1"]  # names, then labels


def words(session: Session, line: str, extra=None) -> list[str]:
    return complete(session, line, extra)[1]


@pytest.fixture
def seed() -> Session:
    return Session(parse(SEED))


THREADS: list[str] = []  # where the throwaway command ran


@pytest.fixture
def throwaway():
    """A session command added as a plugin would add one; removed afterwards."""
    THREADS.clear()

    @command("probe", ":probe NODE", "A throwaway command for this test.", aliases=("pr",),
             args=(Arg("node"),), cost="slow")
    def _probe(s: Session, args: list[str]) -> list[ev.Event]:
        THREADS.append(threading.current_thread().name)
        i = s.resolve(" ".join(args))
        return [ev.Info(f"probed #{i} {s.node_info(i).label}")]

    try:
        yield COMMANDS["probe"]
    finally:
        del COMMANDS["probe"]
        for alias in ("probe", "pr"):
            ALIASES.pop(alias, None)


# ---------------------------------------------------------------- completion
def test_node_arguments_complete_names_and_labels(seed):
    assert words(seed, ":goto ") == SEED_NODES
    assert words(seed, ":show 3x") == ["3x", "3xy"]
    assert words(seed, ":break op:ta") == ["op:tan", "op:tanh"]
    assert "all" in words(seed, ":unbreak ") and "op:mul" in words(seed, ":unbreak ")


def test_options_complete_at_any_position_and_only_once(seed):
    modes = ["mode=central", "mode=forward", "mode=richardson", "mode=complex"]
    assert words(seed, ":check ") == [*SEED_NODES, "all", "verbose", *modes, "h=", "order=2"]
    assert words(seed, ":check x ") == ["verbose", *modes, "h=", "order=2"]
    assert words(seed, ":check h=1e-4 ") == [*SEED_NODES, "all", "verbose", *modes, "order=2"]
    assert words(seed, ":check all mo") == modes


def test_inputs_numbers_words_and_free_text(seed):
    assert words(seed, ":set ") == ["x =", "y ="]  # :set NAME = NUMBER: inputs only
    assert words(seed, ":set x = ") == []  # a number: nothing to offer
    assert words(seed, ":expect ") == ["value", "grad", "tangent", "check", "error"]
    assert words(seed, ":expect value 3x") == ["3x =", "3xy ="]
    assert words(seed, ":step ") == []
    assert words(seed, ":say ") == [] and words(seed, ":say x") == []  # free text
    assert words(seed, ":export ") == ["dot", "trace", "html"]  # the handouts of issue 14
    assert words(seed, ":export dot g.dot ") == ["state"]


def test_file_arguments_complete_paths(seed, tmp_path):
    (tmp_path / "demo.bp").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "demos").mkdir()
    (tmp_path / ".hidden.bp").write_text("", encoding="utf-8")
    assert words(seed, ":load dem") == ["demo.bp", "demos/"]  # the tests run in tmp_path
    assert words(seed, f":load {tmp_path}/de") == [f"{tmp_path}/demo.bp", f"{tmp_path}/demos/"]
    assert words(seed, ":load .h") == [".hidden.bp"]  # dotfiles only when asked for
    assert words(seed, ":record ") == ["demo.bp", "demos/", "stop"]
    assert words(seed, ":load /no/such/folder/x") == []


def test_command_names_include_the_tuis_own(seed):
    app = BackpropApp()
    assert words(seed, ":scr", app.own) == ["screenshot"]
    assert "screenshot" in words(seed, ":help s", app.own)
    assert words(seed, ":screenshot ", app.own) == []  # tmp_path is empty: no files


def test_a_new_command_completes_from_its_declaration(seed, throwaway):
    assert "probe" in words(seed, ":pro")
    assert words(seed, ":probe ") == SEED_NODES
    assert words(seed, ":pr 3x") == ["3x", "3xy"]  # by alias too


# ---------------------------------------------------------------- routing
def test_routing_follows_each_commands_declared_cost(seed):
    for cmd in COMMANDS.values():
        small = needs_worker(seed, f":{cmd.name}", cmd, heavy_nodes=1000)
        big = needs_worker(seed, f":{cmd.name}", cmd, heavy_nodes=3)
        assert small == (cmd.cost == "slow"), cmd.name
        assert big == (cmd.cost in ("slow", "graph")), cmd.name  # a bare :step is one step
    step = COMMANDS["step"]
    assert needs_worker(seed, f":step {MANY_STEPS + 1}", step, heavy_nodes=3)
    assert not needs_worker(seed, f":step {MANY_STEPS}", step, heavy_nodes=3)
    assert not needs_worker(seed, f":step {MANY_STEPS + 1}", step, heavy_nodes=1000)


def test_statements_route_by_size_and_unknown_commands_never(seed):
    assert not needs_worker(seed, "z = 1", None)
    assert needs_worker(seed, "z = 1", None, heavy_nodes=3)
    assert needs_worker(seed, "z = " + "1+" * 3000 + "1", None)  # a long line parses off-thread
    assert not needs_worker(seed, ":frobnicate", None, heavy_nodes=3)


def test_a_new_slow_command_goes_to_a_worker(seed, throwaway):
    assert needs_worker(seed, ":probe x", throwaway)


async def test_a_new_command_works_in_the_app_with_no_tui_edit(throwaway):
    app = BackpropApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await enter(pilot, ":probe 3xy")
        await settle(pilot)
        # slow: in a worker thread, even on the seed
        assert len(THREADS) == 1 and THREADS[0] != threading.main_thread().name
        assert not app.busy
        assert "probed #5 3xy" in str(app.query_one("#repl-message", Static).render())
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert ":probe NODE" in titles
        await pilot.press("escape", "f1")
        assert isinstance(app.screen, HelpScreen)
        assert ":probe NODE" in str(app.screen.query_one("#help-body Static", Static).render())


# ---------------------------------------------------------------- the event table
def _event_types() -> list[type[ev.Event]]:
    return ev.event_types()


def test_every_event_type_has_a_row():
    missing = [cls.__name__ for cls in _event_types() if cls not in REACTIONS]
    assert missing == []
    assert len(_event_types()) >= 20


def test_under_the_line_errors_win_then_answers_then_pointers():
    err = ev.Error("unexpected '*'", file="<input>", at_line=1, col=3, caret="  ^")
    info = ev.Info("breakpoints: none")
    shown = ev.ShowNode(rec.NodeInfo(4, "3x", "mul", 6.0, None, False, [1, 0], "1:1", ""), [])
    assert under_line([info, err]) == ("error: unexpected '*'\n  ^", True)  # no <input>: prefix
    assert under_line([shown, info]) == ("breakpoints: none", False)
    assert under_line([shown]) == ("#4 3x: in the inspector", False)
    assert under_line([ev.Step("forward", 4, "3x", 6.0, None, 1, 5, "3x = 3 × 2 = 6")]) == ("", False)


def test_styles_notes_and_a_failed_expectation():
    passed = ev.Expect("value", "x", 2.0, 2.0, None, True, "x = 2", "2")
    failed = dataclasses.replace(passed, passed=False)
    assert log_style(passed) == "expect" and log_style(failed) == "fail"
    assert log_style(ev.Error("no")) == "error" and log_style(ev.Info("i")) == ""
    assert status_note([ev.Info("first"), ev.Warn("second")]) == "warning: second"
    assert status_note([ev.Step("forward", 4, "3x", 6.0, None, 1, 5, "3x = 6")]) == ""
