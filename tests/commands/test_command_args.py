"""Each command's argument errors: what was wrong and what was expected, as an error event."""

from __future__ import annotations

import pytest

from backprop_tui.session import Session

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


@pytest.fixture
def s() -> Session:
    session = Session()
    session.run_line(SEED)
    return session


@pytest.mark.parametrize(("line", "words"), [
    (":step two", "expected a number of steps, got 'two'"),
    (":step 0", "at least 1"),
    (":back -3", "at least 1"),
    (":goto", "usage: :goto NODE"),
    (":goto nosuch", "no node 'nosuch'"),
    (":break op:frobnicate", "unknown operation 'frobnicate'; operations are"),
    (":unbreak x", "no breakpoint at x"),
    (":unbreak op:tanh", "no breakpoint on op:tanh"),
    (":set x", "usage: :set NAME = NUMBER"),
    (":set q = 1", "no input named 'q'"),
    (":set x = two", "expected a number, got 'two'"),
    (":set x = 1e999", "too large for a float64"),
    (":output", "usage: :output NODE"),
    (":check mode=sideways", "unknown mode 'sideways': expected central, forward, richardson or complex"),
    (":check h=-1", "h must be positive"),
    (":check 1", "is a constant: it has no gradient to check"),
    (":export", "usage: :export dot FILE"),
    (":export png f.png", "the formats are dot, trace and html"),
    (":export trace f.txt", "name the file with one of"),
    (":export html a.html b", "unexpected 'b'"),
    (":export dot", "which file?"),
    (":help nosuch", "no command ':nosuch'"),
    (":pause", "usage: :pause SECONDS"),
    (":pause 9999", "between 0 and 3600"),
    (":expect", "usage: :expect value|grad|tangent NODE"),
    (":expect grad x = 1 ±", "a tolerance must follow ±"),
    (":load", "usage: :load FILE"),
])
def test_bad_arguments_are_clear_errors(s, line, words):
    (ev,) = s.run_line(line)
    assert ev.kind == "error" and words in ev.message, ev.message


def test_commands_that_need_a_program_say_so():
    s = Session()
    for line in (":step", ":back", ":show x", ":check", ":hsweep", ":compare", ":goto x"):
        (ev,) = s.run_line(line)
        assert ev.kind == "error" and "no program yet" in ev.message, line


def test_goto_a_node_outside_f(s):
    s.run_line("z = 7*x")
    s.run_line(":output x²+3xy+1")
    (ev,) = s.run_line(":goto z")
    assert ev.kind == "error" and "is not part of f" in ev.message


def test_show_defaults_to_the_current_node_then_f(s):
    assert s.run_line(":show")[0].info.label == "x²+3xy+1"
    s.run_line(":step")
    assert s.run_line(":show")[0].info.id == s.current()


def test_show_lists_local_derivatives_once_computed(s):
    (ev,) = s.run_line(":show 3xy")
    assert ev.local == []  # not computed yet: no numbers to show
    s.run_line(":forward")
    (ev,) = s.run_line(":show 3xy")
    assert ev.local == ["∂3xy/∂3x = y = 3", "∂3xy/∂y = 3x = 6"]
