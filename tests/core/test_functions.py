"""The language's functions (definitions inlined per call, labelled by call), max, min and
the n-ary sum, and :repeat: parsing, labels, gradients against sympy, errors, limits."""

from __future__ import annotations

import math
import random

import pytest
import sympy

import backprop_tui  # noqa: F401  registers the :commands
from backprop_tui.events import Defined, Error, Info, Statement
from backprop_tui.gradcheck import reference
from backprop_tui.labels import label
from backprop_tui.language import LangError, Program, parse
from backprop_tui.language.functions import MAX_LINE_NODES
from backprop_tui.ops import OPS
from backprop_tui.session import Session


def error(text: str, prog: Program | None = None) -> LangError:
    prog = prog or Program()
    with pytest.raises(LangError) as info:
        prog.run(text)
    return info.value


def grads(prog: Program) -> dict[str, float]:
    ref = reference(prog.graph, prog.output)
    return {name: ref.grad[i] for name, i in prog.inputs()}


# ---------------------------------------------------------------------- definitions

NEURON = "neuron(x, w, b) = tanh(w*x + b)\nx1 = 2; w1 = -3; b1 = 6.88\nx2 = 1; w2 = 0.5; b2 = 1\n"


def test_a_call_inlines_the_body_and_labels_its_nodes_by_call():
    prog = parse(NEURON + "o = neuron(x1, w1, b1) + neuron(x2, w2, b2)")
    g = prog.graph
    ops = [OPS[o].name for o in g.op]
    assert ops == ["input"] * 6 + ["mul", "add", "tanh"] * 2 + ["add"]
    labels = [label(g, i) for i in range(6, 12)]
    assert labels == ["neuron#1: w1·x1", "neuron#1: w1·x1+b1", "neuron#1: tanh(w1·x1+b1)",
                      "neuron#2: w2·x2", "neuron#2: w2·x2+b2", "neuron#2: tanh(w2·x2+b2)"]
    assert g.call_name(8) == "neuron#1" and g.call_name(12) is None  # o is outside the calls
    assert g.a[6] == 1 and g.b[6] == 0  # the parameters are the arguments' nodes
    value = reference(g, prog.output).value[prog.output]
    assert value == math.tanh(-3 * 2 + 6.88) + math.tanh(0.5 * 1 + 1)


def test_a_definition_builds_no_node_and_is_reported():
    s = Session()
    events = s.run_line("neuron(x, w, b) = tanh(w*x + b)")
    assert len(s.prog.graph) == 0 and s.output is None
    assert [type(e) for e in events] == [Defined]
    assert (events[0].name, events[0].params, events[0].ops) == ("neuron", ["x", "w", "b"], 3)
    both = s.run_line("sq(t) = t^2; x = 3; sq(x)")
    assert [type(e) for e in both] == [Defined, Statement]
    assert both[1].value == 9


def test_definitions_call_earlier_definitions_with_nested_call_labels():
    prog = parse("sq(t) = t*t\nnorm2(a, b) = sq(a) + sq(b)\nx = 3; y = 4\nn = norm2(x, y)\n"
                 "m = norm2(y, x)")
    g = prog.graph
    by_call = {}
    for i in range(len(g)):
        if g.call_name(i):
            by_call.setdefault(g.call_name(i), []).append(OPS[g.op[i]].name)
    # Innermost call wins: sq's products are sq#k, the sum is norm2's own.
    assert by_call == {"sq#1": ["mul"], "sq#2": ["mul"], "norm2#1": ["add"],
                       "sq#3": ["mul"], "sq#4": ["mul"], "norm2#2": ["add"]}
    assert grads(prog) == {"x": 6.0, "y": 8.0}  # the output is m = y² + x²


def test_a_body_sees_its_parameters_constants_and_names_bound_before_it():
    prog = parse("w = 2\nscale(x) = w*x + pi\nw = 100\nv = 5\nscale(v)")
    # w was 2 when scale was defined; rebinding w later does not change the body.
    assert reference(prog.graph, prog.output).value[prog.output] == 2 * 5 + math.pi
    prog = parse("f(e) = e^2\nx = 3\nf(x)")  # a parameter shadows the constant e
    assert reference(prog.graph, prog.output).value[prog.output] == 9


