"""Issue 13 in the session: :mode forward (stepped forward-mode AD), :trace (Baydin et al.'s
tables), :check mode=complex|richardson|order=2, :hsweep's four methods, :hessian, :hvp,
and what :compare and the summary say about passes."""

from __future__ import annotations

import json
import math

import pytest

from backprop_tui.events import Check, Error, HSweep, Info, Phase, Step
from backprop_tui.render_text import text as event_text
from backprop_tui.reports import HVP, Compare, Hessian, Trace
from backprop_tui.session import Session

BAYDIN = "x1 = 2; x2 = 5; log(x1) + x1*x2 - sin(x2)"
DX2 = 5 * 0 + 2 + -math.cos(5)  # ∂y/∂x₂ = x₁ − cos x₂ = 1.716…


def session(text: str = BAYDIN) -> Session:
    s = Session()
    for line in text.split("\n"):
        s.run_line(line)
    return s


def only(events, kind):
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, events
    return found[0]


# ---------------------------------------------------------------- :mode forward

def test_forward_mode_steps_show_the_tangent_rule_with_numbers():
    s = session()
    (info,) = s.run_line(":mode forward x1")
    assert "5 steps give ∂f/∂x1" in info.message and "2 tangent passes" in info.message
    events = s.run_line(":step 5")
    steps = [e for e in events if isinstance(e, Step)]
    assert [e.mode for e in steps] == ["forward"] * 5
    # Program order: log(x1), x1·x2, their sum, sin(x2), y (Baydin's v₁, v₂ first).
    assert [e.tangent for e in steps] == [0.5, 5.0, 5.5, 0.0, 5.5]
    assert [e.value for e in steps][-1] == pytest.approx(11.652071455223084)
    mul = steps[1]
    assert [(t.operand, t.local, t.tangent) for t in mul.tangent_terms] == [("x1", 5.0, 1.0),
                                                                           ("x2", 2.0, 0.0)]
    assert event_text(mul).splitlines()[1].strip() == "∂(x1·x2)/∂x1 = x2·1 + x1·0 = 5·1 + 2·0 = 5"
    data = json.loads(json.dumps(mul.to_dict()))
    assert data["tangent"] == 5.0 and data["mode"] == "forward" and data["seed"] == "x1"
    phases = [e.message for e in events if isinstance(e, Phase)]
    assert phases[0] == "tangent pass 1/1 done: ∂f/∂x1 = 5.5"
    assert "all 2 partials take 2 tangent passes" in phases[1]
    assert s.tangent(s.output) == 5.5 and s.node_info(s.output).tangent == 5.5
    assert s.node_info(s.output).grad is None  # no gradient in forward mode
    assert s.progress_text() == "done: tangent pass 1/1 (∂/∂x1) 5/5"


def test_forward_mode_over_every_input_counts_passes():
    s = session()
    s.run_line(":mode forward")
    assert s.steps_total == 10 and len(s.seeds) == 2
    events = s.run_line(":continue")
    assert events[0].message.startswith("ran 10 steps")
    done = [e.message for e in events if isinstance(e, Phase)]
    assert done[:2] == ["tangent pass 1/2 done: ∂f/∂x1 = 5.5",
                        "tangent pass 2/2 done: ∂f/∂x2 = 1.71634"]
    assert "from 2 tangent passes (one per input)" in done[2]
    names = {s.prog.bindings["x1"]: 5.5, s.prog.bindings["x2"]: DX2}
    for seed, result in s.pass_results():
        assert result == pytest.approx(names[seed], rel=1e-15)
    assert "forward mode 2 tangent passes" in s.passes_text()


def test_forward_mode_undo_is_exact_across_passes():
    s = session()
    s.run_line(":mode forward")
    states = []
    for _ in range(10):
        states.append((list(s.prog.graph.value), [s.tangent(i) for i in range(7)], s.current()))
        s.run_line(":step")
    assert len(s.pass_results()) == 2
    for k in range(9, -1, -1):
        s.run_line(":back")
        assert s.pos == k
        value, tangents, cur = states[k]
        assert [s.tangent(i) for i in range(7)] == tangents and s.current() == cur
        assert [v for v in s.prog.graph.value if v == v] == [v for v in value if v == v]
        assert len(s.pass_results()) == (2 if k == 10 else 1 if k >= 5 else 0)
    assert s.pass_results() == []
    # One step into pass 2 (seed x2): x1·x2 still holds its pass-1 tangent in the array,
    # but the view sees None until this pass computes it; its value is known from pass 1.
    s.run_line(":step 6")
    log, mul = s.fwd[0], s.fwd[1]
    assert s.tangent(log) == 0.0 and s.tangent(mul) is None and s.computed(mul)
    assert s.node_info(mul).tangent is None and s.node_info(mul).value == pytest.approx(10.0)


