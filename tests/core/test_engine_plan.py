"""The engine's plan (engine.py): fused pairs, one-sided pushes and skipped zero gradients
give the answers of the plain chain rule, bit for bit, at every output and edge case."""

from __future__ import annotations

import math
import random

import pytest

from backprop_tui import engine_plan
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
    assert any(e[1] >= FUSED for e in plan.entries)  # some pairs are fused
    g.forward()
    for i in range(7, len(g)):
        if g.is_leaf(i):
            continue
        o = OPS[g.op[i]]
        expect = o.fn(g.value[g.a[i]], g.value[g.b[i]] if g.b[i] >= 0 else 0.0, g.k[i])
        assert same(g.value[i], expect), i
    products = [e[4] for e in plan.entries if e[1] >= FUSED]
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
    assert g.plan().entries[-2][1] >= FUSED and g.value[s] == 7.0
    g.backward(t)
    assert all(map(same, g.grad, chain_rule_by_hand(g, t)))


def test_a_range_that_splits_a_fused_pair_evaluates_exactly_its_nodes():
    prog = parse("w = 2; h = 3; acc = 1; s = acc + w*h; s*s")
    g = prog.graph
    s = prog.bindings["s"]
    product = s - 1
    assert OPS[g.op[product]].name == "mul" and g.plan().entries[0][1] >= FUSED
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


def identical(x: float, y: float) -> bool:
    """Equal with the same sign of zero, or both nan."""
    return (x == y and math.copysign(1.0, x) == math.copysign(1.0, y)) or (x != x and y != y)


