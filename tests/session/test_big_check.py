"""Big graphs: :check costs the sum of the checked nodes' downstream cones (consumer lists
built once), and summary() lists every node only when asked."""

from __future__ import annotations

import random

import pytest

from backprop_tui import gradcheck
from backprop_tui.graph import Graph
from backprop_tui.language import parse
from backprop_tui.ops import INPUT, LITERAL, OP_INDEX, OPS
from backprop_tui.session import Session


def sweep_downstream(g: Graph, j: int, output: int) -> list[int]:
    """The straightforward definition: a sweep from j to the output, kept when it reaches it."""
    mark = bytearray(output + 1)
    mark[j] = 1
    nodes = []
    for i in range(j + 1, output + 1):
        if not g.is_leaf(i) and (mark[g.a[i]] or (g.b[i] >= 0 and mark[g.b[i]])):
            mark[i] = 1
            nodes.append(i)
    if not mark[output]:
        return []
    # only the nodes on a path to the output are re-evaluated
    cone = g.cone(output)
    return [i for i in nodes if cone[i]]


@pytest.mark.parametrize("seed", range(5))
def test_downstream_from_consumer_lists_is_the_sweeps(seed):
    rng = random.Random(seed)
    g = Graph()
    for _ in range(5):
        g.add(INPUT, value=rng.uniform(-1, 1))
    g.add(LITERAL, value=2.0)
    codes = [OP_INDEX[n] for n in ("add", "mul", "tanh", "sub", "relu")]
    for _ in range(200):
        code = rng.choice(codes)
        lo = max(0, len(g) - 12)  # mostly local reads: many nodes off the output's cone
        g.add(code, rng.randrange(lo, len(g)), rng.randrange(len(g)) if OPS[code].arity == 2 else -1)
    g.forward()
    for out in (len(g) - 1, len(g) // 2):
        consumers = g.consumers(out)
        for j in range(out + 1):
            expect = sweep_downstream(g, j, out)
            assert gradcheck.downstream(g, j, out, consumers).nodes == expect, (out, j)
            assert gradcheck.downstream(g, j, out).nodes == expect


def test_the_evaluators_of_one_check_share_a_scratch_that_each_call_restores():
    s = Session(parse("x = 0.5; y = 2; u = tanh(x*y); u*u + x"))
    g = s.prog.graph
    rows, _, _ = gradcheck.check(g, s.output, [0, 1])
    ref = gradcheck.reference(g, s.output)
    assert [r.verdict for r in rows] == ["pass", "pass"]
    assert [r.analytic for r in rows] == [ref.grad[0], ref.grad[1]]
    scratch = list(ref.value)
    f = gradcheck.Evaluator(ref, 0, s.output, ref.consumers(s.output), scratch)
    assert f(0.6) != f(0.5) == ref.value[s.output]
    assert scratch == ref.value  # restored after each call


def test_check_of_all_inputs_evaluates_only_their_cones():
    """A balanced tree of 64 inputs: each input's check re-evaluates its own path to the
    root (log₂ 64 + 2 nodes), not the graph after it."""
    n = 64
    terms = [f"tanh(x{i})" for i in range(n)]
    lines = [f"x{i} = {0.1 + i / 100}" for i in range(n)]
    while len(terms) > 1:
        terms = [f"({terms[k]} + {terms[k + 1]})" for k in range(0, len(terms), 2)]
    s = Session(parse("\n".join(lines) + "\n" + terms[0]))
    g = s.prog.graph
    consumers = g.consumers(s.output)
    sizes = {len(gradcheck.downstream(g, i, s.output, consumers).nodes) for _, i in s.inputs_of_f()}
    assert sizes == {7}  # tanh, then 6 sums up to the root
    (ev,) = s.run_line(":check")
    assert ev.all_pass and len(ev.rows) == n


def test_summary_lists_every_node_only_when_asked():
    s = Session()
    s.run_line("x = 2; y = 3; x^2 + 3x*y + 1")
    assert s.summary().nodes == []
    full = s.summary(nodes=True)
    assert [n["id"] for n in full.nodes] == list(range(len(s.prog.graph)))
    assert full.inputs == s.summary().inputs == [{"name": "x", "value": 2.0, "grad": 13.0},
                                                 {"name": "y", "value": 3.0, "grad": 6.0}]