def test_forward_mode_navigation():
    s = session()
    s.run_line(":mode forward")
    (step,) = [e for e in s.run_line(":goto sin(x2)") if isinstance(e, Step)]
    assert step.node == "sin(x2)" and step.pass_no == 1 and step.tangent == 0.0
    s.run_line(":forward")
    assert s.pos == 5
    s.run_line(":forward")
    assert s.pos == 10
    (err,) = s.run_line(":backward")
    assert isinstance(err, Error) and "forward mode has no backward pass" in err.message
    (err,) = s.run_line(":goto x1")
    assert "leaf" in err.message
    s.run_line(":mode reverse")
    assert s.mode == "reverse" and s.pos == 0 and s.steps_total == 12
    s.run_line(":backward")
    assert s.node_info(s.prog.bindings["x1"]).grad == 5.5
    assert s.tangent(s.output) is None


@pytest.mark.parametrize("line,message", [
    (":mode forward c", "c is a constant: its tangent is 0"),
    (":mode forward log(x1)", "log(x1) is not an input but a log node"),
    (":mode forward z", "f does not depend on z"),
    (":mode forward nope", "no node 'nope'"),
    (":mode sideways", "unknown mode 'sideways': expected forward or reverse"),
    (":mode reverse x1", "usage: :mode reverse"),
])
def test_forward_mode_refuses_what_it_cannot_seed(line, message):
    s = session("c: const = 3; z = 1; x1 = 2; x2 = 5; log(x1) + x1*x2 - sin(x2) + c")
    (err,) = s.run_line(line)
    assert isinstance(err, Error) and message in err.message, err.message
    if line.startswith(":mode forward ") and "nope" not in line:  # names what can be seeded
        assert "x1, x2" in err.message and "z" not in err.message.split("inputs")[-1]
    assert s.mode == "reverse"


def test_forward_mode_needs_inputs_and_follows_new_statements():
    s = session("1 + 2")
    (err,) = s.run_line(":mode forward")
    assert "has no inputs" in err.message
    s = session("x = 2; x^2")
    s.run_line(":mode forward")
    s.run_line("y = 3; x*y")  # a new output: the passes follow f's inputs
    assert s.mode == "forward" and len(s.seeds) == 2 and s.steps_total == 2
    s.run_line(":continue")
    assert [r for _, r in s.pass_results()] == [3.0, 2.0]
    s.run_line(":set x = 4")
    assert s.pos == 0 and s.mode == "forward"
    s.run_line(":mode forward x")
    s.run_line(":output x")  # f = x: no operations, no steps; ∂x/∂x = 1
    assert s.steps_total == 0 and s.tangent(s.output) == 1.0


# ---------------------------------------------------------------- :trace

