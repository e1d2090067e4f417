"""Using the gradient (issue 17): :nudge's prediction against full passes, :descend's three
methods against hand-computed steps, its stops and errors, and :back undoing either."""

from __future__ import annotations

import json
import math

import pytest

import backprop_tui.commands  # noqa: F401  (registers the commands)
from backprop_tui.events import Error, Info
from backprop_tui.events_train import NudgeStepSet
from backprop_tui.render_text import text as event_text
from backprop_tui.reports import Descend, Nudge
from backprop_tui.session import Session


def session(*lines: str) -> Session:
    s = Session()
    for line in lines:
        evs = s.run_line(line)
        assert not any(isinstance(e, Error) for e in evs), evs
    return s


def seed() -> Session:
    return session("x = 2", "y = 3", "x^2 + 3x*y + 1")


def one(s: Session, line: str, kind: type):
    evs = s.run_line(line)
    found = [e for e in evs if isinstance(e, kind)]
    assert found, evs
    return found[0]


def error(s: Session, line: str) -> str:
    return one(s, line, Error).message


# ---------------------------------------------------------------- :nudge

def test_nudge_seed_error_is_half_second_derivative_times_delta_squared():
    s = seed()
    d = 1e-3
    e = one(s, f":nudge x {d}", Nudge)
    assert e.grad == 13.0 and e.second == 2.0  # 2x + 3y; ∂²f/∂x² = 2
    assert e.predicted == pytest.approx(0.013, abs=1e-15)
    err = e.actual - e.predicted
    assert err == pytest.approx(0.5 * 2 * d * d, rel=1e-6)
    assert e.f_new == s.summary().output["value"]  # the session moved to the new point
    assert s.prog.graph.value[s.prog.lookup("x")] == 2.001
    shown = event_text(e)
    assert "Δf ≈ ∂f/∂x·Δ = 13 × 0.001 = 0.013" in shown and "½·∂²f/∂x²·Δ²" in shown


def test_nudge_y_has_no_curvature_so_prediction_is_exact():
    e = one(seed(), ":nudge y 0.5", Nudge)
    assert e.second == 0.0 and e.actual == pytest.approx(e.predicted, abs=1e-12)


def test_nudge_back_restores_summary_exactly():
    s = seed()
    before = s.summary()
    one(s, ":nudge x 0.25", Nudge)
    assert s.summary() != before
    one(s, ":back", Info)
    assert s.summary() == before


def test_nudge_kink_gives_no_second_order_term():
    s = session("x = 0", "relu(x) + x")
    e = one(s, ":nudge x 0.1", Nudge)
    assert e.kinks and "kink" in event_text(e)


@pytest.mark.parametrize("line, words", [
    (":nudge q 1", "no input named 'q'"),
    (":nudge x 1 2", "usage"),
    (":nudge step=0", "positive"),
    (":nudge step=-1", "positive"),
    (":nudge step=abc", "step=abc"),
    (":nudge x abc", "number"),
    (":nudge c 1", "constant"),
])
def test_nudge_bad_input(line, words):
    s = session("x = 2", "c: const = 3", "x*c")
    assert words in error(s, line)


@pytest.mark.parametrize("line, message", [
    (":nudge c 1", "c is a constant: constants never move; f's inputs are x"),
    (":nudge #3 1", "xc is not an input but a mul node: only inputs move; f's inputs are x"),
    (":nudge z 1", "f does not depend on z: moving it changes nothing; f's inputs are x"),
    (":descend params=z", "f does not depend on z: moving it changes nothing; f's inputs are x"),
])
def test_nudge_and_descend_say_what_the_node_is_and_which_inputs_f_has(line, message):
    s = session("x = 2", "z = 5", "c: const = 3", "x*c")
    assert error(s, line) == message


def test_nudge_step_sets_the_default_delta():
    s = seed()
    e = one(s, ":nudge x", Nudge)
    assert e.delta == 0.01 and e.new == 2.01  # the default step
    st = one(s, ":nudge step=0.5", NudgeStepSet)
    assert (st.step, st.previous) == (0.5, 0.01)
    assert "nudge step = 0.5 (was 0.01)" in event_text(st)
    e = one(s, ":nudge y", Nudge)
    assert e.delta == 0.5 and e.new == 3.5
    assert seed_step_is_per_session()


def seed_step_is_per_session() -> bool:
    return one(seed(), ":nudge x", Nudge).delta == 0.01


# ---------------------------------------------------------------- :descend

def _two_steps(method: str, extra: str = "") -> Descend:
    s = session("x = 1", "x^2")
    e = one(s, f":descend lr=0.1 steps=2 method={method} {extra}", Descend)
    assert len(e.losses) == 3 and e.stop == "steps"
    return e


def test_sgd_two_steps_by_hand():
    # g = 2x: x1 = 1 − 0.1·2 = 0.8; x2 = 0.8 − 0.1·1.6 = 0.64
    e = _two_steps("sgd")
    assert e.final["x"] == pytest.approx(0.64, abs=1e-15)
    assert e.losses == pytest.approx([1.0, 0.64, 0.64 ** 2], abs=1e-15)


def test_momentum_two_steps_by_hand():
    # v1 = 2, x1 = 1 − 0.1·2 = 0.8; g = 1.6, v2 = 0.9·2 + 1.6 = 3.4, x2 = 0.8 − 0.34 = 0.46
    e = _two_steps("momentum", "momentum=0.9")
    assert e.final["x"] == pytest.approx(0.46, abs=1e-15)
    assert e.losses[1] == pytest.approx(0.64, abs=1e-15)


