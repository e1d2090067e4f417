"""TUI robustness (issue 7): random keys and REPL lines, and tiny terminals, raise nothing.

The keys and lines come from a seeded ``random.Random``, so CI is reproducible; with
``BACKPROP_FUZZ=1`` (or ``pytest -m fuzz``) each run uses a fresh seed, printed on failure.
Quitting keys are left out (q would end the app, not test it).
"""

from __future__ import annotations

import os
import random

import pytest
from conftest import enter, settle

from backprop_tui.language import MAX_SOURCE_CHARS
from backprop_tui.tui.app import BackpropApp

pytestmark = pytest.mark.fuzz

# Keypresses plus REPL lines: 600 in CI (about a third of the suite's budget for one test
# on a 2-core machine; 2,000 cost ~90 s there), 2,000 when fuzzing.
_FUZZING = os.environ.get("BACKPROP_FUZZ", "") not in ("", "0")
TOTAL = 2000 if _FUZZING else 600
SEED = int(os.environ.get("BACKPROP_TUI_SEED", "0")) or (
    random.randrange(1, 2**31) if _FUZZING else 7)

# The app's bindings, navigation and editing keys, and characters typed into whatever has
# focus (the REPL after ':' or a click). Not q, ctrl+q or ctrl+c.
KEYS = (
    ["n", "right", "p", "left", "c", "f", "b", "r", "x", "h", "colon", "e", "question_mark",
     "space", "full_stop", "escape", "enter", "tab", "shift+tab", "up", "down", "pageup",
     "pagedown", "home", "end", "backspace", "delete", "ctrl+p", "1", "2", "a", "y", "#",
     "plus", "minus", "asterisk", "slash", "circumflex_accent", "left_parenthesis",
     "right_parenthesis", "semicolon", "equals_sign", "ctrl+a", "ctrl+e", "ctrl+u", "ctrl+w",
     "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10",
     # the graph's pan/zoom/fit/fold/outside keys, the nudge keys, find/next/sort
     "alt+left", "alt+right", "alt+up", "alt+down", "ctrl+up", "ctrl+down", "ctrl+l", "ctrl+t",
     "ctrl+o", "z", "o", "shift+up", "shift+down", "shift+pageup", "shift+pagedown", "ctrl+f",
     "ctrl+g", "ctrl+s", "f11", "f12"]
)
LINES = [
    "x = 2; y = 3; x^2 + 3x*y + 1", "x = 0.5; tanh(x)^2", "w = 2; b = 1; relu(w*3 - b)",
    "x = -1; log(x)", "1/0", "1e308*10", "1e999", "xy", "x(", "((((", "", "   ",
    ":step", ":step 7", ":back 3", ":continue", ":reset", ":forward", ":backward",
    ":goto x", ":goto #3", ":goto #999", ":break op:mul", ":unbreak", ":breaks", ":show x",
    ":nodes", ":graph", ":check", ":check all", ":check mode=forward", ":hsweep", ":hsweep x",
    ":set x = 3", ":set x = 1e999", ":output #2", ":help", ":help step", ":bogus", ":",
    ":screenshot", ":screenshot nope.txt", ":say hello", ":pause 0", ":expect value x = 2",
    ":expect error nothing", ":load missing.bp", ":fold all", ":unfold all", ":path x",
    ":watch x", ":break when nan", ":top 3 grad", ":filter nan", ":sort grad", "/x", ":nudge x 0.1",
    ":descend steps=5", ":plot boundary", "\x00", "__import__('os').system('echo pwned')",
    "a" * 300 + " = 1", "(" * 3000 + "1" + ")" * 3000, "x" + "+x" * 3000,
]


def _random_line(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return rng.choice(LINES)
    alphabet = "xyz0123456789+-*/^()=:; .#²·−e"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 30)))


def _around_upstream_bug(app: BackpropApp, keys: list[str]) -> list[str]:
    """Textual 8.2.8's OptionList._move_page indexes a line map that is still empty before
    the list is laid out, so pageup/pagedown in a just-opened command palette can raise
    KeyError inside textual (scroll_to_highlight guards the same lookup; _move_page does
    not). Not ours to fix here: in the palette, page keys become arrow keys."""
    from textual.command import CommandPalette

    out, palette = [], isinstance(app.screen, CommandPalette)
    for key in keys:
        palette = palette or key == "ctrl+p"
        out.append({"pageup": "up", "pagedown": "down"}.get(key, key) if palette else key)
    return out


@pytest.fixture
def quick_pilot(monkeypatch):
    """Pilot waits for the app to go idle after each key by sleeping in 20 ms slices (~70 ms
    a key); 2 ms slices keep 2,000 inputs within CI's budget. Keys are still delivered and
    processed one at a time, in order."""
    import textual._wait as wait

    monkeypatch.setattr(wait, "SLEEP_GRANULARITY", 0.002)
    monkeypatch.setattr(wait, "SLEEP_IDLE", 0.0002)


