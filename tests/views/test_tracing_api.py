"""The Python tracing API: Var, const and the functions build the language's graph node for
node; gradients, sessions, checks, user operators, the not-a-number errors, big traces."""

from __future__ import annotations

import io
import math

import pytest

import backprop_tui as bt
from backprop_tui import headless
from backprop_tui.events import Check
from backprop_tui.labels import label
from backprop_tui.language import parse
from backprop_tui.ops import OPS
from backprop_tui.render_text import text
from backprop_tui.session import Session
from backprop_tui.tracing import cone_graph


def same_graph(traced, prog) -> None:
    """Node for node: op, operands, literal exponent, values of leaves, labels."""
    g, h = traced, prog.graph
    assert len(g) == len(h)
    assert (g.op, g.a, g.b, g.k) == (h.op, h.a, h.b, h.k)
    assert [label(g, i) for i in range(len(g))] == [label(h, i) for i in range(len(h))]
    leaves = [i for i in range(len(g)) if g.is_leaf(i)]
    assert [g.value[i] for i in leaves] == [h.value[i] for i in leaves]


def test_the_seed_traced_has_gradients_13_and_6():
    x = bt.Var(2, "x")
    y = bt.Var(3, "y")
    f = x**2 + 3*x*y + 1
    assert f.value == 23
    f.backward()
    assert (x.grad, y.grad) == (13.0, 6.0)
    f.backward()  # idempotent, unlike micrograd's
    assert (x.grad, y.grad) == (13.0, 6.0)
    assert f.name == "x²+3xy+1" and x.name == "x"
    assert repr(x) == "Var(x = 2, grad=13)"


def test_the_trace_is_the_languages_graph_node_for_node():
    x = bt.Var(2, "x")
    y = bt.Var(3, "y")
    f = x**2 + 3*x*y + 1
    sub, _ = cone_graph(f.graph, f.node)
    same_graph(sub, parse("x = 2; y = 3; x^2 + 3x*y + 1"))


def test_every_operator_and_function_matches_the_language():
    a = bt.Var(0.7, "a")
    b = bt.Var(1.9, "b")
    f = (2 - a) / (b + 1) - a / 3 + (-a) * 2**b + b**a + abs(a - b) + pow(a, 3) + pow(2, a)
    f = f + bt.exp(a) + bt.log(b) + bt.sqrt(b) + bt.sin(a) * bt.cos(b) + bt.tan(a)
    f = f + bt.tanh(b) + bt.sigmoid(a) + bt.relu(a - b) + bt.max(a, b) - bt.min(a, b, 1)
    f = f + bt.sum(a, b, a * b) + bt.const(3.5, "c") * a + bt.const(2) * b
    prog = parse("a = 0.7; b = 1.9; c: const = 3.5\n"
                 "f = (2 - a) / (b + 1) - a / 3 + (-a) * 2^b + b^a + abs(a - b) + pow(a, 3)"
                 " + pow(2, a)\n"
                 "f = f + exp(a) + log(b) + sqrt(b) + sin(a) * cos(b) + tan(a)\n"
                 "f = f + tanh(b) + sigmoid(a) + relu(a - b) + max(a, b) - min(a, b, 1)\n"
                 "f = f + sum(a, b, a*b) + c * a + 2 * b")
    sub, idx = cone_graph(f.graph, f.node)
    # The language binds the constant c before the expression; the trace makes it where
    # it is used: compare everything but node order, by structure of the output's cone.
    from backprop_tui.gradcheck import reference
    ref = reference(prog.graph, prog.output)
    assert f.value == pytest.approx(ref.value[prog.output], rel=1e-15)
    f.backward()
    assert (a.grad, b.grad) == pytest.approx((ref.grad[0], ref.grad[1]), rel=1e-13)
    names = sorted(OPS[o].name for o in sub.op)
    assert names == sorted(OPS[o].name for i, o in enumerate(prog.graph.op)
                           if prog.graph.cone(prog.output)[i])


def test_numbers_on_either_side_and_exponents():
    x = bt.Var(3.0, "x")
    for got, want, lang in [(1 + x, 4, "1 + x"), (x - 1, 2, "x - 1"), (1 - x, -2, "1 - x"),
                            (2 * x, 6, "2*x"), (x / 2, 1.5, "x / 2"), (6 / x, 2, "6 / x"),
                            (x ** 2, 9, "x^2"), (2 ** x, 8, "2^x"), (-x, -3, "-x"),
                            (+x, 3, "x")]:
        assert got.value == want
        sub, _ = cone_graph(got.graph, got.node)
        same_graph(sub, parse(f"x = 3; {lang}"))


