"""The seed's canonical example, end to end through the language and the engine."""

from backprop_tui.labels import label
from backprop_tui.language import parse

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


def test_seed_value_gradients_and_labels():
    prog = parse(SEED)
    g = prog.graph
    g.forward()
    g.backward(prog.output)
    assert g.value[prog.output] == 23.0
    inputs = dict(prog.inputs())
    assert g.grad[inputs["x"]] == 13.0
    assert g.grad[inputs["y"]] == 6.0
    labels = sorted(label(g, i) for i in range(len(g)))
    assert labels == sorted(["x", "3", "y", "1", "3x", "3xy", "x²", "x²+3xy", "x²+3xy+1"])
