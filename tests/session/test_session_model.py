"""The session's public model, the queries every view reads."""

from __future__ import annotations

from backprop_tui.session import Session

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


def _seed() -> Session:
    s = Session()
    s.run_line(SEED)
    return s


def test_grad_state_goes_not_computed_partial_final():
    s = _seed()
    x = s.resolve("x")
    one = s.resolve("1")
    assert s.grad_state(x) == "not computed" and s.grad_state(one) == "none"
    s.run_line(":forward")
    assert s.grad_state(x) == "not computed"
    s.run_line(":step 2")  # the seed, then x²+3xy
    assert s.in_backward and s.grad_state(x) == "partial"
    s.run_line(":backward")
    assert s.grad_state(x) == "final" and s.grad_state(one) == "none"


def test_in_cone_and_step_indices():
    s = _seed()
    s.run_line("z = 5*x")  # now f = z: the seed's nodes are outside
    out = s.output
    assert s.in_cone(s.resolve("x")) and s.in_cone(out)
    assert not s.in_cone(s.resolve("x²"))
    assert s.forward_step_of(s.resolve("x")) == -1  # a leaf has no forward step
    assert s.backward_step_of(out) == 0


def test_consumers_and_chain_terms_explain_13():
    s = _seed()
    x = s.resolve("x")
    labels = [s.graph.names.get(c) or c for c in s.consumers(x)]
    assert len(labels) == 2
    s.run_line(":forward")
    s.run_line(":step")  # the seed only: nothing has reached x yet
    terms = s.chain_terms(x)
    assert [t.arrived for t in terms] == [False, False]
    s.run_line(":backward")
    terms = s.chain_terms(x)
    assert [t.consumer_label for t in terms] == ["x²", "3x"]
    assert [(t.local_text, t.local, t.upstream, t.product) for t in terms] == [
        ("2x", 4.0, 1.0, 4.0), ("3", 3.0, 3.0, 9.0)]
    assert all(t.arrived for t in terms)
    assert sum(t.product for t in terms) == s.graph.grad[x] == 13


def test_chain_terms_of_x_times_x_are_two():
    s = Session()
    s.run_line("x = 3; x*x")
    s.run_line(":backward")
    terms = s.chain_terms(s.resolve("x"))
    assert [t.local for t in terms] == [3.0, 3.0] and sum(t.product for t in terms) == 6


def test_chain_terms_before_the_forward_pass_have_no_numbers():
    s = _seed()
    terms = s.chain_terms(s.resolve("y"))
    assert len(terms) == 1 and terms[0].local is None and terms[0].upstream is None


def test_current_step_and_what_it_pushed():
    s = _seed()
    assert s.current_step() is None and s.received() == {} and s.last_contributions() == []
    s.run_line(":forward")
    assert s.current_step().phase == "forward" and s.received() == {}
    s.run_line(":step 2")  # the seed, then x²+3xy pushes 1 to x² and to 3xy
    step = s.current_step()
    assert step.phase == "backward" and [c.to for c in s.last_contributions()] == ["x²", "3xy"]
    assert s.received() == {c.to_id: c.before for c in step.contributions}


def test_local_derivatives_need_computed_operands():
    s = _seed()
    xy = s.resolve("3xy")
    assert s.local_derivatives(xy) == []
    s.run_line(":forward")
    assert [(d.operand_label, d.text, d.value) for d in s.local_derivatives(xy)] == [
        ("3x", "y", 3.0), ("y", "3x", 6.0)]


def test_listeners_hear_each_outside_line_once_not_a_loads_lines(tmp_path):
    inner = tmp_path / "inner.bp"
    inner.write_text("x = 2\nx^2\n", encoding="utf-8")
    s = Session()
    heard: list[str] = []
    s.listeners.append(lambda line, events: heard.append(line))
    s.run_line("y = 1")
    s.run_line(f":load {inner}")
    assert heard == ["y = 1", f":load {inner}"]
