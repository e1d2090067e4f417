""":fold and :unfold (commands/view.py): the fold state every view draws from, and clear
refusals for what cannot be folded."""

from __future__ import annotations

from backprop_tui import commands  # noqa: F401  (registers the commands)
from backprop_tui.commands.view import fold_of, foldable, folded_heads, toggle_line
from backprop_tui.events import Error, Info
from backprop_tui.language import parse
from backprop_tui.session import Session

MLP = ("x1 = 0.5; x2 = -1.5; w11 = 0.8; w12 = -0.4; b1 = 0.1; w21 = -0.6; w22 = 0.9; "
       "b2 = 0.2; v1 = 1.5; v2 = -0.7; c = 0.05; h1 = tanh(w11*x1 + w12*x2 + b1); "
       "h2 = tanh(w21*x1 + w22*x2 + b2); y = tanh(v1*h1 + v2*h2 + c); loss = (y - 0.25)^2")


def one(evs, kind):
    assert len(evs) == 1 and isinstance(evs[0], kind), evs
    return evs[0]


def test_fold_and_unfold_a_named_neuron():
    s = Session(parse(MLP))
    h1 = s.prog.bindings["h1"]
    info = one(s.run_line(":fold h1"), Info)
    assert info.message == "folded h1: 4 nodes drawn as 1 box (:unfold h1)"
    assert folded_heads(s) == {h1}
    shown = fold_of(s, s.nodes_of_f())
    assert len(shown.nodes) == 29 - 4 and set(shown.owner.values()) == {h1}
    assert one(s.run_line(":unfold h1"), Info).message == "unfolded h1"
    assert folded_heads(s) == set()
    assert one(s.run_line(":unfold h1"), Info).message == "h1 is not folded"


def test_fold_all_and_the_numbers_do_not_change():
    s = Session(parse(MLP))
    s.run_line(":backward")
    before = list(s.graph.grad)
    info = one(s.run_line(":fold all"), Info)
    assert info.message.startswith("folded h1, h2, y, loss: 13 nodes drawn as 4 boxes")
    assert folded_heads(s) == set(foldable(s))
    assert list(s.graph.grad) == before and s.progress_text() == "done: backward 28/28"
    one(s.run_line(":unfold all"), Info)
    assert folded_heads(s) == set()


def test_what_cannot_be_folded_is_refused_clearly():
    s = Session(parse(MLP))
    err = one(s.run_line(":fold x1"), Error)
    assert "x1 is an input or a constant: nothing to fold; foldable: h1, h2, y, loss" in err.message
    assert "usage: :fold NAME|all" in one(s.run_line(":fold"), Error).message
    assert "no node 'zz'" in one(s.run_line(":fold zz"), Error).message
    assert "no program yet" in one(Session().run_line(":fold all"), Error).message


def test_the_fold_keys_line_and_a_new_program_folds_nothing():
    s = Session(parse(MLP))
    b = s.prog.bindings
    assert toggle_line(s, b["h2"]) == ":fold h2"
    s.run_line(":fold h2")
    assert toggle_line(s, b["h2"]) == ":unfold h2"
    assert toggle_line(s, b["w21"]) is None  # an input: never hidden, nothing to fold
    hidden = next(i for i, h in fold_of(s, s.nodes_of_f()).owner.items() if h == b["h2"])
    assert toggle_line(s, hidden) == ":unfold h2"  # a node inside the fold unfolds it
    s.run_line(":fold all")
    s.run_line(":new")
    s.run_line("x = 2; h = sin(x*x)")
    assert folded_heads(s) == set()


def test_calls_fold_by_their_name():
    s = Session(parse("n(a, b) = tanh(a*b + 1); x = 2; y = 3; n(x, y) * n(y, x)"))
    heads = foldable(s)
    assert len(heads) == 2  # the two calls' results
    info = one(s.run_line(":fold n#2"), Info)
    # tanh(y·x + 1): the product and the sum hide in the box (the literal 1 is a leaf)
    assert info.message == "folded n#2: 2 nodes drawn as 1 box (:unfold n#2)"
    assert len(folded_heads(s)) == 1


def test_headless_graph_draws_a_fold_as_one_line():
    from backprop_tui.events import GraphText

    s = Session(parse(MLP))
    before = one(s.run_line(":graph"), GraphText).lines
    s.run_line(":fold h1")
    lines = one(s.run_line(":graph"), GraphText).lines
    assert len(lines) == len(before) - 4
    h1 = next(line for line in lines if "⊞h1" in line)
    assert "← x1, x2, w11, w12, b1" in h1
    assert not any("w11·x1" in line for line in lines)
    s.run_line(":unfold h1")
    assert one(s.run_line(":graph"), GraphText).lines == before
