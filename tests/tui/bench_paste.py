"""How long an unbracketed paste of N characters keeps the REPL line busy: the app's
ReplInput (bursts inserted at once, capped at MAX_LINE) against Textual's stock Input
(issue 16, item 8). A measurement, not a test (pytest does not collect bench_*).

Run: PYTHONPATH=. python tests/tui/bench_paste.py [--chars 12000] [--repeats 3]

Each character arrives as its own key event, as a terminal without bracketed paste sends
them; the time runs from posting the first key to the input having handled the last one.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input

from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.widgets.repl import MAX_LINE


class StockApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Input(id="line")


async def paste_seconds(chars: int, ours: bool) -> tuple[float, int]:
    app: App[object] = BackpropApp() if ours else StockApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        line = app.query_one("#repl-input" if ours else "#line", Input)
        line.focus()
        await pilot.pause()
        done = asyncio.Event()
        t0 = time.perf_counter()
        for _ in range(chars):
            app.post_message(events.Key("x", "x"))  # as the terminal driver does
        app.call_later(done.set)  # runs once the app has forwarded every key to the line
        await done.wait()
        await pilot.pause()  # the line handles them, and the insertion they gathered into
        return time.perf_counter() - t0, len(line.value)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chars", type=int, default=12_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    for ours in (True, False):
        runs = [await paste_seconds(args.chars, ours) for _ in range(args.repeats)]
        secs = statistics.median(r[0] for r in runs)
        name = f"ReplInput (cap {MAX_LINE:,})" if ours else "Textual Input (no cap)"
        print(f"{args.chars:,} keys, {name:<24}: {secs:6.2f} s until handled, "
              f"the line holds {runs[0][1]:,} characters")


if __name__ == "__main__":
    asyncio.run(main())
