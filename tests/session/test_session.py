"""The step-through session: exact events on the seed, time travel, breakpoints, checks."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import pytest

from backprop_tui.events import BreakHit, Check, Error, HSweep, Step
from backprop_tui.graph import Graph
from backprop_tui.language import parse
from backprop_tui.render_text import text as event_text
from backprop_tui.session import Session

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


def seed_session() -> Session:
    s = Session()
    (ev,) = s.run_line(SEED)
    assert ev.kind == "statement"
    return s


def steps(events):
    return [e for e in events if isinstance(e, Step)]


def state(s: Session):
    g = s.prog.graph
    # nan != nan, so compare values through repr to treat "not computed" as equal. The
    # check's verdicts are not stepping state: a :check adds them and changes nothing else.
    return ([repr(v) for v in g.value], list(g.grad), s.pos, s.current(),
            [dataclasses.replace(s.node_info(i), verdict=None) for i in range(len(g))])


def test_seed_forward_events_exact():
    # Program order: x² is written (and computed) before 3x.
    s = seed_session()
    fwd = [steps(s.run_line(":step"))[0] for _ in range(5)]
    assert [(e.phase, e.node, e.step, e.total) for e in fwd] == [
        ("forward", "x²", 1, 5), ("forward", "3x", 2, 5), ("forward", "3xy", 3, 5),
        ("forward", "x²+3xy", 4, 5), ("forward", "x²+3xy+1", 5, 5)]
    assert [e.formula for e in fwd] == [
        "x² = 2² = 4", "3x = 3 × 2 = 6", "3xy = 6 × 3 = 18", "x²+3xy = 4 + 18 = 22",
        "x²+3xy+1 = 22 + 1 = 23"]
    assert [e.value for e in fwd] == [4.0, 6.0, 18.0, 22.0, 23.0]


def test_seed_backward_events_exact_with_x_arriving_twice():
    s = seed_session()
    s.run_line(":forward")
    bwd = [steps(s.run_line(":step"))[0] for _ in range(7)]
    # The exact reverse of the forward steps, then the inputs' rows; literals get no step.
    assert [e.node for e in bwd] == ["x²+3xy+1", "x²+3xy", "3xy", "3x", "x²", "y", "x"]
    assert bwd[0].seeded and bwd[0].grad == 1.0
    assert all(e.final for e in bwd)
    pushes = [(e.node, c.to, c.local_text, c.local, c.upstream, c.contribution, c.before, c.after)
              for e in bwd for c in e.contributions]
    assert pushes == [
        ("x²+3xy+1", "x²+3xy", "1", 1.0, 1.0, 1.0, 0.0, 1.0),
        ("x²+3xy", "x²", "1", 1.0, 1.0, 1.0, 0.0, 1.0),
        ("x²+3xy", "3xy", "1", 1.0, 1.0, 1.0, 0.0, 1.0),
        ("3xy", "3x", "y", 3.0, 1.0, 3.0, 0.0, 3.0),
        ("3xy", "y", "3x", 6.0, 1.0, 6.0, 0.0, 6.0),
        ("3x", "x", "3", 3.0, 3.0, 9.0, 0.0, 9.0),
        ("x²", "x", "2x", 4.0, 1.0, 4.0, 9.0, 13.0),
    ]
    assert bwd[-1].node == "x" and bwd[-1].grad == 13.0
    assert "∂f/∂x gets 3·3 = 9 (0 → 9)" in event_text(bwd[3])
    assert "∂f/∂x gets 2x·1 = 4·1 = 4 (9 → 13)" in event_text(bwd[4])


def test_state_reports_computed_and_final_at_any_moment():
    s = seed_session()
    x = s.resolve("x")
    sq = s.resolve("x²")
    assert s.node_info(sq).value is None  # not yet computed
    assert s.node_info(x).value == 2.0  # inputs hold their values from the start
    s.run_line(":goto x²")
    assert s.node_info(sq).value == 4.0
    s.run_line(":forward")
    s.run_line(":step 4")  # through 3x's backward step: x has its first contribution only
    info = s.node_info(x)
    assert info.grad == 9.0 and not info.final
    assert not s.node_info(sq).final
    s.run_line(":step")  # x²'s step
    assert s.node_info(sq).final
    s.run_line(":backward")
    assert s.node_info(x).grad == 13.0 and s.node_info(x).final


def test_back_restores_exact_state_at_every_position_and_forward_reproduces_it():
    s = Session()
    s.run_line("a = 0.5; b = -1.5; c = a*b + tanh(a) ; d = c*c + sin(b)/exp(a) - a; d*a + relu(c)")
    states = [state(s)]
    while s.pos < s.steps_total:
        s.run_line(":step")
        states.append(state(s))
    for k in range(len(states) - 1, -1, -1):
        assert state(s) == states[k]
        if k:
            s.run_line(":back")
    s.run_line(":step 1000")
    assert state(s) == states[-1]
    s.run_line(":back 7")
    assert state(s) == states[-8]


def test_stepped_gradients_match_the_full_backward_pass():
    s = Session()
    s.run_line("u = 1.3; v = -0.4; w = u*v; q = exp(w) + w*w/u; q*log(u) - sqrt(u+v*v)")
    s.run_line(":backward")
    g = s.prog.graph
    ref = Graph.__new__(Graph)
    ref.__dict__.update(g.__dict__)
    ref.value = list(g.value)
    ref.backward(s.output)
    for i in range(len(g)):
        if g.takes_grad(i):
            assert g.grad[i] == pytest.approx(ref.grad[i], rel=1e-12, abs=1e-15)


def test_breakpoints_on_node_and_op():
    s = Session()
    s.run_line("x = 0.3; y = tanh(x); z = tanh(y*2); z + x")
    s.run_line(":break op:tanh")
    ev = s.run_line(":continue")
    hit = [e for e in ev if isinstance(e, BreakHit)]
    assert hit and hit[0].node == "y" and hit[0].reason == "op:tanh"
    ev = s.run_line(":c")
    assert [e for e in ev if isinstance(e, BreakHit)][0].node == "z"
    s.run_line(":unbreak op:tanh")
    s.run_line(":break x")
    ev = s.run_line(":c")
    hit = [e for e in ev if isinstance(e, BreakHit)]
    assert hit[0].node == "x" and s.progress()[0] == "backward"
    assert "x" in event_text(s.run_line(":breaks")[0])
    s.run_line(":unbreak")
    s.run_line(":reset")
    s.run_line(":c")
    assert s.pos == s.steps_total


def test_set_changes_an_input_and_restarts():
    s = seed_session()
    s.run_line(":backward")
    (info,) = s.run_line(":set x = 5")
    assert "restarted" in event_text(info)
    assert s.pos == 0 and s.node_info(s.output).value is None
    s.run_line(":backward")
    assert s.node_info(s.output).value == 71.0
    assert s.node_info(s.resolve("x")).grad == 19.0  # 2x + 3y
    (err,) = s.run_line(":set 3x = 1")
    assert isinstance(err, Error) and "no input named '3x'" in err.message
    s.run_line("k: const = 2")
    (err,) = s.run_line(":set k = 1")
    assert "not an input" in err.message


def test_output_switches_the_differentiated_node():
    s = seed_session()
    s.run_line(":output 3xy")
    assert (len(s.fwd), len(s.bwd)) == (2, 4)  # 3x, 3xy; then 3xy, 3x, y, x (not the literal 3)
    s.run_line(":backward")
    assert s.node_info(s.resolve("x")).grad == 9.0
    assert s.node_info(s.resolve("x²")).grad is None  # not part of f any more


def test_goto_runs_forward_and_back():
    s = seed_session()
    ev = s.run_line(":goto x²+3xy")
    assert steps(ev)[-1].node == "x²+3xy" and s.pos == 4
    s.run_line(":backward")
    ev = s.run_line(":goto 3x")
    assert s.current() == s.resolve("3x") and s.progress()[0] == "backward"
    assert steps(ev)[-1].phase == "backward"


@pytest.mark.parametrize("program", [
    SEED,
    "x1 = 2; x2 = 0; w1 = -3; w2 = 1; b = 6.8813735870195432; tanh(x1*w1 + x2*w2 + b)",
    "a = 0.7; b = 1.9; log(a*b + 1) / sqrt(b) + sigmoid(a - b)^3 + cos(a)*sin(b)",
])
def test_fd_check_passes_on_smooth_programs(program):
    s = Session()
    s.run_line(program)
    for args in ("", "all", "mode=forward"):
        (ev,) = s.run_line(f":check {args}")
        assert isinstance(ev, Check)
        assert ev.all_pass, event_text(ev)
        assert ev.evals == (2 * len(ev.rows) if ev.mode == "central" else len(ev.rows) + 1)


def test_fd_check_cost_grows_with_inputs():
    s = Session()
    s.run_line("; ".join(f"x{i} = {i}" for i in range(10)) + "; " + " + ".join(
        f"x{i}*x{i}" for i in range(10)))
    (ev,) = s.run_line(":check")
    assert len(ev.rows) == 10 and ev.evals == 20 and ev.inputs == 10


@pytest.mark.parametrize("program", ["x = 0; relu(x) + 1", "x = 0; 3*abs(x)", "x = 1; relu(x - 1)"])
def test_fd_check_flags_kinks(program):
    s = Session()
    s.run_line(program)
    (ev,) = s.run_line(":check")
    assert ev.rows[0].verdict == "kink"
    assert "not differentiable here" in event_text(ev)
    assert not ev.all_pass


def test_fd_check_of_an_intermediate_node_leaves_the_session_untouched():
    s = seed_session()
    s.run_line(":step 3")
    before = state(s)
    (ev,) = s.run_line(":check 3x")
    assert ev.rows[0].analytic == 3.0 and ev.rows[0].verdict == "pass"
    assert state(s) == before


def test_hsweep_has_the_v_shape():
    s = Session()
    s.run_line("x = 1.3; sin(x) * exp(x)")
    (ev,) = s.run_line(":hsweep x")
    assert isinstance(ev, HSweep)
    errs = {r.h: r.central_err for r in ev.rows}
    assert 1e-7 <= ev.best_central <= 1e-4
    assert 1e-10 <= ev.best_forward <= 1e-6
    assert errs[max(errs)] > 100 * errs[ev.best_central]  # truncation error at large h
    assert errs[min(errs)] > 100 * errs[ev.best_central]  # round-off at tiny h
    fwd = [r.forward_err for r in ev.rows]
    assert fwd[0] > fwd[4]  # forward differences improve as h shrinks, at first


def test_errors_are_events_never_exceptions():
    s = Session()
    for line in [":step", "x +", ":nosuch", ":back x", ":goto", ":show #99",
                 ":check mode=sideways", ":set x = 1e999"]:
        events = s.run_line(line)
        assert events and all(isinstance(e, Error) for e in events), line
    # A statement that parses but cannot be evaluated is kept, with the error beside it.
    kinds = [e.kind for e in s.run_line("log(0-1)")]
    assert kinds == ["statement", "error"]
    (err,) = s.run_line("y = 2; y +")
    assert err.at_line == 10 and "unfinished input" in err.message and "^" in err.caret


def test_eval_error_names_node_span_and_value():
    s = Session()
    ev = s.run_line("x = -2; y = log(x) + 1", file="prog.bp")
    err = [e for e in ev if isinstance(e, Error)][0]
    assert "log(x)" in err.message and "1:13-18" in err.message and "-2.0" in err.message
    # A line typed in a session: no line:column into a buffer nobody sees; the caret shows it.
    s = Session()
    (_, err) = s.run_line("x = -2; y = log(x) + 1")
    assert isinstance(err, Error)
    assert err.message == "cannot evaluate log(x): log needs a positive argument, got -2.0"
    assert err.caret.splitlines() == ["    x = -2; y = log(x) + 1", "                ^^^^^^"]
    assert event_text(err).startswith("error: cannot evaluate log(x)")  # no "<input>:1:13:"
    ev = s.run_line(":forward")
    assert any(isinstance(e, Error) for e in ev)


def test_json_events_carry_the_documented_fields():
    s = seed_session()
    for ev in s.run_line(":step 14"):
        data = json.loads(json.dumps(ev.to_dict()))
        assert {"event", "line"} <= set(data)
        if data["event"] == "step":
            assert {"phase", "node", "id", "value", "grad"} <= set(data)
    data = s.summary().to_dict()
    assert set(data) == {"event", "output", "inputs", "nodes", "outside"}


def test_help_lists_every_command_and_explains_one():
    from backprop_tui.registry import COMMANDS

    s = Session()
    text = event_text(s.run_line(":help")[0])
    for name in COMMANDS:
        assert f":{name}" in text
    assert "O(1)" in event_text(s.run_line(":help rs")[0])


def test_deep_graph_steps_at_default_recursion_limit():
    assert sys.getrecursionlimit() == 1000
    prog = parse("x = 1\n" + "(" * 20000 + "x" + "+1)" * 20000)
    s = Session(prog)
    s.run_line(":backward")
    assert s.node_info(s.output).value == 20001.0
    assert s.node_info(prog.bindings["x"]).grad == 1.0
    s.run_line(":back 30000")
    assert s.pos == s.steps_total - 30000


def test_core_never_imports_textual():
    code = ("import sys, backprop_tui, backprop_tui.session, backprop_tui.language, "
            "backprop_tui.graph, backprop_tui.gradcheck, backprop_tui.events\n"
            "bad = [m for m in sys.modules if m.split('.')[0] == 'textual']\n"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_value_display_of_nonfinite_is_a_warning():
    s = Session()
    ev = s.run_line("x = 800; exp(x) * 2")
    assert ev[0].value == math.inf
    ev = s.run_line(":forward")
    assert any(e.kind == "warning" for e in ev)


def test_a_rebound_input_is_still_an_input_of_f():
    s = Session()
    s.run_line("c = 1; c = c + c + 1")
    assert s.summary().inputs == [{"name": "c", "value": 1.0, "grad": 2.0}]
    (ev,) = s.run_line(":check")
    assert [r.node for r in ev.rows] == ["c"] and ev.all_pass


def test_a_statement_typed_after_a_colon_gets_a_hint():
    s = Session()
    (err,) = s.run_line(":w = 0.5; tanh(w)")
    assert err.message == "unknown command ':w'; a statement is typed without the ':', as w = 0.5; tanh(w)"
    (err,) = s.run_line(":stpe")
    assert err.message == "unknown command ':stpe'; did you mean :step?"
