"""Pilot tests of :nudge and :descend in the TUI (issue 17): the answers reach the log, the
descend runs in a worker, and :back undoes it."""

from __future__ import annotations

from conftest import enter, settle

from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.widgets.log_pane import LogPane

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
