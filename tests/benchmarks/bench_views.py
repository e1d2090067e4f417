"""Graph view and node table benchmark: first paint and per-step update at 10, 1k, 100k nodes.

Run: python tests/benchmarks/bench_views.py [--repeat R]
(not collected by pytest: a measurement, not a test).

"first paint" is update_view on a freshly mounted widget plus rendering every visible line
(the widget's whole share of a frame); "step" is one session step, update_view and the
lines Textual then renders (a LineDiffView's changed lines; all after a full refresh).
Pilot's own per-key overhead is left out: these are the widget's costs.
Graphs: a chain (f's cone is the whole graph, so the graph view switches to a neighbourhood
past 150 nodes) and, for 150 nodes, a random DAG drawn whole (the largest full layout).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "tui"))

from textual.app import App, ComposeResult  # noqa: E402
from view_helpers import big_session  # noqa: E402

from backprop_tui.language import parse  # noqa: E402
from backprop_tui.session import Session  # noqa: E402
from backprop_tui.tui.widgets.graph_view import GraphView  # noqa: E402
from backprop_tui.tui.widgets.node_table import NodeTable  # noqa: E402


def dag_session(n: int, seed: int = 3) -> Session:
    rng = random.Random(seed)
    lines = [f"v{i} = {rng.uniform(0.5, 1.5):.3f}" for i in range(5)]
    names = [f"v{i}" for i in range(5)]
    made = 5
    while made < n - 1:
        a, b = rng.choice(names[-12:]), rng.choice(names)
        form = rng.choice(["{a}*{b}", "{a}+{b}", "sin({a})", "{a}-{b}"])
        lines.append(f"t{made} = " + form.format(a=a, b=b))
        names.append(f"t{made}")
        made += 1
    lines.append(" + ".join(names[-3:]))
    return Session(parse("\n".join(lines)))


class Bench(App):
    def compose(self) -> ComposeResult:
        yield GraphView(id="graph")
        yield NodeTable(id="table")

    CSS = "GraphView { height: 2fr; } NodeTable { height: 1fr; }"


def render_visible(widget) -> None:
    """The lines Textual renders after the update: those the widget's repaint refreshed
    (its changed lines), or all of them after a full refresh."""
    lines = getattr(widget, "repainted", None)
    for y in range(widget.size.height) if lines is None else sorted(lines):
        widget.render_line(y)


async def measure(name: str, session: Session, repeat: int) -> None:
    app = Bench()
    async with app.run_test(size=(120, 40)) as pilot:
        graph = app.query_one(GraphView)
        table = app.query_one(NodeTable)
        await pilot.pause()
        t = time.perf_counter()
        graph.update_view(session)
        await pilot.pause()  # the first layout needs a refresh before lines can render
        graph_first = time.perf_counter() - t
        render_visible(graph.canvas)
        graph_first = time.perf_counter() - t - 0  # includes one pause (~ms)
        t = time.perf_counter()
        table.update_view(session)
        render_visible(table)
        table_first = time.perf_counter() - t
        steps_g, steps_t = [], []
        for _ in range(repeat):
            session.step(1)
            t = time.perf_counter()
            graph.update_view(session)
            render_visible(graph.canvas)
            steps_g.append(time.perf_counter() - t)
            t = time.perf_counter()
            table.update_view(session)
            render_visible(table)
            steps_t.append(time.perf_counter() - t)
            await pilot.pause()
        print(f"{name:<28} {len(session.prog.graph):>7} {graph.mode:<13} "
              f"{graph_first * 1e3:>9.1f} {statistics.median(steps_g) * 1e3:>8.2f} "
              f"{max(steps_g) * 1e3:>8.2f} {table_first * 1e3:>9.1f} "
              f"{statistics.median(steps_t) * 1e3:>8.2f}")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    print(f"{'graph':<28} {'nodes':>7} {'graph mode':<13} {'graph 1st':>9} {'step med':>8} "
          f"{'step max':>8} {'table 1st':>9} {'step med':>8}   (ms)")
    for n in (10, 1_000, 100_000):
        await measure(f"chain of {n:,}", big_session(n), args.repeat)
    await measure("random DAG of 150", dag_session(150), args.repeat)


if __name__ == "__main__":
    asyncio.run(main())
