"""The engine: every op's local derivatives, the edge semantics, deep and wide graphs.

The op table is read, not restated: a new op is covered by the derivative tests as soon as it
is in OPS (and fails test_every_op_has_a_reference until the reference below names it).
"""

from __future__ import annotations

import itertools
import math
import random
import sys

import pytest

from backprop_tui.graph import EvalError, Graph
from backprop_tui.labels import LABEL_BUDGET, label
from backprop_tui.language import parse
from backprop_tui.ops import BUILTIN_OPS, CONST, INPUT, LITERAL, OP_INDEX, OPS

# Independent definitions of what each op computes (math, not the table).
REFERENCE = {
    "add": lambda a, b, k: a + b,
    "sub": lambda a, b, k: a - b,
    "mul": lambda a, b, k: a * b,
    "div": lambda a, b, k: a / b,
    "neg": lambda a, b, k: -a,
    "powk": lambda a, b, k: a ** k,
    "pow": lambda a, b, k: a ** b,
    "exp": lambda a, b, k: math.e ** a,
    "log": lambda a, b, k: math.log(a),
    "sqrt": lambda a, b, k: a ** 0.5,
    "sin": lambda a, b, k: math.sin(a),
    "cos": lambda a, b, k: math.cos(a),
    "tan": lambda a, b, k: math.sin(a) / math.cos(a),
    "tanh": lambda a, b, k: (math.exp(2 * a) - 1) / (math.exp(2 * a) + 1),
    "sigmoid": lambda a, b, k: 1 / (1 + math.exp(-a)),
    "relu": lambda a, b, k: max(a, 0.0),
    "abs": lambda a, b, k: a if a >= 0 else -a,
    "max": lambda a, b, k: (a + b + abs(a - b)) / 2,
    "min": lambda a, b, k: (a + b - abs(a - b)) / 2,
}
A_POINTS = (-2.3, -1.1, -0.4, 0.35, 0.8, 1.7, 3.2)
B_POINTS = (-1.5, 0.6, 2.0, 3.0)
K_POINTS = (2.0, 3.0, -1.0, 0.5, 2.5)
# The built-in table (user operators registered by other tests are theirs to test).
OP_NODES = [op for op in BUILTIN_OPS if op.arity > 0]


def one_op_graph(code: int, a: float, b: float, k: float) -> tuple[Graph, int, int, int]:
    """Inputs a (and b) and one node of op `code` over them."""
    g = Graph()
    ia = g.add(INPUT, value=a)
    ib = g.add(INPUT, value=b) if OPS[code].arity == 2 else -1
    node = g.add(code, ia, ib, k)
    return g, ia, ib, node


def sample_points(op) -> list[tuple[float, float, float]]:
    """Points inside the op's domain, away from its kinks, where the reference is finite."""
    bs = B_POINTS if op.arity == 2 else (0.0,)
    ks = K_POINTS if op.kind == "powk" else (0.0,)
    points = []
    for a, b, k in itertools.product(A_POINTS, bs, ks):
        try:
            if op.domain is not None:
                op.domain(a, b, k)
            ref = REFERENCE[op.name](a, b, k)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        if isinstance(ref, complex) or not math.isfinite(ref):
            continue
        if op.kink is not None and op.kink(a, b, k):
            continue
        points.append((a, b, k))
    return points


def central_difference(fn, a: float, b: float, k: float, slot: int) -> float:
    x = (a, b)[slot]
    h = 1e-5 * max(1.0, abs(x))
    if slot == 0:
        return (fn(a + h, b, k) - fn(a - h, b, k)) / (2 * h)
    return (fn(a, b + h, k) - fn(a, b - h, k)) / (2 * h)


def same(x: float, y: float) -> bool:
    """Equal, or both nan."""
    return x == y or (x != x and y != y)


def test_every_op_has_a_reference():
    assert sorted(op.name for op in OP_NODES) == sorted(REFERENCE)


@pytest.mark.parametrize("op", OP_NODES, ids=lambda op: op.name)
def test_forward_matches_the_reference(op):
    points = sample_points(op)
    assert len(points) >= 3, f"too few valid sample points for {op.name}"
    code = OP_INDEX[op.name]
    for a, b, k in points:
        g, _, _, node = one_op_graph(code, a, b, k)
        assert g.forward() == []
        assert g.value[node] == pytest.approx(REFERENCE[op.name](a, b, k), rel=1e-12, abs=1e-12)
        assert g.eval_node(node) == g.value[node]


