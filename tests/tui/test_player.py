"""Replay pacing, slides and going back, without a screen (the Player drives a Session)."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from backprop_tui import replay
from backprop_tui.events import Info, Pause, Say
from backprop_tui.replay import ScriptLine, reading_time
from backprop_tui.session import Session
from backprop_tui.tui.player import SHORT_RUN, STEP, Player, is_fast

SEED = "x = 2\ny = 3\nx^2 + 3x*y + 1\n"


def lines_of(text: str, name: str = "f.bp") -> list[ScriptLine]:
    return list(replay.iter_text(text, name))


def public_state(s: Session) -> dict:
    """Everything a view can read: the summary, the position, every node's info, the
    breakpoints, the narration and the last check."""
    return {"summary": s.summary().to_dict(), "progress": s.progress_text(), "pos": s.pos,
            "nodes": [asdict(s.node_info(i)) for i in range(len(s.graph))],
            "breaks": sorted(s.breaks), "ops": sorted(s.break_ops),
            "narration": list(s.narration), "mode": s.mode,
            "check": None if s.last_check is None else s.last_check.to_dict()}


def play(p: Player, until_stop: bool = True) -> None:
    """Run lines as the app does until the player stops (a slide, a failure) or ends."""
    while p.wants_next():
        sl = p.next_line()
        if sl is None:
            return
        if p.delay_after(replay.run_line(p.session, sl)) is None and until_stop:
            return


def test_reading_time_is_words_at_180_a_minute_within_bounds():
    assert reading_time("one two three") == 1.5  # the floor
    assert reading_time(" ".join(["w"] * 30)) == pytest.approx(10.0)
    assert reading_time(" ".join(["w"] * 1000)) == 30.0  # the ceiling


def test_pacing_narration_pause_expect_and_steps_divided_by_the_speed():
    text = SEED + ":say " + " ".join(["w"] * 30) + "\n:step\n:pause 3\n:expect value x = 2\n:step\n"
    p = Player(Session(), lines_of(text), speed=2.0)
    waits = []
    while (sl := p.next_line()) is not None:
        waits.append(p.delay_after(replay.run_line(p.session, sl)))
    # 3 statements and a step before the narration: a short run, paced
    assert waits[:3] == [STEP / 2] * 3
    assert waits[3] == pytest.approx(10.0 / 2)  # 30 words at 180 wpm, at speed 2
    assert waits[4:] == [STEP / 2, 1.5, 0.0, 0.0]  # :step, :pause 3, :expect, the last line


def test_a_long_run_without_narration_plays_at_once_and_a_short_one_is_paced():
    long = ":say go\n" + ":step\n" * (SHORT_RUN + 1) + ":say end\n"
    p = Player(Session(), lines_of(SEED + long))
    play(p)
    assert p.state == "done" and p.cursor == len(p.lines)
    p = Player(Session(), lines_of(SEED + long))
    for _ in range(4):  # the statements and the first :say
        p.delay_after(replay.run_line(p.session, p.next_line()))
    assert p.instant()  # 11 steps before the next narration: no waiting between them
    short = Player(Session(), lines_of(SEED + ":say go\n:step\n:step\n:say end\n"))
    for _ in range(4):
        short.delay_after(replay.run_line(short.session, short.next_line()))
    assert not short.instant()
    assert short.delay_after(replay.run_line(short.session, short.next_line())) == STEP


def test_skip_runs_without_waiting_until_a_narration_then_paces_again():
    p = Player(Session(), lines_of(SEED + ":step\n:pause 30\n:say here\n:step\n"))
    p.skip()
    waits = [p.delay_after(replay.run_line(p.session, p.next_line())) for _ in range(6)]
    assert waits[:5] == [0.0] * 5 and not p.skipping  # the pause skipped; :say ends the skip
    assert p.state == "playing"


def test_speed_ladder_and_its_bounds():
    p = Player(Session(), lines_of(SEED))
    assert p.faster(True) == pytest.approx(1 / 1.5) and p.speed == 1.5
    p.faster(False)
    p.faster(False)
    assert p.speed == 0.75
    for _ in range(20):
        p.faster(False)
    assert p.speed >= 0.1
    assert Player(Session(), lines_of(SEED), speed=100).speed == 20


def test_slides_stop_at_each_narration_and_back_restores_exactly_with_the_undo_log():
    text = SEED + ":say one\n:step 2\n:say two\n:break op:mul\n:continue\n:say three\n:step\n"
    p = Player(Session(), lines_of(text), slides=True)
    seen = {}
    for k in (1, 2, 3):
        if k > 1:
            p.advance()  # PageDown
        play(p)
        assert p.state == "slide" and p.slide == k and p.say == ["one", "two", "three"][k - 1]
        seen[k] = public_state(p.session)
    assert seen[3]["ops"] == ["mul"] and seen[3]["pos"] > seen[2]["pos"]
    for k in (2, 1):
        assert p.back_target() == k
        cp = p.target_checkpoint(k)
        assert cp is not None and not p.needs_rebuild(cp)  # only stepping since: undo log
        p.restore(cp)
        assert public_state(p.session) == seen[k] and p.slide == k and p.say == seen[k]["narration"][-1][1]
    p.state = "slide"
    p.advance()
    play(p)  # forward again: the same state as the first time
    assert public_state(p.session) == seen[2]


def test_going_back_across_a_statement_rebuilds_the_session_exactly():
    text = SEED + ":say one\n:step\n:say two\nz = x*y\n:check\n:set x = 5\n:say three\n"
    p = Player(Session(), lines_of(text), slides=True)
    states = []
    for k in range(3):
        if k:
            p.advance()
        play(p)
        states.append(public_state(p.session))
    cp = p.target_checkpoint(2)
    assert cp is not None and p.needs_rebuild(cp)
    p.rebuild(p.slide_index(2))
    assert public_state(p.session) == states[1] and p.slide == 2
    p.rebuild(p.slide_index(1))
    assert public_state(p.session) == states[0]


def test_hand_stepping_is_noticed_and_the_script_position_restored():
    p = Player(Session(), lines_of(SEED + ":say one\n:step 2\n:say two\n"), slides=True)
    play(p)
    at_one = public_state(p.session)
    p.session.run_line(":step 3")  # by hand: the session's listener tells the player
    assert p.touched and not p.structural and not p.needs_rebuild(p.position)
    p.restore(p.position)
    assert public_state(p.session) == at_one
    p.session.run_line("w = 7")
    assert p.structural and p.needs_rebuild(p.position)


def test_a_failed_expect_stops_with_the_headless_report():
    text = SEED + ":say one\n:forward\n:expect value x² = 5\n:step\n"
    p = Player(Session(), lines_of(text, "demo.bp"))
    play(p)
    assert p.state == "stopped" and p.session.progress_text() == "forward 5/5"
    assert p.failure == "✗ demo.bp:6: expected value of x² = 5, got 4"


def test_an_error_nothing_expected_stops_but_an_expected_one_does_not():
    p = Player(Session(), lines_of(SEED + "bad(\n:expect error expected\n:step\nbad(\n:step\n", "e.bp"))
    play(p)
    # line 4's error was expected; line 7's is unexpected once line 8 runs: stopped there
    assert p.state == "stopped" and p.cursor == 8
    assert p.failure.startswith("e.bp:7:") and "error:" in p.failure


def test_fast_lines_are_stepping_and_looking():
    assert all(is_fast(t) for t in (":step", ":back 3", ":goto x", ":say hi", ":expect grad x = 1",
                                     ":show x", ":break op:tanh", ":continue", "# note"))
    assert not any(is_fast(t) for t in ("x = 2", ":set x = 1", ":check", ":mode forward",
                                         ":new", ":nudge x 1", ":load f.bp", ":bogus"))


def test_not_a_narration_event_is_just_counted():
    p = Player(Session(), lines_of(SEED))
    p.next_line()
    assert p.delay_after([Info("x")]) == STEP
    p.next_line()
    assert p.delay_after([Pause(2.0)]) == 2.0
    p.next_line()
    assert p.delay_after([Say("no waiting at the end")]) == 0.0


def test_a_rebuild_runs_the_prologue_first_and_keeps_the_listeners():
    s = Session()
    s.run_line("x = 2")  # -e PROGRAM, before the replay
    heard: list[str] = []
    s.listeners.append(lambda text, events: heard.append(text))
    p = Player(s, lines_of(":say one\ny = x*3\n:say two\n"), slides=True, prologue=("x = 2",))
    play(p)
    at_one = public_state(p.session)
    p.advance()
    play(p)
    old = p.session
    p.rebuild(p.slide_index(1))
    assert public_state(p.session) == at_one and p.session is not old
    p.adopt(old)
    assert len(p.session.listeners) == 2 and not old.listeners  # this one's and the player's
    n = len(heard)
    p.session.run_line(":step")  # a line by hand reaches the listeners of the new session
    assert len(heard) == n + 1 and p.touched
