"""Slide playback on demos/lecture.bp (1,886 lines, issue 14): the time to skip a long run of
lines without narration, and to go back one slide, through the undo log and by a rebuild.

Run: python tests/benchmarks/bench_slides.py [--repeats N]
(named bench_*.py so that pytest does not collect it: a measurement, not a test).

Each figure is wall time in the real app (Pilot, headless), from the key to the banner
showing the slide it leads to, median of the repeats. Before issue 14's slides, '.' over
the 661-line run drew every line and took ~35 s in a terminal; going back did not exist.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backprop_tui.tui.app import BackpropApp  # noqa: E402
from backprop_tui.tui.widgets.banner import NarrationBanner  # noqa: E402

LECTURE = str(ROOT / "demos" / "lecture.bp")


async def _until(pilot, cond, limit: float = 120.0) -> float:
    t0 = time.perf_counter()
    while not cond():
        await asyncio.sleep(0.002)
        if time.perf_counter() - t0 > limit:
            raise SystemExit("timed out")
    return time.perf_counter() - t0


async def measure() -> dict[str, float]:
    app = BackpropApp(replay_path=LECTURE, replay_delay=0.5, slides=True)
    out: dict[str, float] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        p = app.player
        banner = app.query_one(NarrationBanner)

        def at(prefix: str):
            return lambda: (not app.busy and p.state == "slide" and banner.narration.startswith(prefix))

        await _until(pilot, at("A small"))
        await pilot.press("pagedown")
        await _until(pilot, at("The graph is built"))
        t0 = time.perf_counter()
        await pilot.press("pagedown")  # the 300 :step lines without narration
        await _until(pilot, at("300 steps in"))
        out["next slide over 300 lines"] = time.perf_counter() - t0
        while not banner.narration.startswith("backward 33/"):
            await pilot.press("pagedown")
            await _until(pilot, lambda: not app.busy and p.state == "slide")
        t0 = time.perf_counter()
        await pilot.press("pageup")  # 34 :step lines back: the undo log
        await _until(pilot, at("BACKWARD PASS"))
        out["previous slide, undo log (34 lines)"] = time.perf_counter() - t0
        while not banner.narration.startswith("We change one weight"):
            await pilot.press("pagedown")
            await _until(pilot, lambda: not app.busy and p.state == "slide")
        t0 = time.perf_counter()
        await pilot.press("pagedown")  # the 661 :step lines without narration
        await _until(pilot, at("Both passes again"))
        out["next slide over 661 lines"] = time.perf_counter() - t0
        await pilot.press("pageup")  # 1431 → 769: 661 :step lines back, the undo log
        await _until(pilot, at("We change one weight"))
        t0 = time.perf_counter()
        await pilot.press("pageup")  # 769 → 767, across :set: a rebuild of 767 lines
        await _until(pilot, at("Finite differences agree"))
        out["previous slide across :set, rebuild (767 lines)"] = time.perf_counter() - t0
        log = app.log_pane.text
        for word, key in (("undo log in ", "undo log alone, 661 steps back (its own timer)"),
                          ("again in ", "rebuild alone, 767 lines (its own timer)")):
            last = log.rsplit(word, 1)[1].split(" ms")[0]
            out[key] = float(last) / 1000
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    runs = [asyncio.run(measure()) for _ in range(args.repeats)]
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"{key:50s} median {statistics.median(values) * 1000:7.0f} ms  "
              f"(of {len(values)}: {', '.join(f'{v * 1000:.0f}' for v in values)})")


if __name__ == "__main__":
    main()