@pytest.mark.parametrize("op", OP_NODES, ids=lambda op: op.name)
def test_backward_matches_central_differences(op):
    """Graph.backward (inlined fast paths included) against a central difference of the
    reference function, for each operand, at several points."""
    code = OP_INDEX[op.name]
    checked = 0
    for a, b, k in sample_points(op):
        g, ia, ib, node = one_op_graph(code, a, b, k)
        g.forward()
        g.backward(node)
        for slot, leaf in enumerate((ia, ib)[: op.arity]):
            analytic = g.grad[leaf]
            if op.name == "pow" and slot == 1 and a <= 0:
                assert math.isnan(analytic)  # a^b·log a: undefined for a <= 0
                continue
            numeric = central_difference(REFERENCE[op.name], a, b, k, slot)
            assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-7), (op.name, a, b, k, slot)
            checked += 1
    assert checked >= 3


@pytest.mark.parametrize("op", OP_NODES, ids=lambda op: op.name)
def test_passes_agree_with_the_table(op):
    """The passes may inline ops (add, mul); they must compute exactly the table's rules."""
    code = OP_INDEX[op.name]
    for a, b, k in sample_points(op):
        g, ia, ib, node = one_op_graph(code, a, b, k)
        g.forward()
        g.backward(node)
        assert g.value[node] == op.fn(a, b, k)
        d = op.deriv(a, b, k, g.value[node])
        assert all(map(same, g.local_derivs(node), d))
        for slot, leaf in enumerate((ia, ib)[: op.arity]):
            assert same(g.grad[leaf], 1.0 * d[slot])


@pytest.mark.parametrize("seed", range(5))
def test_backward_is_the_chain_rule_over_the_cone(seed):
    """Random graphs of add/mul/sin/sub/sqrt with the output not last (so some nodes are off
    its cone): forward equals the table's functions, backward equals the chain rule done by
    hand over the output's cone with the table's derivatives."""
    rng = random.Random(seed)
    g = Graph()
    for _ in range(5):
        g.add(INPUT, value=rng.choice([0.0, rng.uniform(-2, 2)]))
    codes = [OP_INDEX[n] for n in ("add", "mul", "sin", "sub", "sqrt", "abs")]
    for _ in range(300):
        code = rng.choice(codes)
        a = rng.randrange(len(g))
        if OPS[code].name == "sqrt":  # sqrt of an input that may be 0: an infinite slope
            code, a = OP_INDEX["sqrt"], g.add(OP_INDEX["abs"], rng.randrange(5))
        b = rng.randrange(len(g)) if OPS[code].arity == 2 else -1
        g.add(code, a, b)
    out = rng.randrange(len(g) - 50, len(g))
    g.forward()
    value = list(g.value)
    for i in range(5, len(g)):
        o = OPS[g.op[i]]
        assert value[i] == o.fn(value[g.a[i]], value[g.b[i]] if g.b[i] >= 0 else 0.0, 0.0)
    g.backward(out)
    grad = [0.0] * len(g)
    grad[out] = 1.0
    cone = {out}
    for i in range(out, 4, -1):
        if i not in cone:
            continue
        o = OPS[g.op[i]]
        d = o.deriv(value[g.a[i]], value[g.b[i]] if g.b[i] >= 0 else 0.0, 0.0, value[i])
        for j, dj in zip(g.operands(i), d, strict=True):
            grad[j] += grad[i] * dj
            cone.add(j)
    assert len(cone) < out + 1  # some nodes are off the cone
    assert all(map(same, g.grad, grad))


def test_off_cone_nodes_pass_nothing_even_with_infinite_slopes():
    # sqrt'(0) = inf on a node the output does not use: x's gradient is 2x = 0, not nan.
    prog, g, fw, bw = run("x = 0; z = sqrt(x); w = 1/(z + 1e-320); x^2")
    assert g.grad[node_named(prog, "x")] == 0.0
    assert g.grad[node_named(prog, "z")] == 0.0 and g.grad[node_named(prog, "w")] == 0.0
    assert bw == []


def test_off_cone_nodes_that_were_never_evaluated_do_not_matter():
    """The stepping session evaluates only the output's cone: other nodes keep whatever
    values they had (here 0.0, so z = x/y's derivative would divide by zero)."""
    prog = parse("x = 1; y = 0; z = x/y; w = x*2; w")
    g = prog.graph
    w = prog.bindings["w"]
    g.value[w] = g.eval_node(w)
    assert g.backward(w) == []
    assert g.grad[prog.bindings["x"]] == 2.0
    assert g.grad[prog.bindings["z"]] == 0.0


