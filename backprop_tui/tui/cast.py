"""backprop-tui cast FILE.bp -o OUT.cast: a replay file as an asciinema v2 recording.

The real app is driven headless, line by line, and after each line its whole screen is
captured as the ANSI text it would send to a terminal (a driver that keeps what the app
writes, instead of a terminal), so the cast shows exactly the TUI. Time is not measured but
written: each frame lasts as long as TUI playback would wait after that line (the Player's
pacing: a :pause for its seconds, a narration for its reading time, any other line
``--delay``), so the same file always gives the same cast, frame for frame. A frame that
repeats the previous screen is left out (its time still passes).

asciicast v2: a header line {"version": 2, "width", "height", "timestamp"?, "title", "env"},
then one JSON array per output chunk, [t, "o", data], t in seconds from the start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.drivers.headless_driver import HeadlessDriver
from textual.pilot import Pilot
from textual.widgets import Input

from .. import files, replay
from ..textutil import EXIT_ERROR, EXIT_OK
from .app import BackpropApp
from .player import Player

MAX_SIZE = 400  # columns or rows
HIDE_CURSOR, SHOW_CURSOR, CLEAR = "\x1b[?25l", "\x1b[?25h", "\x1b[H\x1b[2J"


class _Capture(HeadlessDriver):
    """Headless (no terminal), but the app still renders: it writes its screen updates here."""

    # The app makes its driver itself; each one registers here, so the recorder finds it
    # without reaching into the app's private attributes.
    made: list[_Capture] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chunks: list[str] = []
        _Capture.made.append(self)

    @property
    def is_headless(self) -> bool:
        return False  # so that App._display writes to this driver

    def write(self, data: str) -> None:
        self.chunks.append(data)


@dataclass
class Cast:
    width: int
    height: int
    frames: list[tuple[float, str]] = field(default_factory=list)  # (seconds, ANSI screen)
    end: float = 0.0  # when the last frame has been shown long enough
    lines: int = 0  # script lines run
    title: str = ""

    def text(self) -> str:
        """The cast file: the header line, then one event line per frame."""
        header = {"version": 2, "width": self.width, "height": self.height, "title": self.title,
                  "env": {"TERM": "xterm-256color", "COLORTERM": "truecolor"}}
        out = [json.dumps(header)]
        out += [json.dumps([round(t, 3), "o", data], ensure_ascii=False) for t, data in self.frames]
        out.append(json.dumps([round(max(self.end, self.frames[-1][0] if self.frames else 0), 3),
                               "o", SHOW_CURSOR]))
        return "\n".join(out) + "\n"


async def record(path: str, size: tuple[int, int] = (100, 30), delay: float = 0.5) -> Cast:
    """Play the replay file in the real app, headless, and collect one frame per line."""
    lines = list(replay.iter_lines(path))  # ReplayError before anything runs
    width, height = size
    cast = Cast(width, height, title=f"backprop-tui {Path(path).name}")
    with tempfile.TemporaryDirectory(prefix="backprop-tui-cast-") as tmp:
        # A private history and no keymap: the user's own files must not change the cast.
        with _environment({"COLORTERM": "truecolor", "TERM": "xterm-256color", "NO_COLOR": None}):
            app = BackpropApp("", history_path=Path(tmp) / "history",
                              keymap_path=Path(tmp) / "no-keys.toml")
        app.driver_class = _Capture
        app.animation_level = "none"  # animations run on the clock: frames would differ
        pacing = Player(app.session, lines, delay)  # the TUI's timed pacing rule
        _Capture.made.clear()
        async with app.run_test(headless=False, size=size) as pilot:
            driver = _Capture.made[-1]
            for widget in app.query(Input):
                widget.cursor_blink = False  # a blinking cursor would differ run to run
            t = 0.0
            previous = await _frame(app, pilot, driver)
            cast.frames.append((0.0, HIDE_CURSOR + CLEAR + previous))
            while (sl := pacing.next_line()) is not None:
                events: list = []

                def runner(sl: replay.ScriptLine = sl, events: list = events) -> list:
                    events.extend(replay.run_line(app.session, sl))
                    return events

                app.run_line(sl.text, source="replay", runner=runner)
                while app.busy:  # a :check or :load runs in a worker: wait for it
                    await pilot.pause(0.02)
                cast.lines += 1
                screen = await _frame(app, pilot, driver)
                if screen != previous:
                    cast.frames.append((t, CLEAR + screen))
                    previous = screen
                wait = pacing.delay_after(events)
                if wait is None:  # a failed :expect stops a playback; a cast carries on
                    pacing.toggle()
                t += wait or 0.0
            cast.end = t
    return cast


@contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    """The app reads its colour system from the environment when it is made: truecolor
    whatever terminal (or none) runs the command, so every run gives the same cast."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old


