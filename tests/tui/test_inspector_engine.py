"""The inspector shows a learner's gradient beside backprop-tui's and the finite-difference
estimate (check_engine / debug(root)), and forward mode's tangent."""

from __future__ import annotations

import sys
from pathlib import Path

import backprop_tui as bt
from backprop_tui.session import Session
from backprop_tui.tui.widgets.inspector import describe, plain

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "views"))
from learner_engines import engine, neuron  # noqa: E402


def test_the_learners_gradient_and_the_estimate_beside_ours():
    o, _ = neuron(engine("tanh"))  # a wrong tanh rule: every node below it differs
    s = bt.check_engine(o).session
    s.run_line(":backward")
    text = plain(describe(s, s.resolve("n")))
    assert "∂f/∂n  0.5 (final)" in text
    assert "learner's  0.292893 differs" in text and "finite difference  0.5" in text


def test_the_tangent_in_forward_mode():
    s = Session()
    s.run_line("x1 = 2; x2 = 5; log(x1) + x1*x2 - sin(x2)")
    s.run_line(":mode forward x1")
    s.run_line(":step 2")
    text = plain(describe(s, s.resolve("x1·x2")))
    assert "tangent  5 (forward mode" in text
    assert "forward mode carries tangents" in text and "none (a constant" not in text


def test_the_h_sweep_plot_has_four_methods_and_names_step_sizes():
    from backprop_tui.events import HSweep
    from backprop_tui.tui.widgets.plot import COMPLEX_FLOOR, hsweep_figure

    s = Session()
    s.run_line("x = 1.5; exp(x)/sqrt(sin(x)^3 + cos(x)^3)")
    (ev,) = [e for e in s.run_line(":hsweep") if isinstance(e, HSweep)]
    fig = hsweep_figure(ev)
    assert [x.name for x in fig.series] == ["forward", "central", "Richardson", "complex step"]
    assert "best h: forward" in fig.title and "Richardson" in fig.title
    cx = fig.series[3]
    assert all(y >= COMPLEX_FLOOR for y in cx.ys)  # drawable on a log axis
    # Flat at round-off for every small h, where forward differences grow again (the V).
    small = [y for h, y in zip(cx.xs, cx.ys, strict=True) if h <= 1e-8]
    forward_small = [y for h, y in zip(fig.series[0].xs, fig.series[0].ys, strict=True) if h <= 1e-8]
    assert max(small) < 1e-13 and min(forward_small) > 1e-9


async def test_forward_mode_puts_tangents_on_the_wires(tmp_path):
    from backprop_tui.tui.app import BackpropApp
    from backprop_tui.tui.widgets.graph_view import GraphView

    app = BackpropApp(program="x1 = 2; x2 = 5; log(x1) + x1*x2 - sin(x2)", history_path=tmp_path / "history")
    async with app.run_test(size=(140, 40)) as pilot:
        app.session.run_line(":mode forward x1")
        app.session.run_line(":step 2")
        app.query_one(GraphView).update_view(app.session)
        await pilot.pause()
        screen = app.export_screenshot()
        assert "ẋ0.5" in screen and "ẋ5" in screen  # log(x1)'s and x1·x2's tangents


def test_the_inspector_writes_the_chain_rule_at_the_node():
    s = Session()
    s.run_line("x = 2; y = 3; x^2 + 3x*y + 1")
    s.run_line(":forward")
    s.run_line(":step 4")  # 3x has pushed 9 to x; x² has not pushed yet
    mid = plain(describe(s, s.resolve("x")))
    assert "∂f/∂x = ∂f/∂x²·2x + ∂f/∂3x·3 = ?·4 + 3·3 = ? + 9: 9 so far" in mid
    assert "· from x²" in mid and "✓ from 3x" in mid
    s.run_line(":backward")
    done = plain(describe(s, s.resolve("x")))
    assert "∂f/∂x = ∂f/∂x²·2x + ∂f/∂3x·3 = 1·4 + 3·3 = 4 + 9 = 13 (final)" in done
