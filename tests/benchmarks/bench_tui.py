"""TUI latency benchmark: key-to-screen for a step, and time to first frame.

Run: python tests/benchmarks/bench_tui.py [--steps N] [--nodes N]
(named bench_*.py so that pytest does not collect it: a measurement, not a test).

Key-to-screen is measured from posting the key event to the app (what the terminal driver
does when a key arrives) to the end of the next compositor update that follows the step,
with that update's segments rendered to terminal escape codes (the work a real terminal
write costs, minus the write). Pilot's own per-key waits are not involved. Targets: median
≤ 16 ms (one frame at 60 Hz) on the seed and on a 100k-node graph.

Time to first frame is measured in a fresh interpreter, from just before it is spawned to
the first compositor update of `backprop-tui` (the CLI, no arguments: the seed example),
so it includes interpreter start-up and imports. Target ≤ 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402

from backprop_tui.tui.app import BackpropApp  # noqa: E402

TARGET_KEY_MS = 16.0
TARGET_FIRST_FRAME_S = 1.0


def chain_program(nodes: int) -> str:
    """A chain s = s·0.999 + x: three nodes a line, f's cone is the whole graph."""
    lines = max(1, (nodes - 3) // 3)
    return "x = 0.5\ns = x\n" + "s = s*0.999 + x\n" * lines + "s"


class TimedApp(BackpropApp):
    """The app, recording when each compositor update is finished."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stepped = False
        self.frame_done: asyncio.Event | None = None
        self.frame_at = 0.0
        self.frame_cpu = 0.0

    def run_line(self, line, source="repl", runner=None):  # type: ignore[override]
        ok = super().run_line(line, source, runner)
        self.stepped = True
        return ok

    def _display(self, screen, renderable) -> None:
        if renderable is not None and self.stepped and self.frame_done is not None:
            renderable.render_segments(self.console)  # what a terminal write would cost
            self.frame_at = time.perf_counter()
            self.frame_cpu = time.thread_time()
            self.stepped = False
            self.frame_done.set()
        super()._display(screen, renderable)


async def key_to_screen(program: str | None, steps: int, keys: tuple[str, ...] = ("right",),
                        warmup: int = 3) -> tuple[list[float], list[float], int]:
    """Milliseconds from each key event to the screen update showing its step, and the CPU
    time the app's thread spent in between (the wall figure less waiting: for the frame
    tick, and for the CPU when other processes share it)."""
    app = TimedApp(program)
    samples: list[float] = []
    cpu: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()  # a big program loads in a worker
        await pilot.pause(0.2)
        nodes = len(app.session.prog.graph)
        for k in range(steps + warmup):
            app.frame_done = asyncio.Event()
            app.stepped = False
            key = keys[k % len(keys)]
            c0 = time.thread_time()
            t0 = time.perf_counter()
            # → and ← step on an empty command line (printable keys go to the line)
            app.post_message(events.Key(key, None))
            await asyncio.wait_for(app.frame_done.wait(), 10)
            if k >= warmup:
                samples.append((app.frame_at - t0) * 1000)
                cpu.append((app.frame_cpu - c0) * 1000)
            await asyncio.sleep(0.02)  # let the frame settle, as between human key presses
    return samples, cpu, nodes


_CHILD = r"""
import sys, time
t_spawn = float(sys.argv[1])
from textual.app import App
import backprop_tui.tui.app as tui_app

class First(tui_app.BackpropApp):
    def _display(self, screen, renderable):
        super()._display(screen, renderable)
        if renderable is not None and not getattr(self, "_seen", False):
            self._seen = True
            print(f"{time.time() - t_spawn:.4f}", flush=True)
            self.exit()

    def run(self, **kwargs):
        return super().run(headless=True)

tui_app.BackpropApp = First
from backprop_tui.cli import main
main([])
"""


def first_frame(repeat: int) -> list[float]:
    times = []
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        env["XDG_STATE_HOME"] = tmp  # don't touch the user's history
        for _ in range(repeat):
            t = time.time()
            out = subprocess.run([sys.executable, "-c", _CHILD, repr(t)], capture_output=True,
                                 text=True, env=env, cwd=ROOT, timeout=60)
            line = [ln for ln in out.stdout.splitlines() if ln.strip()]
            if out.returncode or not line:
                raise SystemExit(f"first-frame child failed:\n{out.stderr[-2000:]}")
            times.append(float(line[-1]))
    return times


def report(name: str, samples: list[float], unit: str, target: float) -> None:
    med = statistics.median(samples)
    p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
    verdict = "meets" if med <= target else "MISSES"
    print(f"{name:<44} median {med:8.2f} {unit}  p90 {p90:8.2f} {unit}  "
          f"min {min(samples):8.2f}  ({len(samples)} samples; {verdict} ≤ {target:g} {unit})")


async def main_async(args: argparse.Namespace) -> None:
    # 12 steps on and 12 back: every one a real step (the seed has 14 in all)
    seed, cpu, n = await key_to_screen(None, args.steps, keys=("right",) * 12 + ("left",) * 12)
    report(f"step/back on the seed ({n} nodes)", seed, "ms", TARGET_KEY_MS)
    report("  of which CPU work in the app's thread", cpu, "ms", TARGET_KEY_MS)
    big, cpu, n = await key_to_screen(chain_program(args.nodes), args.steps)
    report(f"step on a chain of {n} nodes", big, "ms", TARGET_KEY_MS)
    report("  of which CPU work in the app's thread", cpu, "ms", TARGET_KEY_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=40, help="key presses measured per case")
    parser.add_argument("--nodes", type=int, default=100_000, help="size of the big graph")
    parser.add_argument("--repeat", type=int, default=5, help="first-frame runs")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load average {load:.2f}")
    asyncio.run(main_async(args))
    report("time to first frame (fresh process)", first_frame(args.repeat), "s",
           TARGET_FIRST_FRAME_S)


if __name__ == "__main__":
    main()
