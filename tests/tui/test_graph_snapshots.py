"""Snapshots of the graph pane at the sizes issue 11 names: the seed in a big window
mid-backward (values and gradients together, the pushed wire, the legend) and after the
backward pass, and a 2-2-1 tanh MLP whole at 120×36.

Regenerate after an intended change with
``pytest tests/tui/test_graph_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from test_snapshots import _before

from backprop_tui.tui.app import BackpropApp

MLP = ("x1 = 0.5; x2 = -1.5; w11 = 0.8; w12 = -0.4; b1 = 0.1; w21 = -0.6; w22 = 0.9; "
       "b2 = 0.2; v1 = 1.5; v2 = -0.7; c = 0.05; h1 = tanh(w11*x1 + w12*x2 + b1); "
       "h2 = tanh(w21*x1 + w22*x2 + b2); y = tanh(v1*h1 + v2*h2 + c); loss = (y - 0.25)^2")


def test_seed_mid_backward_at_200x50(snap_compare):
    # backward 4/7, at 3x: x's gradient arrives, 0 → 9, along the marked wire (×3)
    assert snap_compare(BackpropApp(), terminal_size=(200, 50),
                        run_before=_before("f6", "right", "right", "right", "right"))


def test_seed_after_the_backward_pass_at_200x50(snap_compare):
    assert snap_compare(BackpropApp(), terminal_size=(200, 50), run_before=_before("f7"))


def test_mlp_whole_at_120x36(snap_compare):
    assert snap_compare(BackpropApp(MLP), terminal_size=(120, 36), run_before=_before())


def test_mlp_mid_backward_zoomed_in_at_120x36(snap_compare):
    # two levels in from the overview: labels and gradients, scrolled to the current node
    assert snap_compare(BackpropApp(MLP), terminal_size=(120, 36),
                        run_before=_before("f6", "right", "right", "right", "ctrl+up", "ctrl+up"))
