"""Folding a named subexpression into one box (backprop_tui.folding): which nodes hide,
which wires the box keeps, and that a node read from outside the fold stays drawn."""

from __future__ import annotations

from backprop_tui.folding import fold
from backprop_tui.language import parse

MLP = ("x1 = 0.5; x2 = -1.5; w1 = 0.8; w2 = -0.4; b = 0.1; v = 2; "
       "h = tanh(w1*x1 + w2*x2 + b); y = v*h + h^2")


def folded(src: str, *names: str):
    prog = parse(src)
    g = prog.graph
    heads = [prog.bindings[n] for n in names]
    return fold(list(range(len(g))), g.operands, heads,
                lambda j: g.is_leaf(j) or j in g.names), prog


def test_a_named_neuron_folds_into_one_box_wired_from_its_inputs():
    f, prog = folded(MLP, "h")
    g = prog.graph
    h = prog.bindings["h"]
    hidden = set(f.owner)
    # the two products, the two sums: the operations h is computed from
    assert len(hidden) == 4 and all(f.owner[m] == h for m in hidden)
    assert all(not g.is_leaf(m) for m in hidden)
    assert set(f.heads[h]) == {prog.bindings[n] for n in ("x1", "x2", "w1", "w2", "b")}
    assert h in f.nodes and not hidden & set(f.nodes)
    # the rest still reads h: y's products are drawn, with h as their operand
    ops = f.operands(g.operands)
    assert all(h in ops(i) or not g.operands(i) or h not in g.operands(i) for i in f.nodes)
    assert f.shown(next(iter(hidden))) == h and f.shown(h) == h


def test_a_node_read_outside_the_fold_stays_drawn():
    # 0, 1 leaves; 2 = op(0, 1); 3 = op(2); 4 = op(3, 2) is the head; 5 = op(3) reads 3 from
    # outside: 3 must stay drawn, so must 2 (read by 3), and the box hides nothing at all
    ops = {0: (), 1: (), 2: (0, 1), 3: (2,), 4: (3, 2), 5: (3,), 6: (4, 5)}
    f = fold(list(ops), ops.__getitem__, [4], lambda j: not ops[j])
    assert not f.owner and not f.heads and f.nodes == list(ops)
    # without the outside reader, 2 and 3 fold into 4, which reads the leaves
    ops2 = {0: (), 1: (), 2: (0, 1), 3: (2,), 4: (3, 2), 5: (4,)}
    f = fold(list(ops2), ops2.__getitem__, [4], lambda j: not ops2[j])
    assert f.owner == {2: 4, 3: 4} and f.heads == {4: [0, 1]}
    assert f.nodes == [0, 1, 4, 5] and f.operands(ops2.__getitem__)(4) == [0, 1]
    # a reader of 2 only (not of 3): 2 stays, 3 still folds, and the box reads 2
    ops3 = {0: (), 1: (), 2: (0, 1), 3: (2,), 4: (3, 2), 5: (2,), 6: (4, 5)}
    f = fold(list(ops3), ops3.__getitem__, [4], lambda j: not ops3[j])
    assert f.owner == {3: 4} and f.heads == {4: [2]}


def test_nothing_to_fold_leaves_the_drawing_alone():
    f, prog = folded("x = 2; y = x", )
    assert f.nodes == list(range(len(prog.graph))) and not f.heads and not f.owner
    # a named node that reads only leaves hides nothing: no box
    f, _ = folded("x = 2; y = 3; z = x*y", "z")
    assert not f.heads and not f.owner


def test_one_fold_never_hides_another_folds_head():
    f, prog = folded(MLP, "y", "h")
    assert prog.bindings["h"] in f.nodes and prog.bindings["y"] in f.nodes
    assert set(f.owner.values()) <= {prog.bindings["h"], prog.bindings["y"]}
