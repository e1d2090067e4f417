"""Symbolic differentiation: correct against backprop, the swell measured, no recursion."""

from __future__ import annotations

import math
import random
import sys

import pytest

from backprop_tui.graph import Graph
from backprop_tui.language import parse
from backprop_tui.ops import BUILTIN_OPS, INPUT, OP_INDEX, OPS
from backprop_tui.symbolic import Dag, Symbolic

# Each op wrapped so that random operands stay inside its domain and values stay modest.
# {0} and {1} are operand expressions whose values lie roughly in [-3, 3].
TEMPLATES = {
    "add": "({0} + {1})",
    "sub": "({0} - {1})",
    "mul": "({0} * {1})",
    "div": "({0} / ({1}^2 + 1))",
    "neg": "(-{0})",
    "powk": "(({0})^3 / 9)",
    "pow": "pow({0}^2 + 0.5, sin({1}))",
    "exp": "exp(sin({0}))",
    "log": "log({0}^2 + 1)",
    "sqrt": "sqrt({0}^2 + 0.25)",
    "sin": "sin({0})",
    "cos": "cos({0})",
    "tan": "tan(sin({0}))",
    "tanh": "tanh({0})",
    "sigmoid": "sigmoid({0})",
    "relu": "relu({0})",
    "abs": "abs({0})",
    "max": "max({0}, {1})",
    "min": "min({0}, {1})",
}
SMOOTH = [name for name in TEMPLATES if name not in ("relu", "abs", "max", "min")]


def test_templates_cover_every_op():
    ops = {op.name for op in BUILTIN_OPS if op.arity > 0}
    assert ops == set(TEMPLATES)
    # powk comes from x^3 with a literal exponent, pow from a variable exponent
    prog = parse("x = 1.5; y = 0.5; x^3 + x^y")
    used = {OPS[o].name for o in prog.graph.op}
    assert {"powk", "pow"} <= used


def random_program(rng: random.Random, n_ops: int, names: list[str] = SMOOTH) -> str:
    """Inputs x, y, z; then n_ops statements t_i = op(operands from earlier ones)."""
    lines = [f"{v} = {rng.uniform(-1.5, 1.5):.6f}" for v in "xyz"]
    pool = list("xyz")
    for i in range(n_ops):
        name = rng.choice(names)
        # Squash each operand so that nesting never leaves the templates' safe range.
        a, b = (f"(2tanh({rng.choice(pool)}))" if rng.random() < 0.5 else rng.choice(pool)
                for _ in range(2))
        lines.append(f"t{i} = {TEMPLATES[name].format(a, b)}")
        pool.append(f"t{i}")
    lines.append(" + ".join(pool[-3:]))
    return "\n".join(lines)


def backprop_at(prog, point: dict[int, float]) -> dict[int, float]:
    g = prog.graph
    for node, v in point.items():
        g.value[node] = v
    g.forward()
    g.backward(prog.output)
    return {node: g.grad[node] for node in point}


def assert_close(sym: float, bp: float) -> None:
    assert math.isclose(sym, bp, rel_tol=1e-9, abs_tol=1e-12), (sym, bp)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_op_derivative_matches_backprop(name):
    rng = random.Random(name)
    prog = parse(f"x = 0.7; y = -1.3\n{TEMPLATES[name].format('x', 'y')} * (x + 2) ")
    sym = Symbolic(prog.graph, prog.output)
    inputs = [node for _, node in prog.inputs()]
    derivs = [sym.derivative(node) for node in inputs]
    for _ in range(5):
        point = {node: rng.uniform(-2, 2) for node in inputs}
        grads = backprop_at(prog, point)
        for node, d in zip(inputs, derivs, strict=True):
            assert_close(sym.dag.evaluate(d, point), grads[node])


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_match_backprop_at_random_points(seed):
    rng = random.Random(seed)
    prog = parse(random_program(rng, rng.randint(4, 14), list(TEMPLATES)))
    sym = Symbolic(prog.graph, prog.output)
    inputs = [node for _, node in prog.inputs()]
    derivs = [sym.derivative(node) for node in inputs]
    for _ in range(4):
        point = {node: rng.uniform(-1.5, 1.5) for node in inputs}
        grads = backprop_at(prog, point)
        for node, d in zip(inputs, derivs, strict=True):
            assert_close(sym.dag.evaluate(d, point), grads[node])


