"""Pilot tests of :nudge and :descend in the TUI (issue 17): the answers reach the log, the
descend runs in a worker, and :back undoes it."""

from __future__ import annotations

import asyncio

import pytest
from conftest import enter, settle
from textual.widgets import TabbedContent

from backprop_tui.events_train import ABOVE, BELOW, Boundary
from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.widgets.log_pane import LogPane
from backprop_tui.tui.widgets.plot import REGION, LogLogPlot

SIZE = (100, 30)


async def test_nudge_and_descend_in_the_tui_then_back():
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        before = app.session.summary()
        await enter(pilot, ":nudge x 0.01")
        await settle(pilot)
        assert "Δf ≈ ∂f/∂x·Δ = 13 × 0.01 = 0.13" in app.query_one(LogPane).text
        await enter(pilot, ":back")
        await settle(pilot)
        assert app.session.summary() == before
        await enter(pilot, ":descend lr=0.01 steps=5 params=y")
        await settle(pilot)
        assert "gradient descent on f" in app.query_one(LogPane).text
        assert app.session.summary() != before and not app.busy
        await enter(pilot, ":back")
        await settle(pilot)
        assert app.session.summary() == before


async def test_descend_plots_the_loss_against_the_step():
    app = BackpropApp("x = 0; y = 0; (x-3)^2 + (y+1)^2")
    async with app.run_test(size=(100, 40)) as pilot:
        await enter(pilot, ":descend lr=0.05 steps=60")
        await settle(pilot)
        plot = app.query_one("#plot", LogLogPlot)
        fig = plot.figure
        assert fig is not None and fig.xlabel == "step" and fig.ylog
        (series,) = fig.series
        assert series.xs[0] == 0 and series.xs[-1] == 60 and len(series.ys) == 61
        # sgd with lr 0.05 scales each error by 0.9, so f by 0.81 a step
        assert series.ys[0] == 10 and series.ys[-1] == pytest.approx(10 * 0.81**60, rel=1e-9)
        assert app.query_one(TabbedContent).active == "tab-plot"
        drawn = str(plot.render())  # re-plots from the figure: what the Plot tab shows
        assert "against the step" in drawn


async def test_descend_plots_live_and_esc_stops_at_the_last_completed_step():
    """A long :descend draws its loss in the Plot tab while it runs; Esc stops it, and the
    session is at the last completed step (the Descend event's final inputs, its last f)."""
    app = BackpropApp("x = 0; y = 0; (x-3)^2 + (y+1)^2")
    async with app.run_test(size=(100, 40)) as pilot:
        before = app.session.summary()
        # run_line, not pilot.press: Pilot waits for the process to go idle after a key, and
        # a busy worker keeps it busy. 100,000 tiny steps take ~2 s; Esc comes long before.
        assert app.run_line(":descend lr=1e-7 steps=100000", source="repl")
        plot = app.query_one("#plot", LogLogPlot)
        for _ in range(100):  # up to ~2 s for the first live figure
            await asyncio.sleep(0.02)
            if plot.figure is not None:
                break
        fig = plot.figure
        assert app.busy, "the run ended before it could be watched"
        assert fig is not None and "of 100,000" in fig.title and fig.xmax == 100_000
        (series,) = fig.series
        assert series.xs[0] == 0 and series.ys[0] == 10
        assert app.query_one(TabbedContent).active == "tab-plot"
        assert "(Esc stops)" in str(plot.render())  # drawn, not only stored
        await pilot.press("escape")
        await settle(pilot)
        assert not app.busy
        log = app.query_one(LogPane).text
        assert "cancelled after" in log and "last completed step" in log
        prog = app.session.prog
        x, y = prog.graph.value[prog.lookup("x")], prog.graph.value[prog.lookup("y")]
        f = app.session.summary().output["value"]
        assert 0 < x < 3 and f == (x - 3) ** 2 + (y + 1) ** 2
        final = plot.figure  # the finished run's whole curve replaces the live one
        assert final is not None and "→" in final.title and final.series[0].ys[-1] == f
        assert len(final.series[0].xs) > len(series.xs)
        await enter(pilot, ":back")
        await settle(pilot)
        assert app.session.summary() == before  # the cancelled run is one undo entry


async def test_nudge_keys_move_the_selected_input_through_the_session(tmp_path):
    """shift+↑/↓ send `:nudge NAME ±STEP` (logged, recorded, answered under the line with the
    prediction); shift+PgUp/PgDn scale the step by 10; a non-input is refused, saying so."""
    app = BackpropApp()
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, f":record {tmp_path / 'rec.bp'}")
        prog = app.session.prog
        x = prog.lookup("x")
        table = app.query_one("#table")
        table.focus()
        table.cursor = x
        await pilot.press("enter")  # select x in the Nodes table
        await pilot.press("shift+up")
        await settle(pilot)
        assert prog.graph.value[x] == 2.01
        log = app.query_one(LogPane).text
        assert ":nudge x 0.01" in log and "Δf ≈ ∂f/∂x·Δ = 13 × 0.01 = 0.13" in log
        assert "Δf ≈ ∂f/∂x·Δ" in app.repl.message  # the prediction, under the line
        await pilot.press("shift+pageup")
        await settle(pilot)
        assert "nudge step = 0.1 (was 0.01)" in app.query_one("#status").note
        await pilot.press("shift+down")  # x stays selected after a nudge
        await settle(pilot)
        assert prog.graph.value[x] == pytest.approx(1.91, abs=1e-12)
        await pilot.press("shift+pagedown", "shift+pagedown")
        await settle(pilot)
        assert "nudge step = 0.001" in app.query_one("#status").note
        ops = [i for i in range(len(prog.graph))
               if app.session.node_info(i).op not in ("input", "literal", "const")]
        app.inspect_node(ops[0])
        await pilot.press("shift+up")
        await settle(pilot)
        assert "an operation, not an input" in app.repl.message and prog.graph.value[x] == pytest.approx(1.91)
        await enter(pilot, ":record stop")
        recorded = (tmp_path / "rec.bp").read_text()
        assert ":nudge x 0.01" in recorded and ":nudge step=0.1" in recorded
        assert ":nudge x -0.1" in recorded


async def test_plot_boundary_in_a_worker_draws_in_the_plot_tab(tmp_path):
    """:plot boundary runs in a worker (cost slow) and draws the regions in the Plot tab:
    each half-block's colours are the classes of the grid cells under it."""
    app = BackpropApp("x1 = 0; x2 = 0; w1 = 1; w2 = -2; b = 0.5; score = w1*x1 + w2*x2 + b")
    async with app.run_test(size=(100, 40)) as pilot:
        await enter(pilot, ":plot boundary score over x1,x2 x=-2:2 y=-2:2 grid=40")
        await settle(pilot)
        plot = app.query_one("#plot", LogLogPlot)
        e = plot.boundary
        assert isinstance(e, Boundary) and app.query_one(TabbedContent).active == "tab-plot"
        assert "the decision boundary of score: in the Plot tab" in app.repl.message
        picture = plot.render()
        assert "score over x1 (across), x2 (up)" in picture.plain
        styles = {str(span.style) for span in picture.spans}
        assert any(REGION[ABOVE] in st for st in styles) and any(REGION[BELOW] in st for st in styles)
        await enter(pilot, ":descend lr=0.01 steps=3 params=b")  # a new figure replaces it
        await settle(pilot)
        assert plot.boundary is None and plot.figure is not None