def test_literal_parameter_and_empty_bodies():
    prog = parse("one(x) = 1\nid(x) = x\nx = 4\nid(x) + one(x) + id(2)")
    assert reference(prog.graph, prog.output).value[prog.output] == 7
    assert grads(prog) == {"x": 1.0}
    prog = parse("k() = 2*pi\nk()")
    assert reference(prog.graph, prog.output).value[prog.output] == 2 * math.pi


def test_redefinition_applies_to_later_calls_only():
    s = Session()
    s.run_line("f(x) = 2x; a = 1; p = f(a)")
    events = s.run_line("f(x) = 3x")
    assert events[0].redefines
    s.run_line("q = f(a)")
    ref = reference(s.prog.graph, s.prog.output)
    assert ref.value[s.prog.bindings["p"]] == 2 and ref.value[s.prog.bindings["q"]] == 3


def test_deep_chains_of_definitions_inline_without_recursion():
    # f0(x) = x + 1, f_k(x) = f_{k-1}(x) + 1: each body copies the previous one's tape, and
    # the nesting (1,200) is deeper than Python's recursion limit.
    lines = ["f0(x) = x + 1"] + [f"f{k}(x) = f{k - 1}(x) + 1" for k in range(1, 1200)]
    prog = parse("\n".join(lines) + "\nx = 0.5\nf1199(x)")
    assert reference(prog.graph, prog.output).value[prog.output] == 1200.5
    assert grads(prog) == {"x": 1.0}
    assert label(prog.graph, prog.output).startswith("f1199#1: ")
    assert len(prog.graph.calls) == 1200  # one call per level, each innermost for its node


def test_a_failed_definition_or_call_leaves_the_program_as_it_was():
    s = Session()
    s.run_line("f(x) = x^2; a = 2")
    n = len(s.prog.graph)
    assert s.run_line("g(x) = x + nope")[0].kind == "error"
    assert "g" not in s.prog.functions and len(s.prog.graph) == n
    assert s.run_line("b = f(a) + log(-1) + f(zzz)")[0].kind == "error"
    assert len(s.prog.graph) == n and s.prog.graph.calls == [] and not s.prog.graph.call_of
    s.run_line("f(a)")
    assert s.prog.graph.call_name(s.output) == "f#1"  # numbering restarted after the rollback


# ---------------------------------------------------------------------- errors

@pytest.mark.parametrize("text, message, col", [
    ("f(x) = f(x) + 1", "f calls itself: recursion is not supported", 8),
    ("sin(x) = x", "sin is a built-in function: a definition cannot shadow it", 1),
    ("sum(a, b) = a", "sum is a built-in function", 1),
    ("pi(x) = x", "pi is a built-in constant", 1),
    ("f(x, x) = 1", "parameter x appears twice in the definition of f", 6),
    ("f(x, 2) = 1", "a parameter must be a name, got '2'", 6),
    ("f(x,) = 1", "a parameter must be a name, got nothing", 5),
    ("f(x) = x + y", "unknown name 'y'", 12),
    ("f(x) = g(x)", "unknown function 'g'", 8),
])
def test_definition_errors_say_where_and_what(text, message, col):
    err = error(text)
    assert message in err.message
    assert (err.line, err.col) == (1, col)


def test_wrong_arity_and_recursion_through_a_later_name_are_errors():
    prog = parse("neuron(x, w, b) = tanh(w*x + b); a = 1")
    err = error("neuron(a, a)", prog)
    assert err.message == "neuron takes 3 arguments (x, w, b), got 2"
    assert (err.col, err.width) == (1, 12)
    assert "a body can call only functions defined before it" in error("h(x) = k(x)").message
    assert "takes 0 arguments, got 1" in error("k() = 1; k(2)").message


