"""The engine's passes at values that are not finite: forward warns of every one (even
where an op makes it finite again), backward of every non-finite gradient, and 0·inf = nan
reaches the nodes the exact chain rule sends it to, through the fast pass's shortcuts."""

from __future__ import annotations

import math
import random

import pytest
from test_engine_plan import build, chain_rule_by_hand, identical, tree_graph

from backprop_tui.graph import EvalError, Graph
from backprop_tui.ops import INPUT, LITERAL, OP_INDEX, OPS


@pytest.mark.parametrize("a", [0.0, -0.0, 1.5, -2.5, 1e200, 1e308, -1e308, math.inf,
                               -math.inf, math.nan, 5e-324])
@pytest.mark.parametrize("sole", [True, False])
def test_the_inlined_square_is_the_tables_powk_bit_for_bit(a, sole):
    """powk at k = 2 pushes gi·(2a): the table's k·pow(a, k − 1) at every value, inf and
    nan included (with and without a second consumer of a)."""
    g = Graph()
    x = g.add(INPUT, value=a)
    sq = g.add(OP_INDEX["powk"], x, -1, 2.0)
    out = sq if sole else g.add(OP_INDEX["add"], sq, x)
    g.forward()
    g.backward(out)
    assert all(map(identical, g.grad, chain_rule_by_hand(g, out)))
    (d,) = OPS[OP_INDEX["powk"]].deriv(a, 0.0, 2.0, g.value[sq])
    assert identical(g.grad[x], 1.0 * d + (0.0 if sole else 1.0))


@pytest.mark.parametrize("k", [2.0, 3.0, -1.0, -2.0, 0.5, 2.5, 0.0, 1.0])
def test_the_inlined_powk_forward_is_the_tables_fn_bit_for_bit(k):
    """powk's value is math.pow in the loop and the table's _pow where that overflows
    (±inf): the table's fn at every value, or the same error."""
    fn = OPS[OP_INDEX["powk"]].fn
    for a in (0.0, -0.0, 1.5, -2.5, 1e200, -1e200, 1e-200, math.inf, -math.inf, math.nan):
        g = Graph()
        x = g.add(INPUT, value=a)
        node = g.add(OP_INDEX["powk"], x, -1, k)
        try:
            expect = fn(a, 0.0, k)
        except ValueError:
            with pytest.raises(EvalError) as err:
                g.forward()
            assert err.value.node == node
            continue
        g.forward()
        assert identical(g.value[node], expect), (a, k)


def nonfinite_nodes(values: list[float], start: int = 0, stop: int | None = None) -> set[int]:
    stop = len(values) if stop is None else stop
    return {i for i in range(start, stop) if not math.isfinite(values[i])}


@pytest.mark.parametrize("seed", range(8))
def test_forward_names_every_non_finite_value_even_where_an_op_makes_it_finite_again(seed):
    """Forward looks for non-finite values at the ops that can turn them finite (relu(nan)
    = 0, tanh(inf) = 1, sigmoid, max, sin…) and at the nodes nothing reads: its warnings
    name exactly the non-finite values, over the whole graph and over a range."""
    rng = random.Random(seed)
    g = Graph()
    for _ in range(3):
        g.add(INPUT, value=rng.uniform(-2, 2))
    g.add(INPUT, value=rng.choice([math.inf, -math.inf, math.nan, 1.0]))  # maybe unread
    tree_graph(seed, n=200, special=True, rng=rng, g=g)
    big = g.add(LITERAL, value=1e300)
    inf = g.add(OP_INDEX["mul"], big, big)
    nan = g.add(OP_INDEX["sub"], inf, inf)
    for name, j in [("relu", nan), ("tanh", inf), ("sigmoid", inf), ("relu", inf)]:
        g.add(OP_INDEX[name], j)  # finite again, some read later, some not
    tree_graph(seed + 100, n=100, special=True, rng=rng, g=g)
    warned = {w.node for w in g.forward()}
    assert warned == nonfinite_nodes(g.value) and inf in warned and nan in warned
    lo, hi = len(g) // 3, 2 * len(g) // 3
    assert {w.node for w in g.forward(lo, hi)} == nonfinite_nodes(g.value, lo, hi)


def test_forward_warns_of_an_unread_non_finite_node_and_an_unread_input():
    g = Graph()
    x = g.add(INPUT, value=1e300)
    lost = g.add(INPUT, value=math.inf)  # nothing reads it
    sq = g.add(OP_INDEX["mul"], x, x)  # inf, nothing reads it
    out = g.add(OP_INDEX["relu"], g.add(OP_INDEX["neg"], x))
    assert {w.node for w in g.forward()} == {lost, sq}
    g.add(OP_INDEX["tanh"], sq)  # now something reads it: still found
    assert {w.node for w in g.forward()} == {lost, sq} and g.value[out] == 0.0


