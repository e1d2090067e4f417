"""Nodes outside f's cone (issue 16, item 9): the session's model gives them their computed
value (a full forward pass at the current inputs) or says they cannot be evaluated; never a
stale, nan or wrong number. Checked through the model (computed, value, node_info) that every
view reads, and through :show / :expect."""

from __future__ import annotations

import math

import pytest

from backprop_tui import gradcheck
from backprop_tui.events import Expect
from backprop_tui.render_text import text as event_text
from backprop_tui.session import Session


def run(lines: list[str]) -> tuple[Session, list]:
    s = Session()
    events = []
    for line in lines:
        events += s.run_line(line)
    return s, events


def test_show_and_expect_a_node_outside_the_cone():
    """Regression: `x = 2; y = x*x; z = x + 1; :show y` showed `value nan`, `y = 2 × 2 = nan`;
    `:expect value y = 4` failed; after `:set x = 10`, `10 × 10 = 0`."""
    s, _ = run(["x = 2; y = x*x; z = x + 1"])
    (shown,) = s.run_line(":show y")
    text = event_text(shown)
    assert "value 4\n" in text and "y = xx = 2 × 2 = 4" in text and "nan" not in text
    assert "not part of f = z" in text
    (ok,) = s.run_line(":expect value y = 4")
    assert isinstance(ok, Expect) and ok.passed
    s.run_line(":set x = 10")
    text = event_text(s.run_line(":show y")[0])
    assert "value 100\n" in text and "10 × 10 = 100" in text
    assert s.run_line(":expect value y = 100")[0].passed
    s.run_line(":output y")  # y's cone now: stepped again from the start
    assert s.value(s.resolve("y")) is None and s.value(s.resolve("z")) == 11


def test_an_off_cone_node_reading_unstepped_cone_nodes_shows_no_nan():
    s, _ = run(["x = 3; a = x*x; b = a + 1; a + 2"])
    b = s.resolve("b")
    info = s.node_info(b)
    assert info.value == 10 and "nan" not in info.formula and info.formula == "b = 10"
    s.run_line(":forward")
    assert s.node_info(b).formula == "b = a+1 = 9 + 1 = 10"
    assert [d.value for d in s.local_derivatives(b)] == [1.0, 1.0]


def test_an_off_cone_node_that_cannot_be_evaluated_says_why():
    s, _ = run(["x = 2; w = log(x - 2); v = w + 1", "x^2"])
    for name in ("w", "v"):
        i = s.resolve(name)
        assert not s.computed(i) and s.value(i) is None
        assert "cannot be evaluated: log needs a positive argument" in s.node_info(i).note
    (exp,) = s.run_line(":expect value v = 1")
    assert not exp.passed and "cannot be evaluated" in exp.got
    s.run_line(":set x = 3")
    assert s.value(s.resolve("w")) == 0.0 and s.value(s.resolve("v")) == 1.0


@pytest.mark.parametrize("program", [
    "x = 2; y = 3; a = x*y; b = sin(a); c = a + b; d = exp(-c); b*x",
    "x = 0.5; y = tanh(x); z = y^2; w = log(z); q = sqrt(w*w); y + 1",
    "x = 2; e1 = x + 1; e2 = e1 * e1; e3 = e2 / x; e1",
])
def test_every_value_the_model_shows_is_the_full_pass_value(program):
    """The invariant for every node and every choice of output: a computed node outside the
    cone holds the full forward pass's value; after :set, still."""
    s, _ = run([program])
    for out in range(len(s.prog.graph)):
        s.set_output(out)
        for setting in ("", ":set x = 1.25"):
            if setting:
                s.run_line(setting)
            ref = gradcheck.reference(s.prog.graph, len(s.prog.graph) - 1).value
            for i in range(len(s.prog.graph)):
                if s.in_cone(i) or not s.computed(i):
                    continue
                v = s.value(i)
                assert v == ref[i] or (math.isnan(v) and math.isnan(ref[i])), (out, i)