def test_a_traced_value_is_not_a_number():
    x = bt.Var(1.0, "x")
    cases = [lambda: float(x), lambda: int(x), lambda: math.sin(x), lambda: bool(x),
             lambda: x > 0, lambda: x <= 1, lambda: round(x), lambda: max(x, 1.0),
             lambda: [1, 2][x]]
    for case in cases:
        with pytest.raises(bt.NotANumber) as info:
            case()
        msg = str(info.value)
        assert "backprop_tui.sin" in msg and "fixed at trace time" in msg and ".value" in msg
    with pytest.raises(bt.NotANumber, match="if/while"):
        if x:
            pass
    assert x == x and x in [x] and len({x, x}) == 1  # identity still works


def test_bad_values_and_domain_errors_are_clear():
    with pytest.raises(TypeError, match="a Var's value must be a number, not str"):
        bt.Var("2")
    x = bt.Var(-1.0, "x")
    with pytest.raises(bt.TraceError, match="log needs a positive argument, got -1.0"):
        bt.log(x)
    n = len(x.graph)
    with pytest.raises(bt.TraceError, match="division by zero"):
        _ = 1 / (x + 1)
    # The literals and x + 1 stay (unused nodes, off every cone); the failed division does not.
    assert len(x.graph) == n + 3 and OPS[x.graph.op[-1]].name == "literal"
    with pytest.raises(ValueError, match="printable"):
        bt.Var(1, "a\nb")
    assert bt.exp(0.0) == 1.0 and bt.max(1, 2) == 2 and bt.sum([1, 2, 3]) == 6


def test_unnamed_vars_get_names_and_intermediates_their_labels():
    a = bt.Var(1.0)
    b = bt.Var(2.0)
    c = a * b + a
    assert (a.name, b.name, c.name) == ("v1", "v2", "v1·v2+v1")


def test_functions_decorated_are_labelled_by_call():
    @bt.function
    def neuron(x, w, b):
        return bt.tanh(w * x + b)

    x1, w1, b1 = bt.Var(2, "x1"), bt.Var(-3, "w1"), bt.Var(6.88, "b1")
    x2, w2, b2 = bt.Var(1, "x2"), bt.Var(0.5, "w2"), bt.Var(1, "b2")
    o = neuron(x1, w1, b1) + neuron(x2, w2, b2)
    sub, _ = cone_graph(o.graph, o.node)
    prog = parse("neuron(x, w, b) = tanh(w*x + b)\nx1 = 2; w1 = -3; b1 = 6.88\n"
                 "x2 = 1; w2 = 0.5; b2 = 1\nneuron(x1, w1, b1) + neuron(x2, w2, b2)")
    same_graph(sub, prog)  # labels included: neuron#1: tanh(w1·x1+b1), …


def test_a_1e5_node_trace_and_a_1e5_deep_chain_backward():
    x = bt.Var(0.5, "x")
    n0 = len(x.graph)  # Vars alive elsewhere share the graph
    acc = x
    for _ in range(50_000):  # a literal, a product and a sum per step: 1e5 deep
        acc = acc * 0.99999 + x
    assert len(x.graph) - n0 == 150_000
    acc.backward()  # no recursion anywhere
    # d/dx of the recurrence a ← 0.99999a + x: a' ← 0.99999a' + 1, from a' = 1.
    d = 1.0
    for _ in range(50_000):
        d = 0.99999 * d + 1
    assert x.grad == pytest.approx(d, rel=1e-9)
    s = bt.session(acc)
    # The cone: x and every node above it; its 50,000 literals take no backward step.
    assert len(s.prog.graph) == len(s.nodes_of_f()) == 150_001 and len(s.bwd) == 100_001
    assert s.prog.inputs() == [("x", 0)]


def test_session_on_a_trace_steps_without_touching_the_vars():
    x = bt.Var(2, "x")
    y = bt.Var(3, "y")
    f = x**2 + 3*x*y + 1
    s = bt.session(f)
    assert isinstance(s, Session)
    events = s.run_line(":backward")
    assert events[-1].message == "backward pass done: ∂f/∂x = 13, ∂f/∂y = 6"
    assert f.value == 23 and x.value == 2  # the session stepped a copy
    s.run_line(":set x = 1")
    assert s.summary().inputs[0]["grad"] == 11
    assert x.value == 2
    assert s.run_line("x*y")[0].value == 3  # later statements see the Vars' names