def test_trace_reproduces_baydin_tables_2_and_3():
    s = session()
    adj = only(s.run_line(":trace"), Trace)
    assert adj.mode == "reverse" and round(adj.value, 3) == 11.652
    assert {k: round(v, 3) for k, v in adj.derivatives.items()} == {"x1": 5.5, "x2": 1.716}
    assert [r.index for r in adj.primal] == [-1, 0, 1, 2, 3, 4, 5, 5]
    assert [r.formula for r in adj.primal[:2]] == ["v₋₁ = x1", "v₀ = x2"]
    # Program order gives Baydin's v₁ = ln x₁ and v₂ = x₁x₂; the sum comes before sin x₂.
    assert [r.formula for r in adj.primal[2:4]] == ["v₁ = log(v₋₁)", "v₂ = v₋₁ × v₀"]
    assert "v₃ = v₁ + v₂" in [r.formula for r in adj.primal]
    # Adjoint rows: the seed, then one accumulation per edge in reverse order, then x̄.
    assert adj.adjoint[0].formula == "v̄₅ = ȳ" and adj.adjoint[0].value == 1.0
    acc = [r for r in adj.adjoint if " = v̄₋₁ + " in r.formula or " = v̄₀ + " in r.formula]
    # In reverse program order x₂'s second contribution (from x₁x₂) arrives before x₁'s.
    assert [round(r.value, 3) for r in acc] == [1.716, 5.5]
    assert [r.formula for r in adj.adjoint[-2:]] == ["x̄1 = v̄₋₁", "x̄2 = v̄₀"]
    fwd = only(s.run_line(":trace x1"), Trace)
    assert fwd.mode == "forward" and fwd.seed == "x1"
    assert [r.value for r in fwd.tangent] == [1.0, 0.0, 0.5, 5.0, 5.5, 0.0, 5.5, 5.5]
    assert "v̇₁ = v̇₋₁/v₋₁ = 1/2 = 0.5" in event_text(fwd)  # Baydin's numbering, as in Table 2
    data = json.loads(json.dumps(fwd.to_dict()))
    assert data["event"] == "trace"
    assert set(data["primal"][0]) == {"index", "id", "label", "formula", "numbers", "value"}
    # Forward mode's seed chooses the tangent trace; the stepping state is untouched.
    s.run_line(":mode forward x2")
    s.run_line(":step 2")
    before = (s.pos, [repr(v) for v in s.prog.graph.value], s.tangent(s.fwd[1]))
    x2 = only(s.run_line(":trace"), Trace)
    assert x2.seed == "x2" and x2.tangent[-1].value == pytest.approx(DX2)
    assert (s.pos, [repr(v) for v in s.prog.graph.value], s.tangent(s.fwd[1])) == before


@pytest.mark.parametrize("line,message", [(":trace z", "f does not depend on z"),
                                          (":trace forward c", "c is a constant"),
                                          (":trace reverse x1", "usage: :trace reverse")])
def test_trace_errors(line, message):
    s = session("c: const = 1; z = 0; x1 = 2; x2 = 5; log(x1) + x1*x2 - sin(x2)*c")
    (err,) = s.run_line(line)
    assert isinstance(err, Error) and message in err.message


def test_trace_refuses_a_huge_graph_and_a_function_without_inputs():
    s = session("x = 1\n" + "x = x + 1\n" * 2001 + "x")
    (err,) = s.run_line(":trace")
    assert "at most 2,000" in err.message
    (err,) = session("2 + 3").run_line(":trace")
    assert "no inputs" in err.message


# ---------------------------------------------------------------- :check and :hsweep

SQUIRE_TRAPP = "x = 1.5; exp(x)/sqrt(sin(x)^3 + cos(x)^3)"


def test_check_modes_on_squire_trapp():
    s = session(SQUIRE_TRAPP)
    for mode, bound, tol in [("complex", 1e-14, (1e-12, 1e-10)), ("richardson", 1e-10, (1e-9, 1e-7))]:
        ev = only(s.run_line(f":check mode={mode}"), Check)
        assert ev.mode == mode and (ev.atol, ev.rtol) == tol and ev.all_pass
        assert ev.rows[0].rel_err <= bound and ev.rows[0].mode == mode
        assert json.loads(json.dumps(ev.to_dict()))["rows"][0]["mode"] == mode
    text = event_text(only(s.run_line(":check all mode=complex"), Check))
    assert "complex-step check (Im f(x + ih)/h" in text and "1.0e-20" in text


def test_hsweep_tabulates_four_methods_to_1e_20():
    s = session(SQUIRE_TRAPP)
    ev = only(s.run_line(":hsweep"), HSweep)
    assert len(ev.rows) == 20 and ev.rows[-1].h == pytest.approx(1.5e-20)
    rel = [r.complex_err / abs(ev.analytic) for r in ev.rows if r.h < 1e-7]
    assert max(rel) <= 1e-15
    assert 1e-4 <= ev.best_richardson <= 1e-2 and 1e-7 <= ev.best_central <= 1e-4
    text = event_text(ev)
    assert "Richardson" in text and "complex step" in text and "relative error" in text


