"""The engine's plan (engine.py): fused pairs, one-sided pushes and skipped zero gradients
give the answers of the plain chain rule, bit for bit, at every output and edge case."""

from __future__ import annotations

import math
import random

import pytest

from backprop_tui.engine import FUSED
from backprop_tui.graph import Graph
from backprop_tui.language import parse
from backprop_tui.ops import INPUT, LITERAL, OP_INDEX, OPS


def same(x: float, y: float) -> bool:
    """Equal, or both nan."""
    return x == y or (x != x and y != y)


def chain_rule_by_hand(g: Graph, out: int) -> list[float]:
    """∂out/∂node for every node: the chain rule over out's cone in reverse creation order,
    each push as the table's deriv gives it, consts and literals 0 (the engine's contract)."""
    value = g.value
    grad = [0.0] * len(g)
    grad[out] = 1.0
    cone = {out}
    for i in range(out, -1, -1):
        if i not in cone or g.is_leaf(i):
            continue
        o = OPS[g.op[i]]
        d = o.deriv(value[g.a[i]], value[g.b[i]] if g.b[i] >= 0 else 0.0, g.k[i], value[i])
        for j, dj in zip(g.operands(i), d, strict=True):
            grad[j] += grad[i] * dj
            cone.add(j)
    return [x if g.takes_grad(i) else 0.0 for i, x in enumerate(grad)]


def dot_graph(seed: int, n: int = 400, special: bool = False) -> Graph:
    """Sums of products (acc + w·h: fused pairs), products and sums with literals (one-sided
    pushes), relus that are off (zero gradients), other ops; with special=True also values
    that are 0 under sqrt (infinite slopes) and inf."""
    rng = random.Random(seed)
    g = Graph()
    for _ in range(6):
        g.add(INPUT, value=rng.choice([0.0, -1.0, rng.uniform(-2, 2)]))
    lit = g.add(LITERAL, value=0.5)
    # sin would raise on inf: only total ops when special
    names = ("relu", "tanh", "sub", "neg", "mul", "add", "max") + (() if special else ("sin",))
    codes = [OP_INDEX[n] for n in names]
    for _ in range(n):
        r = rng.random()
        pick = lambda: rng.randrange(len(g))  # noqa: E731
        if r < 0.4:  # acc + w·h, w·h created just before the sum: a fused pair
            m = g.add(OP_INDEX["mul"], pick(), pick())
            acc = pick()
            g.add(OP_INDEX["add"], *((acc, m) if rng.random() < 0.5 else (m, acc)))
        elif r < 0.55:  # a literal operand: one-sided pushes
            code = OP_INDEX[rng.choice(["mul", "add"])]
            g.add(code, *((pick(), lit) if rng.random() < 0.5 else (lit, pick())))
        elif special and r < 0.6:
            g.add(OP_INDEX["sqrt"], g.add(OP_INDEX["abs"], rng.randrange(6)))
        elif special and r < 0.62:
            g.add(OP_INDEX["exp"], g.add(LITERAL, value=1000.0))  # inf
        else:
            code = rng.choice(codes)
            g.add(code, pick(), pick() if OPS[code].arity == 2 else -1)
    return g


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("special", [False, True])
def test_plan_passes_equal_the_chain_rule_bit_for_bit(seed, special):
    """Fused pairs, one-sided pushes and skipped zero gradients change nothing: values and
    gradients equal those of a node-by-node evaluation with the table, for outputs at the
    end, in the middle (off-cone nodes after it) and on a fused pair's product."""
    g = dot_graph(seed, special=special)
    plan = g.plan()
    assert any(e[1] == FUSED for e in plan.entries)  # some pairs are fused
    g.forward()
    for i in range(7, len(g)):
        if g.is_leaf(i):
            continue
        o = OPS[g.op[i]]
        expect = o.fn(g.value[g.a[i]], g.value[g.b[i]] if g.b[i] >= 0 else 0.0, g.k[i])
        assert same(g.value[i], expect), i
    products = [e[4] for e in plan.entries if e[1] == FUSED]
    for out in (len(g) - 1, len(g) // 2, products[len(products) // 2]):
        g.backward(out)
        assert all(map(same, g.grad, chain_rule_by_hand(g, out))), out


def test_a_graph_grown_between_passes_extends_its_plan():
    """The tracing API grows a graph between passes: the plan covers the new nodes, and a
    sum arriving after its product (in a later batch) is fused with it."""
    g = Graph()
    x, w, acc = (g.add(INPUT, value=v) for v in (2.0, 3.0, 1.0))
    m = g.add(OP_INDEX["mul"], w, x)
    g.forward()
    g.backward(m)
    assert g.grad[x] == 3.0
    s = g.add(OP_INDEX["add"], acc, m)
    t = g.add(OP_INDEX["tanh"], s)
    g.forward()
    assert g.plan().entries[-2][1] == FUSED and g.value[s] == 7.0
    g.backward(t)
    assert all(map(same, g.grad, chain_rule_by_hand(g, t)))


def test_a_range_that_splits_a_fused_pair_evaluates_exactly_its_nodes():
    prog = parse("w = 2; h = 3; acc = 1; s = acc + w*h; s*s")
    g = prog.graph
    s = prog.bindings["s"]
    product = s - 1
    assert OPS[g.op[product]].name == "mul" and g.plan().entries[0][1] == FUSED
    g.value[s] = math.nan
    g.forward(0, product + 1)  # ends on the product: it alone
    assert g.value[product] == 6.0 and math.isnan(g.value[s])
    g.value[product] = 10.0  # starts on the sum: the product is left as it is
    g.forward(s, len(g))
    assert g.value[s] == 11.0 and g.value[prog.output] == 121.0


def test_gradient_zero_above_an_infinite_slope_in_the_fast_pass_is_nan():
    """The fast pass skips zero-gradient pushes of inlined ops only; sqrt goes through the
    table even then, so 0·inf = nan reaches x (the exact chain rule over the cone)."""
    prog = parse("x = 0; z = -1; relu(z) * sqrt(x)")
    g = prog.graph
    g.forward()
    bw = g.backward(prog.output)
    assert math.isnan(g.grad[0]) and 0 in [w.node for w in bw]
    assert all(map(same, g.grad, chain_rule_by_hand(g, prog.output)))


def test_truncating_the_graph_drops_the_plan():
    prog = parse("w = 2; h = 3; acc = 1; acc + w*h")
    g = prog.graph
    g.plan()
    g.truncate(len(g) - 1)  # removes the sum: the product is no longer fused
    assert g.plan().entries[-1][1] == OP_INDEX["mul"]
    g.forward()
    assert g.value[len(g) - 1] == 6.0