def test_unread_nodes_of_earlier_batches_stay_checked_as_the_graph_grows():
    """The nodes nothing reads are listed as the plan grows, and the list is pruned of
    those read since: an unread infinite node of the first batch is found at every size,
    and the list stays within twice the unread nodes."""
    g = Graph()
    x = g.add(INPUT, value=1e300)
    lost = g.add(OP_INDEX["mul"], x, x)  # inf, never read
    half = g.add(LITERAL, value=0.5)
    rng = random.Random(3)
    last: list[int] = []
    acc = half
    for _ in range(40):
        # Read all of the previous batch's new nodes but one into a running sum (only its
        # last node stays unread); leave the new ones unread.
        keep = rng.randrange(len(last)) if last else -1
        for j, node in enumerate(last):
            if j != keep:
                acc = g.add(OP_INDEX["add"], acc, g.add(OP_INDEX["tanh"], node))
        last = [g.add(OP_INDEX["mul"], x, half) for _ in range(rng.randrange(1, 8))]
        assert {w.node for w in g.forward()} == {lost}
    read = {j for i in range(len(g)) if not g.is_leaf(i) for j in g.operands(i)}
    unread = len(g) - len(read)
    assert unread <= len(g.plan().ends) <= 2 * unread + 8  # pruned as it grew


@pytest.mark.parametrize("seed", range(6))
def test_backward_warns_of_exactly_the_non_finite_gradients(seed):
    """The fast pass checks only the leaves gradients reach (a non-finite gradient reaches
    one: relu pushes gi·0 = nan when gi is not): when a gradient overflows anywhere, the
    warnings name exactly the non-finite gradients, as the chain rule computes them."""
    g = tree_graph(seed, n=250, special=True)
    g.forward()
    ops = [i for i in range(len(g)) if not g.is_leaf(i)]
    for out in (ops[-1], ops[len(ops) // 2]):
        warned = {w.node for w in g.backward(out)}
        expect = chain_rule_by_hand(g, out)
        assert all(map(identical, g.grad, expect))
        assert warned == nonfinite_nodes(expect)


# A value that is not finite, then an op that makes it finite again: the warning still
# names it (and every other non-finite value).
ABSORBED = {
    "relu(-inf)": [("t", "mul", "x", "x"), ("n", "neg", "t"), ("r", "relu", "n")],
    "relu(nan)": [("t", "mul", "x", "x"), ("d", "sub", "t", "t"), ("r", "relu", "d")],
    "tanh(inf)": [("t", "mul", "x", "x"), ("r", "tanh", "t")],
    "sigmoid(inf) (a table op)": [("t", "mul", "x", "x"), ("r", "sigmoid", "t")],
    "min(inf, 1) (binary)": [("t", "mul", "x", "x"), ("r", "min", "t", "#1")],
    "min(1, inf) (binary)": [("t", "mul", "x", "x"), ("r", "min", "#1", "t")],
}


@pytest.mark.parametrize("case", ABSORBED)
def test_a_non_finite_value_made_finite_again_is_still_warned(case):
    g, at = build(ABSORBED[case] + [("out", "add", "r", "#1")], {"x": 1e300})
    warned = {w.node for w in g.forward()}
    assert math.isfinite(g.value[at["out"]])
    assert warned == nonfinite_nodes(g.value) and at["t"] in warned


# A zero gradient meets a local derivative that reads an infinite value: 0·inf = nan.
ZERO_OVER_INF = {
    "product": [("t", "mul", "x", "x"), ("p", "mul", "y", "t"), ("z", "mul", "p", "#0")],
    "one-sided product": [("p", "mul", "y", "#inf"), ("z", "mul", "p", "#0")],
    "fused pair": [("t", "mul", "x", "x"), ("p", "mul", "y", "t"), ("s", "add", "y", "p"),
                   ("z", "mul", "s", "#0")],
    "tanh(nan)": [("t", "mul", "x", "x"), ("d", "sub", "t", "t"), ("h", "tanh", "d"),
                  ("z", "mul", "h", "#0")],
    "square": [("t", "mul", "x", "x"), ("q", "powk", "t"), ("z", "mul", "q", "#0")],
}


@pytest.mark.parametrize("case", ZERO_OVER_INF)
def test_a_zero_gradient_over_an_infinite_value_gives_nan(case):
    g, at = build(ZERO_OVER_INF[case], {"x": 1e300, "y": 2.0})
    g.forward()
    g.backward(at["z"])
    expect = chain_rule_by_hand(g, at["z"])
    assert any(map(math.isnan, expect))
    assert all(map(identical, g.grad, expect))


@pytest.mark.parametrize("sole", [True, False])
def test_an_overflowing_gradient_above_a_relu_that_is_off_is_nan_below_it(sole):
    """relu'(z) = 0 for z < 0, and inf·0 = nan: the exact chain rule sends nan below an off
    relu whose gradient overflowed (the fast pass must push it, or detect it)."""
    steps = [("z", "neg", "x"), ("r", "relu", "z"), ("a", "mul", "r", "#1e200"),
             ("b", "mul", "a", "#1e200")]
    if not sole:
        steps.append(("c", "add", "b", "z"))
    g, at = build(steps, {"x": 1.0})
    g.forward()
    out = len(g) - 1
    warned = {w.node for w in g.backward(out)}
    expect = chain_rule_by_hand(g, out)
    assert math.isinf(expect[at["r"]]) and math.isnan(expect[at["x"]])
    assert all(map(identical, g.grad, expect)) and at["x"] in warned