def test_defhead_reserves_no_word():
    # The head token only matches name(...) = at the start of a statement.
    prog = parse("f = 2; x = 3; y = f*(x) + sin(x); g = 1; (g)")
    assert prog.output is not None
    assert "did you mean x*(2)" in error("x = 1; x(2)").message
    err = error("x = 1; y = f(x) = 2")
    assert "unexpected '='" in err.message


def test_a_call_that_would_create_too_many_nodes_is_refused_before_it_does(monkeypatch):
    # Doubling: d_k calls d_{k-1} twice, so d_k's body has ~2^(k+1) operations. The limits
    # are lowered here so that the test stays fast; the logic is the same at 1,000,000.
    from backprop_tui.language import calls  # where calls and definitions are built

    assert MAX_LINE_NODES == calls.MAX_LINE_NODES == 1_000_000
    monkeypatch.setattr(calls, "MAX_LINE_NODES", 5_000)
    monkeypatch.setattr(calls, "MAX_BODY_OPS", 20_000)
    lines = ["d0(x) = x + 1"] + [f"d{k}(x) = d{k - 1}(x) + d{k - 1}(x)" for k in range(1, 12)]
    prog = parse("\n".join(lines) + "\nx = 1")
    n = len(prog.graph)
    prog.run("d10(x)")  # ~3,000 nodes: fits
    assert 3_000 < len(prog.graph) - n < 5_000
    n = len(prog.graph)
    err = error("d10(x) + d10(x)", prog)
    assert "this line would create more than 5,000 nodes" in err.message
    assert err.col == 10  # the call that would cross the limit
    assert len(prog.graph) == n  # the failed line left nothing
    err = error("d13(x) = d11(x) + d11(x) + d11(x) + d11(x)", prog)
    assert "this body would hold more than 20,000 operations" in err.message


# ---------------------------------------------------------------------- max, min, sum

def test_sum_is_a_chain_of_additions_labelled_as_one_call():
    prog = parse("a = 1; b = 2; c = 3; d = 4; s = sum(a, b, c, d); t = sum(a, b); u = sum(c)")
    g = prog.graph
    s = prog.bindings["s"]
    assert [OPS[g.op[i]].name for i in range(4, s + 1)] == ["add", "add", "add"]
    assert [label(g, i) for i in range(4, s)] == ["sum#1: a+b", "sum#1: a+b+c"]
    assert g.call_name(s) == "sum#1"
    t = prog.bindings["t"]
    assert OPS[g.op[t]].name == "add" and g.call_name(t) is None  # one node: no group
    assert prog.bindings["u"] == prog.bindings["c"]  # sum of one argument is that argument
    assert "sum needs at least one argument" in error("sum()").message


def test_max_routes_the_gradient_and_a_tie_is_a_kink():
    s = Session(parse("a = 3; b = 2; max(a, b) * min(a, b)"))
    s.run_line(":backward")
    g = s.prog.graph
    assert (g.grad[0], g.grad[1]) == (2.0, 3.0)  # max → a, min → b: d(ab)/da = b, d/db = a
    assert label(g, 2) == "max(a, b)" and label(g, s.output) == "max(a, b)·min(a, b)"
    tie = Session(parse("a = 2; b = 2; max(a, b)"))
    events = tie.run_line(":step 4")
    step = next(e for e in events if e.kind == "step" and e.phase == "backward")
    assert "max(a, b) is not differentiable where a = b" in step.kink
    assert tie.prog.graph.grad[:2] == [1.0, 0.0]  # the convention: a gets it
    check = tie.run_line(":check")[0]
    assert [r.verdict for r in check.rows] == ["kink", "kink"]


def test_max_and_min_fold_any_number_of_arguments():
    prog = parse("a = 1; b = 5; c = 3; max(a, b, c) + min(a, b, c)")
    assert reference(prog.graph, prog.output).value[prog.output] == 6
    assert grads(prog) == {"a": 1.0, "b": 1.0, "c": 0.0}