def run(src: str):
    prog = parse(src)
    g = prog.graph
    fw = g.forward()
    bw = g.backward(prog.output)
    return prog, g, fw, bw


def node_named(prog, name: str) -> int:
    return prog.bindings[name]


# -- edge semantics --

@pytest.mark.parametrize("fn", ["relu", "abs"])
def test_kinks_at_zero_have_derivative_zero_and_are_flagged(fn):
    prog, g, fw, bw = run(f"x = 0; {fn}(x)")
    assert g.grad[node_named(prog, "x")] == 0.0
    assert g.is_kink(prog.output)
    assert fw == [] and bw == []
    prog, g, _, _ = run(f"x = 0.5; {fn}(x)")
    assert not g.is_kink(prog.output)
    assert g.grad[node_named(prog, "x")] == 1.0


def test_is_kink_false_for_ops_without_kinks():
    prog, g, _, _ = run("x = 0; sin(x) + x*x")
    assert not any(g.is_kink(i) for i in range(len(g)))


def test_pow_with_variable_exponent():
    prog, g, fw, bw = run("a = 2; b = 3; a^b")
    assert g.value[prog.output] == 8.0
    assert g.grad[node_named(prog, "a")] == pytest.approx(12.0)
    assert g.grad[node_named(prog, "b")] == pytest.approx(8.0 * math.log(2.0))
    assert fw == [] and bw == []


@pytest.mark.parametrize("a", [-2.0, 0.0])
def test_pow_exponent_gradient_is_nan_with_a_warning_for_nonpositive_base(a):
    prog, g, fw, bw = run(f"a = {a}; b = 2; pow(a, b)")
    assert g.value[prog.output] == a * a
    b = node_named(prog, "b")
    assert math.isnan(g.grad[b])
    assert g.grad[node_named(prog, "a")] == pytest.approx(2 * a)
    assert fw == []
    assert [w.node for w in bw] == [b]
    assert "nan" in bw[0].message


def test_literal_exponent_is_one_node():
    prog, g, _, _ = run("x = 3; x^2")
    assert len(g) == 2
    assert OPS[g.op[prog.output]].name == "powk"
    assert g.grad[0] == 6.0


def test_literal_exponent_below_one_at_zero_gives_an_infinite_slope_not_a_crash():
    prog, g, fw, bw = run("x = 0; x^0.5")
    assert g.value[prog.output] == 0.0
    assert g.grad[0] == math.inf
    assert [w.node for w in bw] == [0]


def test_tiny_divisor_overflows_the_gradient_with_a_warning_not_an_error():
    prog, g, fw, bw = run("x = 1; y = 1e-200; x/y")
    assert g.grad[node_named(prog, "y")] == -math.inf
    assert g.grad[node_named(prog, "x")] == pytest.approx(1e200)
    assert node_named(prog, "y") in [w.node for w in bw]


@pytest.mark.parametrize("src, message, node_text", [
    ("x = 0; log(x)", "log needs a positive argument, got 0.0", "log(x)"),
    ("x = -1; log(x)", "log needs a positive argument, got -1.0", "log(x)"),
    ("x = -4; sqrt(x)", "sqrt needs a non-negative argument, got -4.0", "sqrt(x)"),
    ("x = 0; 1/x", "division by zero", "1/x"),
    ("x = 0; x^-1", "0 raised to a negative power (division by zero)", "x⁻¹"),
    ("x = -8; x^0.5", "negative base -8.0 needs an integer exponent, got 0.5", "x^0.5"),
    ("a = -8; b = 0.25; a^b", "negative base -8.0 needs an integer exponent, got 0.25", "a^b"),
    ("x = 1e300; sin(x*x)", "sin is undefined at inf", "sin(xx)"),
])
def test_domain_errors_stop_evaluation_naming_the_node(src, message, node_text):
    prog = parse(src)
    g = prog.graph
    with pytest.raises(EvalError) as info:
        g.forward()
    assert info.value.message == message
    assert label(g, info.value.node) == node_text
    assert info.value.node == prog.output


def test_eval_error_span_points_at_the_node():
    prog = parse("x = 0\ny = 2 + 1/x")
    with pytest.raises(EvalError) as info:
        prog.graph.forward()
    span = prog.span(info.value.node)
    assert (span.line, span.col, span.end_line, span.end_col) == (2, 9, 2, 12)


@pytest.mark.parametrize("src", ["x = 1000; exp(x)", "x = 1e300; x*x", "x = 1e200; x^2",
                                 "x = -1e200; x^3"])
