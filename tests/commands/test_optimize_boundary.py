""":plot boundary (issue 17 item 4): a classifier's regions over two inputs, from the existing
graph re-evaluated on a grid; on a hand-made linear classifier they split where
w·x + b = 0, and on the trained moons network they classify the data as the model does."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import backprop_tui.commands  # noqa: F401  (registers the commands)
from backprop_tui.commands.plotting import register_boundary, register_data
from backprop_tui.events import Error
from backprop_tui.events_train import ABOVE, BELOW, Boundary
from backprop_tui.render_text import text as event_text
from backprop_tui.session import Session

LINEAR = ["x1 = 0", "x2 = 0", "w1 = 1", "w2 = -2", "b = 0.5", "score = w1*x1 + w2*x2 + b"]


def linear() -> Session:
    s = Session()
    for line in LINEAR:
        assert not any(isinstance(e, Error) for e in s.run_line(line))
    return s


def one(s: Session, line: str) -> Boundary:
    evs = s.run_line(line)
    found = [e for e in evs if isinstance(e, Boundary)]
    assert found, [event_text(e) for e in evs]
    return found[0]


def test_linear_classifier_regions_split_where_w_x_plus_b_is_zero():
    s = linear()
    e = one(s, ":plot boundary score over x1,x2 x=-2:2 y=-2:2 grid=40x20")
    assert (len(e.cells), len(e.cells[0])) == (20, 40)
    counts = {ABOVE: 0, BELOW: 0}
    for r, row in enumerate(e.cells):
        cy = 2 - (r + 0.5) * 4 / 20
        for c, ch in enumerate(row):
            cx = -2 + (c + 0.5) * 4 / 40
            assert ch == (ABOVE if cx - 2 * cy + 0.5 > 0 else BELOW), (r, c)
            counts[ch] += 1
    assert counts[ABOVE] > 100 and counts[BELOW] > 100  # cells on each side
    # The line x2 = (x1 + 0.5)/2 crosses the picture: the top-left corner is below it
    # (score < 0), the bottom-right above.
    assert e.cells[0][0] == BELOW and e.cells[-1][-1] == ABOVE
    # the session's own graph is untouched: the grid ran on a scratch copy
    assert s.summary().output["value"] == 0.5


def test_boundary_data_file_points_accuracy_and_text(tmp_path):
    s = linear()
    (tmp_path / "pts.csv").write_text("x1,x2,label\n0,0,1\n1,1,-1\n-1,0.5,-1\n2,0,1\n0,1,1\n")
    s.file = str(tmp_path / "session.bp")  # data= is relative to the session's file
    e = one(s, ":plot boundary score over x1,x2 data=pts.csv grid=30")
    assert e.points[0] == (0.0, 0.0, 1.0) and len(e.points) == 5
    assert e.predicted == [1, -1, -1, 1, -1]  # score 0.5, -0.5, -1.5, 2.5, -1.5
    assert e.correct == 4  # (0, 1) is labelled +1 but scores -1.5
    shown = event_text(e)
    assert "accuracy 4 of 5 (80%)" in shown and "X classified against its label" in shown
    assert shown.count("X") >= 1 and "░" in shown
    # the data fix the range: each axis spans the points with a margin
    assert e.x_range[0] < -1 and e.x_range[1] > 2 and e.y_range[0] < 0 and e.y_range[1] > 1
    data = json.loads(json.dumps(e.to_dict()))
    assert data["event"] == "boundary" and data["predicted"] == e.predicted


def test_registered_model_and_data_make_a_bare_plot_boundary():
    s = linear()
    register_data(s, "pts", [(0, 0, 1), (1, 1, -1)])
    register_boundary(s, "score", "x1", "x2", "pts")
    e = one(s, ":plot boundary grid=10")
    assert (e.output, e.x, e.y, e.data) == ("score", "x1", "x2", "pts")
    assert e.predicted == [1, -1] and e.correct == 2


def test_boundary_at_threshold_for_a_sigmoid():
    s = linear()
    s.run_line("p = sigmoid(score)")
    e = one(s, ":plot boundary p over x1,x2 x=-2:2 y=-2:2 grid=20 at=0.5")
    plain = one(s, ":plot boundary score over x1,x2 x=-2:2 y=-2:2 grid=20")
    assert e.cells == plain.cells  # sigmoid(s) > 0.5 exactly where s > 0


@pytest.mark.parametrize(("line", "words"), [
    (":plot", "usage"),
    (":plot loss", "boundary is the one plot"),
    (":plot boundary", "nothing is registered"),
    (":plot boundary score over x1", "name two inputs"),
    (":plot boundary score x1,x2", "usage"),
    (":plot boundary score over x1,x1", "same input"),
    (":plot boundary score over x1,b2", "b2"),
    (":plot boundary score over x1,z", "does not depend on z"),
    (":plot boundary score over x1,w1x1", "not an input"),
    (":plot boundary score over x1,x2 x=2:1", "LO < HI"),
    (":plot boundary score over x1,x2 x=1", "LO:HI"),
    (":plot boundary score over x1,x2 grid=1", "2 to 240"),
    (":plot boundary score over x1,x2 grid=ten", "whole numbers"),
    (":plot boundary score over x1,x2 data=nowhere.csv", "not a readable file"),
    (":plot boundary score over x1,x2 at=abc", "abc"),
    (":plot boundary score over x1,x2 colour=red", "takes data="),
])
def test_boundary_bad_input(line, words):
    s = linear()
    s.run_line("z = 4")
    s.run_line("w1x1 = w1*x1")
    s.run_line(":output score")
    evs = s.run_line(line)
    errors = [e.message for e in evs if isinstance(e, Error)]
    assert errors and words in errors[0], errors


def test_boundary_bad_data_file(tmp_path):
    s = linear()
    bad = tmp_path / "bad.txt"
    bad.write_text("0 0 1\n1 oops 2\n")
    evs = s.run_line(f":plot boundary score over x1,x2 data={bad}")
    (err,) = [e for e in evs if isinstance(e, Error)]
    assert "bad.txt:2" in err.message and "x y label" in err.message


# ---------------------------------------------------------------- the moons demo

DEMO = Path(__file__).resolve().parents[2] / "demos" / "moons.py"


def _demo():
    spec = importlib.util.spec_from_file_location("moons_demo_boundary", DEMO)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_moons_boundary_classifies_the_data_as_the_model_does():
    m = _demo()
    r = m.train(out=lambda _line: None)
    e = m.plot_boundary(r)
    assert e.output == "model" and e.data == "moons" and len(e.points) == 100
    # the picture's model (the net on x1, x2) scores each point exactly as training did
    assert e.predicted == [1 if v > 0 else -1 for v in r.scores]
    assert e.correct / len(e.points) == r.accuracy == 1.0
    # and the regions agree with the points' classes, away from the boundary itself
    rows, cols = len(e.cells), len(e.cells[0])
    (x0, x1), (y0, y1) = e.x_range, e.y_range
    agree = sum((e.cells[int((y1 - py) / (y1 - y0) * rows)][int((px - x0) / (x1 - x0) * cols)]
                 == ABOVE) == (p > 0) for (px, py, _), p in zip(e.points, e.predicted, strict=True))
    assert agree >= 90
    assert "+" in e.cells[rows // 2] + "".join(e.cells) and BELOW in "".join(e.cells)