def _sym_grads(expr_text: str, values: dict[str, float]) -> dict[str, float]:
    syms = {n: sympy.Symbol(n, real=True) for n in values}
    expr = sympy.sympify(expr_text, locals={"Max": sympy.Max, "Min": sympy.Min, **syms})
    return {n: float(sympy.diff(expr, s).subs({syms[k]: v for k, v in values.items()}))
            for n, s in syms.items()}


@pytest.mark.parametrize("seed", range(6))
def test_gradients_of_functions_max_min_and_sum_agree_with_sympy(seed):
    rng = random.Random(seed)
    values = {n: round(rng.uniform(-2, 2), 3) for n in ("x", "y", "z")}
    ours = ("act(u) = tanh(u) + u^2/4\n"
            "mix(a, b) = max(a, b)*act(a - b) + min(a, b)\n"
            "{assign}\n"
            "sum(mix(x, y), act(z), mix(z, x), x*y) + max(x, y, z)")
    theirs = ("Max(x, y)*(tanh(x - y) + (x - y)**2/4) + Min(x, y) + tanh(z) + z**2/4"
              " + Max(z, x)*(tanh(z - x) + (z - x)**2/4) + Min(z, x) + x*y + Max(x, y, z)")
    assign = "; ".join(f"{n} = {v}" for n, v in values.items())
    prog = parse(ours.format(assign=assign))
    got = grads(prog)
    want = _sym_grads(theirs, values)
    for n in values:
        assert got[n] == pytest.approx(want[n], rel=1e-12, abs=1e-12), n


# ---------------------------------------------------------------------- :repeat

def test_repeat_runs_the_logistic_map_twenty_times():
    s = Session(parse("x = 0.3; l = x"))
    events = s.run_line(":repeat 20 l = 4l*(1 - l)")
    assert isinstance(events[0], Info) and "20 times" in events[0].message
    lm = 0.3
    for _ in range(20):
        lm = 4 * lm * (1 - lm)
    assert isinstance(events[1], Statement) and events[1].value == lm
    g = s.prog.graph
    assert len(g) == 1 + 20 * 5 and s.output == s.prog.bindings["l"]
    dl = 1.0
    lm = 0.3
    for _ in range(20):  # the derivative by hand: l' ← 4(1 - 2l)·l'
        dl, lm = 4 * (1 - 2 * lm) * dl, 4 * lm * (1 - lm)
    assert reference(g, s.output).grad[0] == pytest.approx(dl, rel=1e-9)


def test_repeat_a_command_and_its_limits():
    s = Session(parse("x = 2; x^2 + x"))
    events = s.run_line(":repeat 3 :step")
    assert [e.kind for e in events] == ["step"] * 2 + ["phase", "step"]
    assert s.pos == 3
    assert "between 1 and 10,000" in s.run_line(":repeat 10001 :step")[0].message
    assert "cannot repeat itself" in s.run_line(":repeat 2 :rep 2 :step")[0].message
    assert "usage" in s.run_line(":repeat 3")[0].message


def test_repeat_stops_at_the_first_error_and_keeps_what_succeeded():
    s = Session(parse("l = 0.5"))
    events = s.run_line(":repeat 5 l = log(l) + l")  # log of a negative at the third time
    kinds = [e.kind for e in events]
    assert kinds[0] == "info" and "error" in kinds
    s2 = Session(parse("a = 1"))
    events = s2.run_line(":repeat 4 b = a + zz")
    assert isinstance(events[-1], Error) and "iteration 1 of 4" in events[-1].message
    assert len(s2.prog.graph) == 1


def test_a_call_names_its_value_in_commands():
    s = Session(parse(NEURON + "o = neuron(x1, w1, b1) + neuron(x2, w2, b2)"))
    assert s.resolve("neuron#2") == 11 and s.resolve("neuron#1") == 8
    s.run_line(":forward")
    shown = s.run_line(":show neuron#2")[0]
    assert shown.info.label == "neuron#2: tanh(w2·x2+b2)" and shown.info.call == "neuron#2"
    assert s.run_line(":expect value neuron#1 = 0.7064193203972118 ± 1e-12")[0].passed
    assert "no node 'neuron#3'" in s.run_line(":show neuron#3")[0].message
