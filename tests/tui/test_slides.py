"""Slide-style playback and the presentation layout in the real app (issue 14, items 1 and 5):
PageDown / PageUp restore the exact state, hand-stepping is undone before the script goes
on, + and - change the pace, a failed :expect stops with its file:line, F11 and F12."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import enter, settle
from test_player import play, public_state

from backprop_tui import replay
from backprop_tui.cli import main
from backprop_tui.session import Session
from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.player import Player
from backprop_tui.tui.widgets.banner import NarrationBanner

SIZE = (120, 36)
ROOT = Path(__file__).resolve().parents[2]
SEED_DEMO = str(ROOT / "demos" / "seed.bp")


async def until(pilot, cond, tries: int = 300) -> None:
    for _ in range(tries):
        if cond():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


def reference(path: str) -> list[dict]:
    """The public state at each slide, from a Player alone (no screen)."""
    p = Player(Session(), list(replay.iter_lines(path)), slides=True)
    states = []
    while p.active:
        play(p)
        if p.state == "slide":
            states.append(public_state(p.session))
        p.advance()
    return states


async def at_slide(pilot, k: int) -> None:
    app = pilot.app
    await settle(pilot)
    await until(pilot, lambda: not app.busy and app.player.state == "slide"
                and app.player.slide == k)


async def test_pagedown_and_pageup_restore_the_exact_state():
    ref = reference(SEED_DEMO)
    app = BackpropApp(replay_path=SEED_DEMO, replay_delay=0, slides=True)
    async with app.run_test(size=SIZE) as pilot:
        banner = app.query_one(NarrationBanner)
        await at_slide(pilot, 1)
        for k in range(2, 12):
            await pilot.press("pagedown")
            await at_slide(pilot, k)
            assert public_state(app.session) == ref[k - 1]
            assert banner.narration == app.session.narration[-1][1]  # the slide's own words
        for k in range(10, 1, -1):  # back over steps (undo log) and over statements (rebuild)
            await pilot.press("pageup")
            await at_slide(pilot, k)
            assert public_state(app.session) == ref[k - 1], k
            assert banner.narration == app.session.narration[-1][1]
        text = app.log_pane.text
        assert "restored with the undo log" in text and "the session rebuilt" in text
        await pilot.press("pagedown")  # forward again from a restored slide
        await at_slide(pilot, 3)
        assert public_state(app.session) == ref[2]


async def test_stepping_by_hand_then_pagedown_resumes_the_script():
    ref = reference(SEED_DEMO)
    app = BackpropApp(replay_path=SEED_DEMO, replay_delay=0, slides=True)
    async with app.run_test(size=SIZE) as pilot:
        await at_slide(pilot, 1)
        for _ in range(5):
            await pilot.press("pagedown")
        await at_slide(pilot, 6)
        await pilot.press("right", "right", "right")  # on the empty line: three steps
        assert app.session.pos == ref[5]["pos"] + 3
        await pilot.press("pagedown")
        await at_slide(pilot, 7)
        assert public_state(app.session) == ref[6]
        await enter(pilot, "z = 5*x")  # a statement by hand: only a rebuild undoes it
        await enter(pilot, ":break op:mul")
        assert app.session.output != ref[6]["summary"]["output"]
        await pilot.press("pagedown")
        await at_slide(pilot, 8)
        assert public_state(app.session) == ref[7]
        assert "z" not in app.session.prog.bindings


async def test_speed_keys_change_the_wait_and_type_in_a_line_that_holds_text(tmp_path):
    path = tmp_path / "slow.bp"
    path.write_text("x = 2\n:say wait here\n:pause 30\n:step\n:say end\n")
    app = BackpropApp(replay_path=str(path), replay_delay=0.5)
    async with app.run_test(size=SIZE) as pilot:
        import time

        await until(pilot, lambda: app.player.cursor == 3)  # waiting out the :pause 30
        assert 25 < app._play_due - time.monotonic() <= 30
        await pilot.press("plus")
        assert app.player.speed == 1.5
        assert 15 < app._play_due - time.monotonic() <= 20  # the wait under way, rescaled
        assert "×1.5" in app.query_one(NarrationBanner).detail
        await pilot.press("minus", "minus")
        assert app.player.speed == 0.75
        assert 35 < app._play_due - time.monotonic() <= 40
        app.repl.input.value = "x"
        app.repl.input.cursor_position = 1
        await pilot.press("plus")  # a line that holds text: + is typed, the speed stays
        await pilot.pause()
        assert app.repl.input.value == "x+" and app.player.speed == 0.75


async def test_a_long_run_without_narration_plays_at_once_drawn_a_few_times(tmp_path):
    path = tmp_path / "long.bp"
    path.write_text("x = 2; x^2 + 1\n:say go\n" + ":step\n:back\n" * 150 + ":say arrived\n")
    app = BackpropApp(replay_path=str(path), replay_delay=0.5, speed=20)
    draws = []
    async with app.run_test(size=SIZE) as pilot:
        original = app._refresh_views
        app._refresh_views = lambda: (draws.append(1), original())[1]
        banner = app.query_one(NarrationBanner)
        await until(pilot, lambda: banner.narration == "arrived")
        # 300 lines at 0.5 s / 20 would be 7.5 s: they ran at once, in a few batches
        assert app.player.cursor == 303 and len(draws) < 30
        assert "▶ :back" in app.log_pane.text


def headless_failure(path: Path) -> str:
    run = subprocess.run([sys.executable, "-m", "backprop_tui", "--headless", "-q", str(path)],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 1
    return next(line for line in run.stdout.splitlines() if line.startswith("✗"))


async def test_a_failed_expect_stops_playback_with_its_place_expected_and_actual(tmp_path):
    path = tmp_path / "wrong.bp"
    path.write_text("x = 2; y = 3; x^2 + 3x*y + 1\n:say Forward\n:forward\n"
                    ":expect value 3xy = 17\n:say Backward\n:backward\n")
    report = headless_failure(path)
    assert report == f"✗ {path}:4: expected value of 3xy = 17, got 18"
    app = BackpropApp(replay_path=str(path), replay_delay=0)
    async with app.run_test(size=SIZE) as pilot:
        banner = app.query_one(NarrationBanner)
        await until(pilot, lambda: app.player.state == "stopped")
        await pilot.pause(0.2)
        assert banner.failure == report  # the same words as headless mode
        assert banner.status == "stopped" and banner.narration == "Forward"
        assert app.session.progress_text() == "forward 5/5"  # :backward did not run
        shown = str(banner.render())
        assert report in shown and "playback stopped" in shown
        await pilot.press("space")  # carry on
        await until(pilot, lambda: app.player.state == "done")
        assert app.session.progress_text() == "done: backward 7/7" and not banner.failure


async def test_f11_switches_slides_and_f12_cycles_the_presentation_layout(tmp_path):
    path = tmp_path / "two.bp"
    path.write_text("x = 2; x^2\n:say one\n:step\n:say two\n:step\n:say three\n:back 2\n")
    app = BackpropApp(replay_path=str(path), replay_delay=0, slides=True)
    async with app.run_test(size=SIZE) as pilot:
        await at_slide(pilot, 1)
        await pilot.press("f11")  # timed: plays on to the end
        await until(pilot, lambda: app.player.state == "done")
        assert not app.player.slides
        await pilot.press("pageup")  # after the end, back to the last slide
        await until(pilot, lambda: app.player.slide == 3 and not app.busy)
        assert app.session.progress_text() == "backward 1/2"  # as at slide 3, before :back 2
        screen = app.screen_stack[0]
        before = app.theme
        await pilot.press("f12")
        assert screen.has_class("-present") and app.theme == "projector-dark"
        assert not app.query_one("#lower").display and app.query_one("#graph").display
        await pilot.press("f12")
        assert app.theme == "projector-light"
        await pilot.press("f12")
        assert not screen.has_class("-present") and app.theme == before


def test_cli_flags_are_checked(capsys):
    assert main(["--slides"]) == 2
    assert "need a replay FILE" in capsys.readouterr().err
    assert main(["--speed", "0", SEED_DEMO]) == 2
    assert "outside 0.1 to 20" in capsys.readouterr().err
    assert main(["--headless", "--slides", SEED_DEMO]) == 2
    assert main(["--light", SEED_DEMO]) == 2
    assert "--light goes with --present" in capsys.readouterr().err


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[k:k + 2], 16) for k in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_projector_themes_have_a_contrast_of_7_to_1_or_more():
    """WCAG's contrast ratio of every theme colour against the background (AAA: 7:1)."""
    from backprop_tui.tui.presentation import THEMES

    for theme in THEMES.values():
        bg = _luminance(theme.background)
        for name in ("foreground", "primary", "secondary", "accent", "warning", "error",
                     "success"):
            fg = _luminance(getattr(theme, name))
            ratio = (max(fg, bg) + 0.05) / (min(fg, bg) + 0.05)
            assert ratio >= 7, (theme.name, name, round(ratio, 1))