def test_check_report_prints_as_headless_mode_prints_check():
    x = bt.Var(2, "x")
    y = bt.Var(3, "y")
    report = bt.check(x**2 + 3*x*y + 1)
    assert report.ok
    assert [(r.node, r.analytic, r.verdict) for r in report.rows] == [("x", 13.0, "pass"),
                                                                      ("y", 6.0, "pass")]
    assert all(abs(r.numeric - r.analytic) < 1e-8 and r.abs_err < 1e-8 for r in report.rows)
    out = io.StringIO()
    headless.run([("text", "x = 2; y = 3; x^2 + 3x*y + 1\n:check")],
                 headless.Options(color=False), out, io.StringIO())
    table = str(report).splitlines()
    printed = [line.strip() for line in out.getvalue().splitlines()]
    assert table[0] in printed and table[1] in printed
    assert [t.split()[:3] for t in table[2:4]] == [p.split()[:3] for p in printed
                                                   if p.startswith(("x ", "y "))][:2]
    assert isinstance(report.event, Check) and text(report.event) == str(report)


def test_user_operator_steps_checks_draws_and_a_wrong_derivative_fails_the_check():
    softplus = bt.op("softplus_t", lambda a: math.log1p(math.exp(a)),
                     [lambda a: 1 / (1 + math.exp(-a))])
    x = bt.Var(0.5, "x")
    f = softplus(x) * x
    f.backward()
    sp = math.log1p(math.exp(0.5))
    assert f.value == sp * 0.5
    assert x.grad == pytest.approx(sp + 0.5 / (1 + math.exp(-0.5)), rel=1e-15)
    assert f.name == "softplus_t(x)·x"
    assert bt.check(f).ok
    # The language calls it by name; stepping shows its local derivative.
    s = Session(parse("x = 0.5; softplus_t(x)"))
    s.run_line(":forward")
    local = s.local_derivatives(s.output)
    assert local[0].text == "softplus_t′(x)" and local[0].value == pytest.approx(0.6224593, 1e-6)
    from backprop_tui.dot import to_dot
    assert "softplus_t" in to_dot(s)
    # A wrong derivative is what the finite-difference check finds.
    wrong = bt.op("softplus_w", lambda a: math.log1p(math.exp(a)), [lambda a: math.exp(-a)])
    report = bt.check(wrong(bt.Var(0.5, "x")))
    assert not report.ok and report.rows[0].verdict == "fail"
    two = bt.op("hyp", lambda a, b: math.hypot(a, b), [lambda a, b: a / math.hypot(a, b),
                                                      lambda a, b: b / math.hypot(a, b)])
    p, q = bt.Var(3.0, "p"), bt.Var(4.0, "q")
    h = two(p, q)
    h.backward()
    assert (h.value, p.grad, q.grad) == (5.0, 0.6, 0.8)
    assert bt.check(h).ok


def test_user_operator_errors():
    with pytest.raises(bt.OpError, match="built-in operator"):
        bt.op("tanh", math.tanh, [lambda a: 1.0])
    with pytest.raises(bt.OpError, match="1 or 2 operands"):
        bt.op("three", lambda a, b, c: a, [lambda a, b, c: 1] * 3)
    with pytest.raises(bt.OpError, match="name of the language"):
        bt.op("not a name", math.tanh, [lambda a: 1.0])
    boom = bt.op("boom", lambda a: 1 / 0 if a > 1 else a, [lambda a: 1.0])
    with pytest.raises(bt.TraceError, match="boom raised ZeroDivisionError"):
        boom(bt.Var(2.0, "x"))
    bad = bt.op("badtype", lambda a: "x", [lambda a: 1.0])
    with pytest.raises(bt.TraceError, match="returned str, not a number"):
        bad(bt.Var(2.0, "x"))
    s = Session(parse("x = 2"))
    assert "boom raised ZeroDivisionError" in s.run_line("boom(x)")[-1].message


def test_debug_opens_the_tui_on_the_traced_session():
    pytest.importorskip("textual")
    import asyncio

    from backprop_tui.api import app_for

    x = bt.Var(2, "x")
    y = bt.Var(3, "y")
    s = bt.session(x**2 + 3*x*y + 1)
    app = app_for(s)

    async def drive():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f7")  # the backward pass, as the key does
            await pilot.pause()
            assert app.session is s and s.summary().output["value"] == 23
            assert s.pos == s.steps_total

    asyncio.run(drive())


def test_the_readme_example_runs_as_printed(tmp_path):
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Your own functions, in Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "23.0 13.0 6.0" and lines[1] == "True" and lines[-1] == "True"
    assert lines[2:5] == ["step x² = 2² = 4", "step 3x = 3 × 2 = 6", "step 3xy = 6 × 3 = 18"]
