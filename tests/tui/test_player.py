"""Replay pacing, without a screen."""

from backprop_tui.events import Info, Pause, Say
from backprop_tui.replay import ScriptLine
from backprop_tui.tui.player import READ_MAX, Player


def _player(delay: float = 0.5) -> Player:
    return Player(iter([ScriptLine("f.bp", 1, ":step"), ScriptLine("f.bp", 2, ":say hi")]), delay)


def test_pauses_narration_and_plain_lines():
    p = _player()
    assert p.delay_after([Pause(3.0)]) == 3.0
    assert p.delay_after([Info("x")]) == 0.5
    assert 1.0 < p.delay_after([Say("a narration of some forty characters....")]) <= READ_MAX
    assert p.delay_after([Say("x" * 10_000)]) == READ_MAX
    assert _player(0).delay_after([Say("no waiting in tests")]) == 0


def test_skip_runs_without_waiting_until_a_narration():
    p = _player()
    p.skip()
    assert p.delay_after([Pause(30.0)]) == 0.0
    assert p.delay_after([Say("here")]) > 0 and not p.skipping


def test_toggle_and_end():
    p = _player()
    p.toggle()
    assert p.state == "paused" and not p.wants_next()
    p.skip()
    assert p.wants_next()  # '.' while paused: runs on to the narration, then stays paused
    p.toggle()
    assert p.next_line().line == 1 and p.next_line().line == 2
    assert p.next_line() is None and p.state == "done" and not p.active