def test_overflow_to_inf_is_a_warning(src):
    prog, g, fw, bw = run(src)
    assert math.isinf(g.value[prog.output])
    assert [w.node for w in fw] == [prog.output]
    assert "inf" in fw[0].message


def test_overflow_warnings_name_only_nonfinite_nodes():
    prog, g, fw, _ = run("x = 1000; y = exp(x); z = x + 1; y - y")
    assert {w.node for w in fw} == {node_named(prog, "y"), prog.output}
    assert math.isnan(g.value[prog.output])
    assert "nan" in [w for w in fw if w.node == prog.output][0].message


# -- structure and accumulation --

def test_x_times_x_has_two_edges_and_gradient_2x():
    prog, g, _, _ = run("x = 3; x*x")
    assert g.operands(prog.output) == (0, 0)
    assert g.grad[0] == 6.0


def test_repeated_subexpressions_are_not_merged():
    prog, g, _, _ = run("x = 3; sin(x) + sin(x)")
    assert [OPS[o].name for o in g.op].count("sin") == 2
    assert g.grad[0] == pytest.approx(2 * math.cos(3.0))


def test_backward_twice_gives_the_same_gradients():
    prog, g, _, _ = run("x = 2; y = 3; x^2 + 3x*y + 1")
    first = list(g.grad)
    g.backward(prog.output)
    assert g.grad == first
    assert first[node_named(prog, "x")] == 13.0 and first[node_named(prog, "y")] == 6.0


def test_backward_from_another_output_starts_from_zero():
    prog, g, _, _ = run("x = 2; y = 3; h = x*y; h + x")
    x = node_named(prog, "x")
    assert g.grad[x] == 4.0
    g.backward(node_named(prog, "h"))
    assert g.grad[x] == 3.0
    assert g.grad[prog.output] == 0.0


def test_nodes_off_the_path_to_the_output_get_zero():
    prog, g, _, _ = run("x = 2; y = 3; z = y*y + 1; w = sin(z); x^2")
    for name in ("y", "z", "w"):
        assert g.grad[node_named(prog, name)] == 0.0
    assert g.grad[node_named(prog, "x")] == 4.0


def test_zero_gradient_inside_the_cone_still_propagates_nan():
    """relu is off (gradient 0) above a node whose local derivative is infinite: the chain
    rule gives 0·inf = nan, as the stepping session computes it; not silently 0."""
    prog, g, _, bw = run("x = 0; relu(sqrt(x) - 1)")
    assert math.isnan(g.grad[0])
    assert 0 in [w.node for w in bw]


def test_constants_and_literals_get_no_gradient():
    prog, g, _, _ = run("c: const = 3; x = 2; c*x + 5*x")
    c = node_named(prog, "c")
    assert g.op[c] == CONST and not g.takes_grad(c)
    assert g.grad[c] == 0.0
    literals = [i for i in range(len(g)) if g.op[i] == LITERAL]
    assert literals and all(g.grad[i] == 0.0 and not g.takes_grad(i) for i in literals)
    assert g.grad[node_named(prog, "x")] == 8.0


def test_pi_and_e_are_constants_without_gradient():
    prog, g, _, _ = run("x = 1; e*x + pi")
    assert g.value[prog.output] == pytest.approx(math.e + math.pi)
    consts = [i for i in range(len(g)) if g.op[i] == CONST]
    assert len(consts) == 2 and all(g.grad[i] == 0.0 for i in consts)
    assert g.grad[0] == pytest.approx(math.e)


# -- deep and wide graphs at the default recursion limit --

N = 100_000


def test_deep_chain_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() == 1000  # the default: nothing here may recurse
    prog = parse("x = 0.5\n" + "(" * N + "x" + "+1)" * N)
    g = prog.graph
    assert len(g) == 1 + 2 * N
    assert g.forward() == []
    assert g.backward(prog.output) == []
    assert g.value[prog.output] == 0.5 + N
    assert g.grad[0] == 1.0
    text = label(g, prog.output)
    assert len(text) <= LABEL_BUDGET and text.endswith("+1")
    # The outermost addition: from the second '(' to the last '1' (end column exclusive).
    span = prog.span(prog.output)
    assert (span.line, span.col, span.end_col) == (2, 2, len("(" * N + "x" + "+1)" * N))


def test_wide_sum_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() == 1000
    prog = parse("x = 2\n" + " + ".join(["x"] * N))
    g = prog.graph
    assert len(g) == N  # the input and N-1 additions
    g.forward()
    g.backward(prog.output)
    assert g.value[prog.output] == 2.0 * N
    assert g.grad[0] == float(N)
    assert len(label(g, prog.output)) <= LABEL_BUDGET
