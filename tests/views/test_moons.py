"""demos/moons.py (issue 17): the data is deterministic, training a 2-16-16-1 tanh MLP with
:descend's adam reaches the stated accuracy, and one sample's loss at the trained weights is
a graph the debugger steps through."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

import backprop_tui as bt
import backprop_tui.commands  # noqa: F401  (registers the commands)

DEMO = Path(__file__).resolve().parents[2] / "demos" / "moons.py"


def _demo():
    spec = importlib.util.spec_from_file_location("moons_demo", DEMO)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_moons_data_is_fixed_and_balanced():
    m = _demo()
    a, b = m.moons(), m.moons()
    assert a == b and len(a) == 100
    assert sum(1 for *_, y in a if y == 1) == 50
    # the outer moon is centred near (0, 0.64), the inner near (1, −0.14): far apart in mean
    outer = [p for p in a if p[2] == -1]
    assert abs(sum(p[1] for p in outer) / 50 - 2 / math.pi) < 0.1


@pytest.mark.slow
def test_moons_training_reaches_stated_accuracy():
    m = _demo()
    lines: list[str] = []
    r = m.train(out=lines.append)
    assert r.params == 337  # micrograd's 2-16-16-1
    assert r.accuracy >= m.MIN_ACCURACY
    assert len(lines) == 11 and lines[0].startswith("step    0")
    assert r.losses[-1] < r.losses[0] / 10 and all(map(math.isfinite, r.losses))
    # one sample's loss at the trained weights: the debugger's session steps through it
    one = m.sample_loss(r.net, 0)
    s = bt.session(one)
    assert s.summary().output["value"] == pytest.approx(one.value)
    s.run_line(":continue")
    assert s.pos == len(s.fwd) + len(s.bwd) and len(s.fwd) > 300
