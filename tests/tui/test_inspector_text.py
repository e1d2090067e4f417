"""The inspector names the node it differentiates by: ∂f/∂ its label (issue 11's text fixes),
never the word 'node'."""

from __future__ import annotations

from backprop_tui.session import Session
from backprop_tui.tui.widgets.inspector import describe


def _text(session: Session, node: int) -> str:
    return "\n".join("".join(part for part, _ in line) for line in describe(session, node))


def test_the_gradient_line_names_the_node_by_its_label():
    s = Session()
    s.run_line("x = 2; y = 3; x^2 + 3x*y + 1")
    s.run_line(":forward")
    out = s.output
    assert "∂f/∂(x²+3xy+1)" in _text(s, out) and "∂f/∂node" not in _text(s, out)
    s.run_line(":backward")
    x = s.prog.bindings["x"]
    assert "∂f/∂x  13" in _text(s, x)


def test_a_long_label_is_clipped_not_replaced():
    s = Session()
    s.run_line("a = 1; b = 2; c = 3; a*b + b*c + c*a + a*b*c + sin(a) + cos(b)")
    s.run_line(":backward")
    text = _text(s, s.output)
    assert "∂f/∂node" not in text
    assert any(line.startswith("∂f/∂(ab+bc+") and "…" in line.split()[0] for line in text.split("\n"))
