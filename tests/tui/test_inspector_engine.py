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