def test_check_order_2_and_kinks():
    s = session("x = 2; y = 3; x^2 + 3x*y + 1")
    ev = only(s.run_line(":check order=2"), Check)
    assert ev.order == 2 and ev.all_pass and len(ev.rows) == 4
    assert [(r.node, r.analytic) for r in ev.rows] == [("x,x", 2), ("y,x", 3), ("x,y", 3), ("y,y", 0)]
    assert s.run_line(":expect check pass")[0].passed
    s = session("x = 0; relu(x)*x + x*x")
    ev = only(s.run_line(":check order=2"), Check)
    assert ev.rows[0].verdict == "kink" and "not differentiable here" in event_text(ev)
    ev = only(s.run_line(":check mode=complex"), Check)
    assert ev.rows[0].verdict == "kink"
    for line, msg in [(":check order=3", "order must be 1"),
                      (":check order=2 mode=complex", "order=2 checks the Hessian"),
                      (":check order=2 x", "give no node"),
                      (":check mode=imaginary", "expected central, forward, richardson or complex")]:
        (err,) = s.run_line(line)
        assert isinstance(err, Error) and msg in err.message, line


# ---------------------------------------------------------------- :hessian, :hvp

def test_seed_hessian_and_hvp():
    s = session("x = 2; y = 3; x^2 + 3x*y + 1")
    h = only(s.run_line(":hessian"), Hessian)
    assert h.inputs == ["x", "y"] and h.matrix == [[2.0, 3.0], [3.0, 0.0]] and h.asymmetry == 0
    assert json.loads(json.dumps(h.to_dict()))["matrix"] == [[2, 3], [3, 0]]
    p = only(s.run_line(":hvp 1 -2"), HVP)
    assert p.product == [-4.0, 3.0] and p.gradient == [13.0, 6.0]
    assert only(s.run_line(":hvp y=1"), HVP).product == [3.0, 0.0]
    assert only(s.run_line(":hvp x = 1, y = 1"), HVP).product == [5.0, 3.0]
    for line, msg in [(":hvp 1", "got 1 number; f has 2 inputs (x, y)"),
                      (":hvp z=1", "no input named 'z'"), (":hvp x=abc", "abc"),
                      (":hvp x=1 junk", "cannot read"), (":hvp", "usage: :hvp"),
                      (":hessian extra", "usage: :hessian")]:
        (err,) = s.run_line(line)
        assert isinstance(err, Error) and msg in err.message, (line, err.message)


def test_hessian_refuses_many_inputs_and_says_hvp_scales():
    n = 101
    s = session("\n".join(f"x{i} = {i * 0.01}" for i in range(n)) + "\n"
                + " + ".join(f"x{i}^2" for i in range(n)))
    (err,) = s.run_line(":hessian")
    assert isinstance(err, Error) and "101 inputs" in err.message and ":hvp" in err.message
    p = only(s.run_line(":hvp x7=1"), HVP)
    assert p.product[7] == 2.0 and sum(p.product) == 2.0
    (err,) = session("1 + 2").run_line(":hessian")
    assert "no inputs" in err.message


# ---------------------------------------------------------------- :compare, summary

def test_compare_adds_forward_mode():
    s = session()
    ev = only(s.run_line(":compare"), Compare)
    c = ev.result
    assert c.fm_passes == 2 and c.time_forward_mode is not None
    assert [r.forward_mode for r in c.inputs] == pytest.approx([5.5, DX2], rel=1e-15)
    text = event_text(ev)
    assert "forward mode (AD)" in text and "2 tangent passes" in text


def test_summary_says_what_each_mode_needs():
    s = session()
    summary = s.summary()
    assert summary.passes == {"inputs": 2, "forward_mode": 2, "reverse_mode": 2}
    assert "all 2 partials: reverse mode 1 forward + 1 backward pass; forward mode 2 tangent " \
           "passes" in event_text(summary)
    assert "passes" not in summary.to_dict()  # the JSON object keeps issue 2's shape
    (info,) = s.run_line(":mode")
    assert info.message == ("reverse mode (backprop): forward 0/5; all 2 partials: reverse mode 1 "
                            "forward + 1 backward pass, forward mode 2 tangent passes")
    s.run_line(":mode forward x1")
    (info,) = s.run_line(":mode")
    assert isinstance(info, Info) and info.message.startswith("forward mode tangent pass 1/1 (∂/∂x1) 0/5")