async def test_random_keys_and_lines_raise_nothing(quick_pilot) -> None:
    rng = random.Random(SEED)
    app = BackpropApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        done = 0
        while done < TOTAL:
            roll = rng.random()
            if roll < 0.15:
                await enter(pilot, pause=False, line=_random_line(rng))
                done += 1
            elif roll < 0.18:  # a click somewhere: graph nodes, table rows, tabs, the footer
                await pilot.click(offset=(rng.randrange(100), rng.randrange(30)))
                done += 1
            else:
                batch = [rng.choice(KEYS) for _ in range(rng.randrange(1, 8))]
                await pilot.press(*_around_upstream_bug(app, batch))
                done += len(batch)
            if rng.random() < 0.02:
                await settle(pilot)
            assert app.is_running, f"the app stopped (seed {SEED}, after {done} inputs)"
        await settle(pilot)
        assert app.session.pos <= app.session.steps_total
    # run_test re-raises an exception from the app on exit; reaching here means none.
    assert app.return_code in (None, 0), f"seed {SEED}"


async def test_resize_to_20x6_and_back() -> None:
    app = BackpropApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for size in [(20, 6), (100, 30), (20, 6), (1, 1), (20, 6), (200, 60), (100, 30)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.press("n", "n", "p")  # stepping redraws every pane at that size
            await pilot.pause()
        await enter(pilot, pause=False, line=":check all")
        await pilot.resize_terminal(20, 6)
        await settle(pilot)
        await enter(pilot, pause=False, line="x = 2; y = 3; t = x*y; t^2 + sin(t) + relu(x - y)")
        await enter(pilot, pause=False, line=":backward")
        await pilot.press("escape", "question_mark")  # leave the REPL; the help screen at 20×6
        await pilot.pause()
        await pilot.press("escape")
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert app.is_running
        assert app.session.pos == app.session.steps_total


@pytest.mark.parametrize("program", ["x = 2; 98014", "x = 2; 3x + 1", "x = 2; y = 3; x^2 + 3x*y + 1"])
async def test_hsweep_plot_when_nothing_is_plottable(program: str) -> None:
    """Regression: when f does not depend on x every FD error is 0, which a log axis cannot show; the plot
    set log scales with no points and plotext raised TypeError while rendering."""
    app = BackpropApp(program=program)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await enter(pilot, pause=False, line=":hsweep x")
        await settle(pilot)
        await pilot.resize_terminal(20, 6)
        await settle(pilot)
        assert app.is_running


HOSTILE = [  # (line typed into the REPL, what the log must then say)
    ("x = 1\x00", "NUL byte"),
    (b"x = \xff\xfe1".decode("utf-8", "surrogateescape"), "unexpected character"),
    ("x = 1; " + "x+" * (5 * 1024 * 1024) + "x", f"the limit is {MAX_SOURCE_CHARS:,}"),
    ("(" * 1_000_000 + "x" + ")" * 1_000_000, "nested more than 100,000 deep"),
    ("1e308*10", "overflow to inf"),
    ("1e999", "too large for a float64"),
    ("a" * 10_000 + " = 1", "names have at most 256 characters"),
    ("__import__('os').system('echo pwned > PWNED')", "unexpected character"),
    (":goto " + "a" * 1_000_000, "the limit is 10,000"),
]


async def test_hostile_lines_get_a_message_in_the_tui(tmp_path) -> None:
    app = BackpropApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for line, says in HOSTILE:
            await enter(pilot, pause=False, line=line)
            await settle(pilot)
            assert app.is_running
            assert says in app.log_pane.text.split("› ")[-1], says
        assert len(app.log_pane.text) < 20_000  # nothing was echoed in full
    assert not (tmp_path / "PWNED").exists()


HOSTILE_FILES = {  # replay files the TUI is asked to play: (bytes, what the log must say)
    "empty": (b"", "empty"),
    "binary": (bytes(range(256)) * 16, "binary"),
    "invalid_utf8": (b"x = 1\nx = \xff\xfe1\n", "UTF-8"),
    "ten_mb_line": (b"x = 1; " + b"x+" * (5 * 1024 * 1024) + b"x\n", f"the limit is {MAX_SOURCE_CHARS:,}"),
    "million_deep": (b"(" * 1_000_000 + b"x" + b")" * 1_000_000 + b"\n", "nested more than"),
    "python": (b"__import__('os').system('echo pwned > PWNED')\n", "unexpected character"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
async def test_hostile_replay_files_get_a_message_in_the_tui(name: str, tmp_path) -> None:
    data, says = HOSTILE_FILES[name]
    path = tmp_path / f"{name}.bp"
    path.write_bytes(data)
    app = BackpropApp(replay_path=str(path), replay_delay=0)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(20):
            await settle(pilot)
            if says in app.log_pane.text:
                break
        assert app.is_running
        assert says in app.log_pane.text
    assert not (tmp_path / "PWNED").exists()


async def test_the_hsweep_plot_survives_being_rendered_again() -> None:
    """Regression: plotext log-scales its stored data in place on every build, so the second
    render of the :hsweep plot (after :show, a resize or a tab switch) took log10 of
    negative logs and the app died with 'math domain error'."""
    app = BackpropApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await enter(pilot, pause=False, line=":hsweep")
        await settle(pilot)
        await enter(pilot, pause=False, line=":show x")
        await settle(pilot)
        for size in [(80, 20), (100, 30)]:
            await pilot.resize_terminal(*size)
            await settle(pilot)
        assert app.is_running
        plot = app.query_one("#plot")
        text = str(plot.render())
        assert "1e-" in text  # the decade ticks are still drawn
