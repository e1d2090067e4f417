"""`:compare`: the counts match the graph, the three methods agree, the caller's graph is
left alone, and the result is plain JSON data."""

from __future__ import annotations

import io
import json
import math
import time

import pytest
from rich.console import Console

from backprop_tui.compare import compare
from backprop_tui.graph import EvalError
from backprop_tui.language import parse
from backprop_tui.ops import CONST, INPUT, LITERAL
from backprop_tui.render_reports import compare_text, render_compare

PROGRAMS = [
    "x = 2; y = 3; x^2 + 3x*y + 1",
    "x = 1.5; x*x",  # two edges to x: two pushes
    "a = 0.5; b: const = 2; c = 7; u = a*b + sin(a); u*u + 2",  # c unused, b gets no push
    "x = 0.3\nl = x\n" + "l = 4*l*(1 - l)\n" * 6,
    "x1 = 2; x2 = 0; w1 = -3; w2 = 1; b = 6.8813735870195432\no = tanh(x1*w1 + x2*w2 + b)",
    "x = 1; y = x*2; x = 3; y + x*pi",  # the first x is shadowed but still in the cone
    "p = 0.7; q = 1.2; pow(p, q) / sqrt(q) - log(q)*exp(-p) + relu(p - 0.1) + abs(q - 2)",
]


def reference_counts(g, out):
    """Cone by a depth-first search with a set (not the code under test's sweep)."""
    seen = {out}
    stack = [out]
    while stack:
        i = stack.pop()
        for j in g.operands(i):
            if j not in seen:
                seen.add(j)
                stack.append(j)
    op_nodes = [i for i in seen if not g.is_leaf(i)]
    edges = sum(1 for i in op_nodes for j in g.operands(i) if g.takes_grad(j))
    inputs = sorted(i for i in seen if g.op[i] == INPUT)
    return len(seen), len(op_nodes), edges, inputs


@pytest.mark.parametrize("src", PROGRAMS)
def test_counts_match_the_graph(src):
    prog = parse(src)
    g = prog.graph
    n_nodes, n_ops, edges, inputs = reference_counts(g, prog.output)
    c = compare(prog, time_budget=0.2)
    n = len(inputs)
    assert (c.n_nodes, c.op_nodes, c.n_inputs) == (n_nodes, n_ops, n)
    assert c.bp_forward_ops == n_ops and c.bp_backward_derivs == n_ops
    assert c.bp_backward_pushes == edges
    assert c.bp_ratio == pytest.approx(edges / n_ops)
    assert (c.fd_forward_evals, c.fd_central_evals) == (n + 1, 2 * n)
    assert (c.fd_forward_ops, c.fd_central_ops) == ((n + 1) * n_ops, 2 * n * n_ops)
    assert [r.node for r in c.inputs] == inputs


def test_x_times_x_pushes_twice_and_consts_never():
    c = compare(parse("x = 1.5; k: const = 2; x*x + k*3"), time_budget=0.1)
    # x*x pushes to x twice; k*3 pushes nothing (a const and a literal); the sum pushes
    # to both products: 4 pushes over 3 operations.
    assert c.op_nodes == 3
    assert c.bp_backward_pushes == 4


@pytest.mark.parametrize("src", PROGRAMS)
def test_three_methods_agree(src):
    prog = parse(src)
    g = prog.graph
    g.forward()
    g.backward(prog.output)
    c = compare(prog, time_budget=0.2)
    for r in c.inputs:
        assert r.backprop == pytest.approx(g.grad[r.node], rel=1e-12, abs=1e-12)
        assert math.isclose(r.symbolic, r.backprop, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(r.fd_central, r.backprop, rel_tol=1e-6, abs_tol=1e-6)
        assert math.isclose(r.fd_forward, r.backprop, rel_tol=1e-5, abs_tol=1e-5)
        assert r.tree_size >= r.dag_size >= 1 and r.text
    assert c.value == pytest.approx(g.value[prog.output])


def test_symbolic_sizes_reported_per_input():
    c = compare(parse("x = 0.3\nl = x\n" + "l = 4*l*(1 - l)\n" * 9), time_budget=0.2)
    (row,) = c.inputs
    assert row.tree_size > 20 * row.dag_size  # the swell, visible in the table
    assert c.f_tree_size > c.f_dag_size


def test_compare_leaves_the_callers_graph_alone():
    prog = parse("x = 2; y = 3; x^2 + 3x*y + 1")
    g = prog.graph
    before = (list(g.value), list(g.grad))  # as parsed: no pass run yet
    compare(prog, time_budget=0.1)
    assert (g.value, g.grad) == before


def test_another_output_node():
    prog = parse("x = 2; y = 3; h = 3x*y; h + x^2")
    h = prog.bindings["h"]
    c = compare(prog, output=h, time_budget=0.1)
    assert c.output == h and c.value == 18.0
    assert {r.name: r.backprop for r in c.inputs} == {"x": 9.0, "y": 6.0}


def test_evaluation_error_names_the_programs_node():
    prog = parse("x = 0; y = 1; y + log(x)")
    with pytest.raises(EvalError) as info:
        compare(prog, time_budget=0.1)
    assert prog.graph.op[info.value.node] not in (INPUT, CONST, LITERAL)
    assert "log" in info.value.message


def test_no_output_is_an_error():
    prog = parse("")
    with pytest.raises(ValueError):
        compare(prog)


def test_to_dict_is_plain_json_and_render_works():
    c = compare(parse("x = 0.3\nl = x\n" + "l = 4*l*(1 - l)\n" * 80), time_budget=0.2)
    data = c.to_dict()
    text = json.dumps(data, allow_nan=False)  # no NaN/inf, no huge ints
    back = json.loads(text)
    assert back["fd_central_evals"] == 2 and back["inputs"][0]["name"] == "x"
    assert back["inputs"][0]["tree_log10"] > 20
    console = Console(record=True, width=120, file=io.StringIO())
    console.print(render_compare(c))
    out = console.export_text()
    assert "∂f/∂x" in out and "finite differences" in out and "backprop" in out


def test_time_budget_is_respected_on_many_inputs():
    n = 400
    lines = [f"x{i} = {0.001 * i}" for i in range(n)]
    lines.append(" + ".join(f"tanh(x{i})*x{(i + 1) % n}" for i in range(n)))
    prog = parse("\n".join(lines))
    t0 = time.perf_counter()
    c = compare(prog, time_budget=0.3)
    elapsed = time.perf_counter() - t0
    assert elapsed < 10.0  # a hang guard (the budget is 0.3 s): the times are :compare's to print
    assert c.n_inputs == n and c.fd_central_evals == 2 * n
    # what did not fit was estimated, not silently dropped
    assert c.time_fd_central.seconds > 0 and c.time_symbolic.seconds > 0
    built = sum(1 for r in c.inputs if r.symbolic is not None)
    assert built + c.symbolic_skipped == n
    assert c.time_symbolic.estimated == (c.symbolic_skipped > 0)


def test_plain_text_rendering():
    c = compare(parse("x = 2; y = 3; x^2 + 3x*y + 1"), time_budget=0.1)
    text = compare_text(c, width=100)
    assert "\x1b[" not in text  # no colour codes
    assert "∂f/∂x = 2x + 3y" in text and "∂f/∂y = 3x" in text
    assert "n+1 = 3 evaluations" in text and "2n = 4 evaluations" in text
    assert max(len(line) for line in text.splitlines()) <= 100
