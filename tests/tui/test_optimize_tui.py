"""Pilot tests of :nudge and :descend in the TUI (issue 17): the answers reach the log, the
descend runs in a worker, and :back undoes it."""

from __future__ import annotations

import pytest
from conftest import enter, settle
from textual.widgets import TabbedContent

from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.widgets.log_pane import LogPane
from backprop_tui.tui.widgets.plot import LogLogPlot

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