def tree_graph(seed: int, n: int = 300, special: bool = False, rng=None, g=None) -> Graph:
    """Mostly expression trees: an op reads the newest nodes nothing reads yet (it is their
    sole consumer: the plan stores its pushes rather than adding them), sometimes an older
    node (a second consumer), a literal (one-sided pushes) or itself twice (x·x). Relus
    that are off, squares, tanh, sub, neg, table ops; with special=True also literals so
    large that gradients overflow to inf above relus that are off (inf·0 = nan), and
    signed zeros (a store must keep +0 where the chain rule adds to +0)."""
    rng = rng or random.Random(seed)
    if g is None:
        g = Graph()
        for _ in range(4):
            g.add(INPUT, value=rng.choice([0.0, -0.0, -1.0, rng.uniform(-2, 2)]))
    fresh = list(range(len(g)))  # nodes nothing reads yet, newest last
    lits = [0.5, -0.0, 0.0, 3.0] + ([1e200, -1e200] if special else [])
    names = ("add", "mul", "sub", "relu", "tanh", "neg", "powk", "sigmoid", "max")
    codes = [OP_INDEX[name] for name in names + (("abs",) if special else ("sin",))]

    def pick() -> int:
        r = rng.random()
        if r < 0.65 and fresh:
            return fresh.pop(rng.randrange(max(0, len(fresh) - 3), len(fresh)))
        if r < 0.8:
            return g.add(LITERAL, value=rng.choice(lits))
        return rng.randrange(len(g))

    for _ in range(n):
        code = rng.choice(codes)
        k = rng.choice([2.0, 3.0]) if OPS[code].name == "powk" else 0.0
        if OPS[code].arity == 1:
            node = g.add(code, pick(), -1, k)
        elif rng.random() < 0.05:
            a = pick()
            node = g.add(code, a, a)
        else:
            node = g.add(code, pick(), pick())
        fresh.append(node)
    return g


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("special", [False, True])
def test_sole_consumer_stores_equal_the_chain_rule_to_the_sign_of_zero(seed, special):
    """Stores into sole operands (0 + d = d), fused pairs and skipped zero gradients on
    expression trees: every gradient is the chain rule's, with the sign of zeros, at the
    last node, in the middle and at a node whose consumer lies past the output."""
    g = tree_graph(seed, special=special)
    g.forward()
    ops = [i for i in range(len(g)) if not g.is_leaf(i)]
    for out in (ops[-1], ops[len(ops) // 2], ops[len(ops) // 3]):
        g.backward(out)
        expect = chain_rule_by_hand(g, out)
        assert all(map(identical, g.grad, expect)), out


@pytest.mark.parametrize("seed", range(6))
def test_a_graph_grown_in_batches_plans_each_batch_against_the_consumers_so_far(seed):
    """The tracing API and the REPL grow a graph between passes: an operand the plan took
    for sole gains a consumer in a later batch (its consumer's entry must add again), and
    a sum arrives after its product. Every batch's passes equal the chain rule's."""
    rng = random.Random(seed)
    g = tree_graph(seed, n=40, special=seed % 2 == 1, rng=rng)
    for _ in range(6):
        g.forward()
        g.backward(len(g) - 1)
        assert all(map(identical, g.grad, chain_rule_by_hand(g, len(g) - 1)))
        old = rng.randrange(4, len(g))  # a node some earlier entry may store into
        g.add(OP_INDEX["mul"], old, g.add(LITERAL, value=2.0))
        tree_graph(seed, n=30, special=seed % 2 == 1, rng=rng, g=g)


def test_an_operand_that_gains_a_second_consumer_is_no_longer_stored_into():
    g = Graph()
    x, w = g.add(INPUT, value=0.5), g.add(INPUT, value=3.0)
    t = g.add(OP_INDEX["mul"], x, w)
    s = g.add(OP_INDEX["tanh"], t)  # t's one consumer: it stores t's gradient
    g.forward()
    g.backward(s)
    assert g.grad[t] == 1.0 - g.value[s] ** 2
    u = g.add(OP_INDEX["mul"], t, g.add(LITERAL, value=2.0))  # t's second consumer
    o = g.add(OP_INDEX["add"], s, u)
    g.forward()
    g.backward(o)
    assert g.grad[t] == (1.0 - g.value[s] ** 2) + 2.0
    assert all(map(identical, g.grad, chain_rule_by_hand(g, o)))


def build(steps: list[tuple[str, ...]], inputs: dict[str, float],
          onto: tuple[Graph, dict[str, int]] | None = None) -> tuple[Graph, dict[str, int]]:
    """A graph from named inputs, literals ("#value") and (name, op, operand…) steps; or
    those steps added to `onto`."""
    g, at = onto or (Graph(), {})
    at.update({name: g.add(INPUT, value=v) for name, v in inputs.items()})

    def node(ref: str) -> int:
        return g.add(LITERAL, value=float(ref[1:])) if ref.startswith("#") else at[ref]

    for name, op, *args in steps:
        k = 2.0 if op == "powk" else 0.0
        operands = [node(r) for r in args] + [-1] * (2 - len(args))
        at[name] = g.add(OP_INDEX[op], operands[0], operands[1], k)
    return g, at


# Each store into a sole operand meets a product that is a zero of either sign: the chain
# rule adds it to +0 (+0 + −0 = +0), so the store must keep +0 too.
SIGNED_ZEROS = {
    "product with a literal −0": ([("p", "mul", "x", "#-0.0")], {"x": 2.0}),
    "fused acc + w·(−0)": ([("p", "mul", "w", "#-0.0"), ("s", "add", "acc", "p")],
                           {"w": 2.0, "acc": 1.0}),
    "product of two sole sums": ([("a", "add", "x", "y"), ("p", "mul", "a", "z"),
                                  ("n", "neg", "p")], {"x": 1.0, "y": -1.0, "z": 0.0}),
    "tanh saturated, under −": ([("t", "tanh", "x"), ("n", "neg", "t")], {"x": 30.0}),
    "square at 0, under −": ([("q", "powk", "x"), ("n", "neg", "q")], {"x": 0.0}),
    "product at 0, under −": ([("a", "mul", "x", "y"), ("n", "neg", "a")], {"x": 0.0, "y": 1.0}),
}


@pytest.mark.parametrize("case", SIGNED_ZEROS)
def test_stores_into_sole_operands_keep_a_zero_positive(case):
    g, _ = build(*SIGNED_ZEROS[case])
    g.forward()
    g.backward(len(g) - 1)
    assert all(map(identical, g.grad, chain_rule_by_hand(g, len(g) - 1)))


# (steps, the node whose entry is looked at, the operands a later node reads again, its
# code with sole operands, with them read again): each inlined rule, stored and added.
# The inputs are read by other nodes too (no input is a sole operand).
P = engine_plan
PATTERNS = {
    "mul": ([("a", "add", "x", "y"), ("b", "add", "z", "w"), ("p", "mul", "a", "b")], "p",
            ("a", "b"), P._B_MUL_S, P._B_MUL),
    "mul, the sole operand second": ([("a", "add", "x", "y"), ("p", "mul", "z", "a")], "p",
                                     ("a",), P._B_MUL_S, P._B_MUL),
    "mul, no sole operand": ([("p", "mul", "z", "w")], "p", ("z",), P._B_MUL, P._B_MUL),
    "mul by a literal": ([("a", "add", "x", "y"), ("p", "mul", "#2", "a")], "p", ("a",),
                         P._B_MUL_AS, P._B_MUL_A),
    "add": ([("a", "mul", "x", "y"), ("t", "tanh", "z"), ("p", "add", "a", "t")], "p",
            ("a", "t"), P._B_ADD_SS, P._B_ADD),
    "add, one sole": ([("t", "tanh", "z"), ("p", "add", "x", "t")], "p", ("t",), P._B_ADD_S,
                      P._B_ADD),
    "add a literal": ([("t", "tanh", "z"), ("p", "add", "t", "#2")], "p", ("t",), P._B_ADD_AS,
                      P._B_ADD_A),
    "relu": ([("a", "add", "x", "y"), ("p", "relu", "a")], "p", ("a",), P._B_RELU_S,
             P._B_RELU),
    "tanh": ([("a", "add", "x", "y"), ("p", "tanh", "a")], "p", ("a",), P._B_TANH_S,
             P._B_TANH),
    "square": ([("a", "add", "x", "y"), ("p", "powk", "a")], "p", ("a",), P._B_SQUARE_S,
               P._B_SQUARE),
}
FUSED_PATTERNS = {  # the sum's forward code (how it pushes) and the product's backward code
    "acc + w·h": ([("a", "tanh", "z"), ("m", "mul", "x", "y"), ("p", "add", "a", "m")], "p",
                  ("a",), (P._FMA_XS, P._FMA), (P._FMA_S, P._FMA)),
    "acc + w·h, the product read again": ([("m", "mul", "x", "y"), ("p", "add", "x", "m")],
                                          "p", ("m",), (P._FMA_S, P._FMA), (P._FMA, P._FMA)),
    "acc + w·2": ([("a", "tanh", "z"), ("m", "mul", "a", "#2"), ("p", "add", "x", "m")], "p",
                  ("a",), (P._FMA_S, P._FMA_W1), (P._FMA_S, P._FMA_W)),
    "acc + 2·h": ([("m", "mul", "#2", "y"), ("p", "add", "m", "x")], "p", ("y",),
                  (P._FMA_S, P._FMA_H), (P._FMA_S, P._FMA_H)),
}


def entry_of(g: Graph, node: int):
    (e,) = [e for e in g.plan().entries if e[0] == node]
    return e


@pytest.mark.parametrize("reread", [False, True])
@pytest.mark.parametrize("case", list(PATTERNS) + list(FUSED_PATTERNS))
def test_each_inlined_rule_stored_or_added_is_the_chain_rule(case, reread):
    """Each inlined rule with sole operands (stores) and with a later node reading them
    again (additions; planned in the same batch and in a later one): the plan picks the
    code, and the gradients are the chain rule's."""
    steps, name, again, *codes = {**PATTERNS, **FUSED_PATTERNS}[case]
    inputs = {"x": 0.7, "y": -1.3, "z": 0.4, "w": 2.1}
    steps = [("q", "mul", "x", "y"), ("r", "mul", "z", "w")] + steps  # no sole input
    tail = [("u", "mul", again[0], again[-1]), ("out", "add", name, "u")] if reread else [
        ("out", "mul", name, "#3")]
    for batches in (1, 2):
        g, at = build(steps + tail if batches == 1 else steps, inputs)
        if batches == 2:
            g.forward()  # planned before the later node reads the operands again
            g.backward(at[name])
            assert all(map(identical, g.grad, chain_rule_by_hand(g, at[name])))
            g, at = build(tail, {}, onto=(g, at))
        e = entry_of(g, at[name])
        want = codes[reread]
        assert (e[1], e[2]) == want if case in FUSED_PATTERNS else e[2] == want
        g.forward()
        g.backward(at["out"])
        assert all(map(identical, g.grad, chain_rule_by_hand(g, at["out"])))