@pytest.mark.parametrize("seed", range(15))
def test_printed_derivative_parses_back_to_the_same_value(seed):
    """The printer's minimal parentheses keep the meaning: the text, read by our own
    parser with the inputs bound, evaluates to the symbolic derivative's value."""
    rng = random.Random(1000 + seed)
    src = random_program(rng, rng.randint(3, 8))
    prog = parse(src)
    g = prog.graph
    g.forward()
    sym = Symbolic(g, prog.output)
    bindings = "\n".join(src.splitlines()[:3])
    for _, node in prog.inputs():
        d = sym.derivative(node)
        text = sym.dag.text(d, budget=10**7)
        assert "…" not in text
        back = parse(f"{bindings}\n{text}")
        back.graph.forward()
        want = sym.dag.evaluate(d)
        assert math.isclose(back.graph.value[back.output], want, rel_tol=1e-9, abs_tol=1e-12), text


def test_seed_derivatives_read_like_the_textbook():
    prog = parse("x = 2; y = 3; x^2 + 3x*y + 1")
    sym = Symbolic(prog.graph, prog.output)
    x, y = (node for _, node in prog.inputs())
    assert sym.dag.text(sym.derivative(x)) == "2x + 3y"
    assert sym.dag.text(sym.derivative(y)) == "3x"
    assert sym.dag.text(sym.root) == "x² + 3x·y + 1"


def test_light_simplification_rules():
    d = Dag()
    x = d.var(0, "x", 2.0)
    one, zero = d.num(1), d.num(0)
    assert d.mul(x, one) == x and d.mul(one, x) == x
    assert d.mul(x, zero) == zero and d.add(x, zero) == x and d.add(zero, x) == x
    assert d.sub(x, zero) == x and d.div(x, one) == x and d.powk(x, 1) == x
    assert d.neg(d.neg(x)) == x
    assert d.k[d.mul(d.num(3), d.num(4))] == 12.0  # constants folded
    assert d.text(d.sub(zero, x)) == "-x"
    assert d.text(d.add(x, d.neg(d.mul(x, x)))) == "x - x·x"
    # hash-consing: the same expression built twice is the same node
    assert d.add(d.mul(x, x), one) == d.add(d.mul(x, x), one)
    # but no like terms are collected: the swell stays
    assert d.text(d.add(x, x)) == "x + x"


def test_printer_elides_huge_expressions_within_budget():
    prog = parse("x = 0.3\nl = x\n" + "l = 4*l*(1 - l)\n" * 40)
    sym = Symbolic(prog.graph, prog.output)
    d = sym.derivative(prog.inputs()[0][1])
    assert sym.dag.tree_size(d) > 10**12
    text = sym.dag.text(d, budget=300)
    assert len(text) <= 300 and text.endswith("…")


def logistic_sizes(n: int) -> tuple[int, int, int]:
    prog = parse("x = 0.3\nl = x\n" + "l = 4*l*(1 - l)\n" * (n - 1))
    sym = Symbolic(prog.graph, prog.output)
    d = sym.derivative(prog.inputs()[0][1])
    return sym.dag.tree_size(d), sym.dag.dag_size(d), sym.dag.tree_size(sym.root)


def test_logistic_map_tree_grows_about_threefold_and_dag_linearly():
    ns = range(2, 16)
    sizes = [logistic_sizes(n) for n in ns]
    tree = [s[0] for s in sizes]
    dag = [s[1] for s in sizes]
    ratios = [b / a for a, b in zip(tree, tree[1:], strict=False)]
    # Every iteration multiplies the tree: always more than ×2 (the function itself
    # doubles), about ×3 over the first iterations (Baydin et al.'s table) ...
    assert all(2.0 < r < 5.0 for r in ratios), ratios
    early = (tree[6] / tree[0]) ** (1 / 6)  # n = 2 → 8
    assert 2.5 < early < 3.5, early
    # ... and more than exponential: tree / 2ⁿ keeps growing (it is Θ(n·2ⁿ)).
    per_power = [t / 2**n for t, n in zip(tree, ns, strict=True)]
    assert all(b > a for a, b in zip(per_power, per_power[1:], strict=False))
    # The shared form grows by a constant number of nodes per iteration.
    steps = [b - a for a, b in zip(dag, dag[1:], strict=False)]
    assert max(steps) - min(steps) <= 2 and 0 < min(steps) <= 20, steps
    assert tree[-1] / dag[-1] > 1000


