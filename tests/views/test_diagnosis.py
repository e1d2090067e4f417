"""`:check all` as a diagnosis on a graph with a user operator whose derivative is wrong.

Here, in tests/views (the last folder to run), because backprop_tui.op registers the
operator for the rest of the process, as tests/views/test_tracing_api.py's do: the core's
tests list the functions and operators and must not see it."""

from __future__ import annotations

import json
import math

import pytest

import backprop_tui as bt
from backprop_tui.events_search import Diagnosis
from backprop_tui.render_text import text as event_text

_BAD = {}


def bad_softplus():
    """A user operator whose derivative is twice what it should be."""
    if "op" not in _BAD:
        _BAD["op"] = bt.op("softplus_x2", lambda a: math.log1p(math.exp(a)),
                           lambda a: 2 / (1 + math.exp(-a)))
    return _BAD["op"]


def test_check_all_names_the_user_operator_whose_rule_is_wrong():
    sp = bad_softplus()
    xs = [bt.Var(0.1 * k, name=f"w{k}") for k in range(12)]
    h = [bt.tanh(x * 0.5 + 0.1) for x in xs]
    z = sum(h[1:], h[0])
    s = bt.session(sp(z) * 0.3 + z * z)
    check, diag = s.run_line(":check all")
    assert isinstance(diag, Diagnosis) and diag.how == "rule" and diag.op == "softplus_x2"
    g = s.prog.graph
    assert g.operands(diag.id) == (diag.operand,)
    assert diag.rule == pytest.approx(2 * diag.numeric, rel=1e-6)
    fails = [r for r in check.rows if r.verdict == "fail"]
    assert diag.failures == len(fails) == diag.inherited  # all upstream of it
    text = event_text(diag)
    assert text.startswith(f"the wrong gradient starts at #{diag.id} (softplus_x2)")
    assert "all 59 failing gradients lie upstream of it" in text
    summary = event_text(check)
    assert "63 nodes: 4 pass, 59 fail" in summary and summary.count("\n") < 30
    assert json.loads(json.dumps(diag.to_dict()))["how"] == "rule"


# The mul bug breaks both products (x1·w1 and x2·w2); which product comes first in backward
# order, and which of its operands is "a", follow the learner's _prev sets (hash order), so
# any of the four is the right answer.
@pytest.mark.parametrize("bug, op, operand", [("mul", "mul", ("x1", "x2", "w1", "w2")),
                                              ("tanh", "tanh", ("n",))])
def test_check_all_names_the_imported_engines_wrong_backward(bug, op, operand):
    from learner_engines import engine, neuron

    o, _ = neuron(engine(bug))
    s = bt.session(o)
    events = s.run_line(":check all")
    diag = events[-1]
    assert isinstance(diag, Diagnosis) and diag.how == "engine" and diag.op == op
    assert diag.operand_label in operand and diag.numeric != pytest.approx(diag.rule)
    consumers = s.consumers(diag.operand)
    assert diag.id in consumers
    text = event_text(diag)
    assert f"the _backward of #{diag.id} ({op}) pushes it" in text


def test_a_correct_engine_gets_no_diagnosis():
    from learner_engines import engine, neuron

    o, _ = neuron(engine(""))
    assert not [e for e in bt.session(o).run_line(":check all") if isinstance(e, Diagnosis)]
