"""The command registry: every command declares itself completely, once."""

from __future__ import annotations

import typing

import pytest

import backprop_tui  # noqa: F401  registers the built-in commands
from backprop_tui.registry import ALIASES, COMMANDS, Arg, ArgKind, Cost, command, command_of, lookup, unknown
from backprop_tui.session import Session


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_declares_usage_help_args_and_cost(name):
    c = COMMANDS[name]
    assert c.usage.startswith(f":{name}") and c.help.endswith((".", ")")) and c.summary
    assert c.cost in typing.get_args(Cost)
    assert all(a.kind in typing.get_args(ArgKind) for a in c.args)


def test_aliases_point_at_one_command_each():
    for name, c in COMMANDS.items():
        assert ALIASES[name] == name
        for alias in c.aliases:
            assert ALIASES[alias] == name and alias not in COMMANDS


def test_lookup_and_command_of():
    assert lookup("n") is COMMANDS["step"] and lookup("nope") is None
    assert command_of("  :rs 3") is COMMANDS["back"]
    assert command_of("x = 2") is None and command_of(":") is None


def test_unknown_command_suggests_near_names_or_the_statement_form():
    assert ":step" in str(unknown("stpe", "stpe"))
    assert "without the ':'" in str(unknown("x", "x = 2"))


def test_a_registered_command_runs_in_every_session_and_shows_in_help():
    @command("zz_probe", ":zz_probe NODE", "A probe for this test.", args=(Arg("node"),),
             cost="quick")
    def _probe(s: Session, args: list[str]) -> list:
        from backprop_tui.events import Info

        return [Info(f"probe {s.resolve(args[0])}")]

    try:
        s = Session()
        s.run_line("x = 2; x^2")
        (ev,) = s.run_line(":zz_probe x")
        assert ev.message == "probe 0"
        assert ":zz_probe NODE" in s.run_line(":help")[0].message
    finally:
        del COMMANDS["zz_probe"], ALIASES["zz_probe"]