def test_tree_size_is_counted_not_expanded():
    """A 100k-level doubling x_{k+1} = x_k·x_k has a tree of 2^100000 nodes: counted
    exactly by the DP at the default recursion limit; the DAG stays small."""
    g = Graph()
    x = g.add(INPUT, value=1.0)
    g.names[x] = "x"
    cur = x
    depth = 100_000
    for _ in range(depth):
        cur = g.add(OP_INDEX["mul"], cur, cur)
    sym = Symbolic(g, cur)
    dag = sym.dag
    # 2^(depth+1) - 1 nodes; past 2^62 sizes are kept as log2 floats, so compare logs.
    assert math.isclose(dag.tree_log10(sym.root), (depth + 1) * math.log10(2), rel_tol=1e-12)
    assert not dag.tree_exact(sym.root)
    exact = 2 ** (depth + 1) - 1
    assert abs(dag.tree_size(sym.root) - exact) <= exact >> 30  # a log2 float: ~1e-11 relative
    # below 2^62 sizes are exact: graph node k is x·x nested k deep, 2^(k+1) - 1 nodes
    level60 = sym.expr[60]
    assert dag.tree_exact(level60) and dag.tree_size(level60) == 2**61 - 1
    assert dag.dag_size(sym.root) == depth + 1
    d = sym.derivative(x)
    # d_{k+1} = x_k·d_k + x_k·d_k (no like terms collected): 3 new nodes per level
    assert 2 * depth < dag.dag_size(d) <= 3 * depth + 3
    assert dag.tree_log10(d) > dag.tree_log10(sym.root)
    assert len(dag.text(d, budget=100)) <= 100


def test_deep_chain_of_functions_at_default_recursion_limit():
    limit = sys.getrecursionlimit()
    g = Graph()
    x = g.add(INPUT, value=0.5)
    g.names[x] = "x"
    cur = x
    depth = 100_000
    for _ in range(depth):
        cur = g.add(OP_INDEX["sin"], cur)
    g.forward()
    g.backward(cur)
    sym = Symbolic(g, cur)
    d = sym.derivative(x)
    assert sys.getrecursionlimit() == limit
    # d/dx sin(u) = cos(u)·u': one cos and one product per level, plus the sines.
    assert 2 * depth < sym.dag.dag_size(d) < 4 * depth
    assert sym.dag.tree_size(d) > depth * depth // 2  # cos(u_k) carries u_k's k nodes
    assert_close(sym.dag.evaluate(d), g.grad[x])
    assert sym.dag.text(d, budget=80).endswith("…")


def test_huge_tree_sizes_add_in_log_space():
    """Past 2^62 sizes are log2 floats; sums of unequal huge sizes stay accurate."""
    d = Dag()
    x = d.var(0, "x", 1.0)
    y = d.var(1, "y", 1.0)
    a, b = x, y
    for _ in range(80):  # a: 2^81 - 1 nodes
        a = d.make(OP_INDEX["mul"], a, a)
    for _ in range(75):  # b: 2^76 - 1 nodes
        b = d.make(OP_INDEX["add"], b, b)
    s = d.make(OP_INDEX["sub"], a, b)
    exact = 1 + (2**81 - 1) + (2**76 - 1)
    assert not d.tree_exact(s)
    assert math.isclose(d.tree_log10(s), math.log10(exact), rel_tol=1e-13)
    assert abs(d.tree_size(s) - exact) <= exact >> 40
    assert d.tree_size(d.make(OP_INDEX["neg"], x)) == 2 and d.tree_exact(x)


@pytest.mark.parametrize("op", [op for op in BUILTIN_OPS if op.arity > 0], ids=lambda op: op.name)
def test_op_table_sym_builder_agrees_with_numeric_deriv(op):
    """Each op entry carries its local derivatives twice (numbers for backprop, a builder
    for symbolic): they must agree wherever the op is defined and smooth."""
    rng = random.Random(op.name)
    code = OP_INDEX[op.name]
    checked = 0
    for _ in range(50):
        a, b = rng.uniform(-2, 2), rng.uniform(-2, 2)
        k = rng.choice([2.0, 3.0, -1.0, 0.5])
        if op.name in ("log", "sqrt", "pow") or (op.name == "powk" and k == 0.5):
            a = abs(a) + 0.1
        if op.domain is not None:
            try:
                op.domain(a, b, k)
            except ValueError:
                continue
        d = Dag()
        ea, eb = d.var(0, "a", a), d.var(1, "b", b) if op.arity == 2 else -1
        out = d.make(code, ea, eb, k)
        value = d.evaluate(out)
        local = op.sym(d, ea, eb, k, out)
        want = op.deriv(a, b, k, value)
        assert len(local) == op.arity == len(want)
        for got, exp in zip(local, want, strict=True):
            assert math.isclose(d.evaluate(got), exp, rel_tol=1e-12, abs_tol=1e-12)
        checked += 1
    assert checked >= 25