def test_adam_two_steps_by_hand():
    # t1: m = 0.1·2 = 0.2, s = 0.001·4 = 0.004, m̂ = 2, ŝ = 4: x1 = 1 − 0.1·2/(2 + ε)
    # t2: g = 2·x1 ≈ 1.8, m = 0.9·0.2 + 0.1·1.8 = 0.36, s = 0.999·0.004 + 0.001·1.8² = 0.007236,
    #     m̂ = 0.36/(1 − 0.81), ŝ = 0.007236/(1 − 0.998001)
    e = _two_steps("adam")
    x1 = 1 - 0.1 * 2 / (2 + 1e-8)
    x2 = x1 - 0.1 * (0.36 / 0.19) / (math.sqrt(0.007236 / 0.001999) + 1e-8)
    assert e.losses[1] == pytest.approx(x1 * x1, abs=1e-9)
    assert e.final["x"] == pytest.approx(x2, abs=1e-8)
    assert abs(e.final["x"] - 0.800412) < 1e-6


def test_descend_reaches_minimum_with_nonincreasing_loss():
    s = session("x = 0", "y = 0", "(x-3)^2 + (y+1)^2")
    e = one(s, ":descend lr=0.05 steps=500", Descend)
    assert abs(e.final["x"] - 3) < 1e-6 and abs(e.final["y"] + 1) < 1e-6
    assert all(b <= a for a, b in zip(e.losses, e.losses[1:], strict=False))
    g = s.prog.graph
    assert abs(g.value[s.prog.lookup("x")] - 3) < 1e-6  # the session is at the final point
    data = json.loads(json.dumps(e.to_dict()))
    assert data["event"] == "descend" and len(data["losses"]) == 501
    assert data["final"] == e.final


@pytest.mark.parametrize("method", ["momentum", "adam"])
def test_other_methods_reach_minimum(method):
    s = session("x = 0", "y = 0", "(x-3)^2 + (y+1)^2")
    e = one(s, f":descend lr=0.05 steps=3000 method={method}", Descend)
    assert abs(e.final["x"] - 3) < 1e-6 and abs(e.final["y"] + 1) < 1e-6


def test_descend_params_moves_only_those_and_never_constants():
    s = session("x = 0", "y = 0", "c: const = 5", "(x-3)^2 + (y+1)^2 + c")
    e = one(s, ":descend lr=0.1 steps=50 params=y", Descend)
    assert list(e.final) == ["y"]
    g = s.prog.graph
    assert g.value[s.prog.lookup("x")] == 0.0 and g.value[s.prog.lookup("c")] == 5.0
    assert "constant" in error(s, ":descend params=c")


def test_descend_tol_stops_early():
    s = session("x = 0", "(x-3)^2")
    e = one(s, ":descend lr=0.1 steps=10000 tol=1e-12", Descend)
    assert e.stop == "tol" and len(e.losses) < 200
    assert abs(e.losses[-1] - e.losses[-2]) < 1e-12


def test_descend_overflow_stops_at_last_finite_state():
    s = session("x = 1", "x^2")
    e = one(s, ":descend lr=10 steps=1000", Descend)  # x ← −19x: overflows near step 240
    assert e.stop == "nonfinite" and 100 < len(e.losses) < 1000
    assert all(math.isfinite(f) for f in e.losses)
    x = s.prog.graph.value[s.prog.lookup("x")]
    assert math.isfinite(x) and x * x == e.losses[-1]
    assert "last finite point" in event_text(e)
    assert math.isfinite(s.summary().output["value"])


def test_descend_back_restores_summary_exactly_and_steps_first():
    s = session("x = 0", "y = 0", "(x-3)^2 + (y+1)^2")
    before = s.summary()
    one(s, ":descend lr=0.1 steps=20", Descend)
    s.run_line(":step 3")
    assert s.pos == 3
    s.run_line(":back 3")  # ordinary steps are undone first …
    assert s.pos == 0 and s.summary() != before
    one(s, ":back", Info)  # … then the descend, as one entry
    assert s.summary() == before
    assert "nothing to undo" in one(s, ":back", Info).message


def test_set_after_descend_drops_the_undo_entry():
    s = session("x = 0", "(x-3)^2")
    one(s, ":descend steps=5", Descend)
    s.run_line(":set x = 7")
    assert "nothing to undo" in one(s, ":back", Info).message
    assert s.prog.graph.value[s.prog.lookup("x")] == 7.0


@pytest.mark.parametrize("line, words", [
    (":descend lr=0", "positive"),
    (":descend lr=-1", "positive"),
    (":descend lr=nan", "lr=nan"),
    (":descend steps=100001", "at most 100,000"),
    (":descend steps=-3", "whole number"),
    (":descend params=q", "no input named 'q'"),
    (":descend method=rmsprop", "sgd, momentum, adam"),
    (":descend momentum=1.5", "0 ≤ μ < 1"),
    (":descend tol=-1", "≥ 0"),
    (":descend speed=3", "cannot read"),
    (":descend lr=0.1 lr=0.2", "twice"),
])
def test_descend_bad_input(line, words):
    s = session("x = 1", "x^2")
    assert words in error(s, line)
    assert s.prog.graph.value[s.prog.lookup("x")] == 1.0


def test_descend_cancelled_keeps_the_inputs_reached():
    s = session("x = 0", "(x-3)^2")
    calls = []
    s.check_cancelled = lambda: calls.append(1) is None and len(calls) > 5  # Esc after 5 updates
    e = one(s, ":descend lr=0.1 steps=1000", Descend)
    assert e.stop == "cancelled" and len(e.losses) == 6
    assert s.prog.graph.value[s.prog.lookup("x")] == e.final["x"] != 0.0
    assert "cancelled after 5 updates" in event_text(e)