async def _frame(app: BackpropApp, pilot: Pilot[int], driver: _Capture) -> str:
    """The whole screen as the app draws it: let it settle, force a full repaint, keep that."""
    await _settle(pilot, driver)
    driver.chunks.clear()
    app.screen.refresh()
    await _settle(pilot, driver)
    # Synchronized-output markers are for a live terminal; a player needs only the drawing.
    return re.sub(r"\x1b\[\?2026[hl]", "", "".join(driver.chunks))


async def _settle(pilot: Pilot[int], driver: _Capture, rounds: int = 50) -> None:
    """Wait until the app has written everything it is going to (two quiet pauses)."""
    quiet = 0
    for _ in range(rounds):
        before = len(driver.chunks)
        await pilot.pause()
        quiet = quiet + 1 if len(driver.chunks) == before else 0
        if quiet >= 2:
            return


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 100x30, got '{text}'")
    w, h = int(m.group(1)), int(m.group(2))
    if not (20 <= w <= MAX_SIZE and 8 <= h <= MAX_SIZE):
        raise argparse.ArgumentTypeError(f"a size from 20x8 to {MAX_SIZE}x{MAX_SIZE}")
    return w, h


def _delay(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got '{text}'") from None
    if not 0 <= x <= 60:
        raise argparse.ArgumentTypeError("a delay from 0 to 60 seconds")
    return x


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="backprop-tui cast", description=(
        "Render a replay file into an asciinema v2 cast: the TUI's screen after every line, "
        "timed as TUI playback paces it (narration reading time, :pause). Play it with "
        "'asciinema play OUT.cast', embed it with the asciinema player, or convert it to a "
        "GIF with agg."))
    p.add_argument("file", metavar="FILE.bp", help="the replay file to render")
    p.add_argument("-o", "--output", required=True, metavar="OUT.cast", help="the cast to write")
    p.add_argument("--size", type=_size, default=(100, 30), metavar="WxH",
                   help="terminal size in columns x rows (default 100x30)")
    p.add_argument("--delay", type=_delay, default=0.5, metavar="SECONDS",
                   help="how long a line without narration or :pause stays (default 0.5)")
    try:
        args = p.parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    if args.file == "-":
        print("backprop-tui cast: a cast is made from a file, not stdin", file=sys.stderr)
        return EXIT_ERROR
    try:
        replay.iter_lines(args.file)
    except replay.ReplayError as exc:
        print(f"backprop-tui cast: {exc}", file=sys.stderr)
        return EXIT_ERROR
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):  # say so now, not after rendering every frame
        print(f"backprop-tui cast: cannot write {args.output}: no such folder {folder}",
              file=sys.stderr)
        return EXIT_ERROR
    cast = asyncio.run(record(args.file, args.size, args.delay))
    try:
        files.write_text(args.output, cast.text())
    except files.FileError as exc:
        print(f"backprop-tui cast: cannot write {args.output}: {exc.reason}", file=sys.stderr)
        return EXIT_ERROR
    print(f"wrote {args.output}: {len(cast.frames)} frames from {cast.lines} lines, "
          f"{cast.end:.1f} s at {args.size[0]}x{args.size[1]}")
    return EXIT_OK

