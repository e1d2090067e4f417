"""Big graphs, stepping: O(1) steps (the last of each pass included) and an undo log of flat
arrays. Costs are not timed here (tests/benchmarks/bench_big.py measures them); these tests
check the structures that make them so."""

from __future__ import annotations

import gc
import math

from backprop_tui.events import Phase
from backprop_tui.language import parse
from backprop_tui.session import Session


def sum_of_squares(n: int) -> str:
    return ("\n".join(f"x{i} = {i + 1}" for i in range(n)) + "\n"
            + " + ".join(f"x{i}*x{i}" for i in range(n)))


def test_the_last_backward_step_names_a_few_inputs_and_counts_the_rest():
    s = Session(parse(sum_of_squares(30)))
    events = s.run_line(":backward")
    (done,) = [e for e in events if isinstance(e, Phase) and e.phase == "backward"]
    assert done.message.startswith("backward pass done: ∂f/∂x0 = 2, ∂f/∂x1 = 4, ∂f/∂x2 = 6, "
                                   "∂f/∂x3 = 8 … and 26 more")
    assert done.message.count("∂f/∂") == 4


def test_forward_mode_done_names_a_few_partials_and_counts_the_rest():
    s = Session(parse(sum_of_squares(6)))
    s.run_line(":mode forward")
    events = s.run_line(f":step {s.steps_total}")
    done = [e for e in events if isinstance(e, Phase)][-1]
    assert done.message.startswith("forward mode done: ∂f/∂x0 = 2, ∂f/∂x1 = 4, ∂f/∂x2 = 6, "
                                   "∂f/∂x3 = 8 … and 2 more")


def test_stepping_makes_no_objects_for_the_garbage_collector():
    """The undo log is flat float arrays: a long run of steps leaves no tracked objects
    behind (a tuple per step made every full collection walk the whole log)."""
    s = Session(parse("x = 0.5\ns = x\n" + "s = s*0.999 + x\n" * 2000 + "s"))
    s.run_line(":forward")
    gc.collect()
    before = len(gc.get_objects())
    s.run_line(":backward")
    gc.collect()
    assert len(gc.get_objects()) - before < 50
    assert s.undo_depth == s.pos == s.steps_total


def test_undo_through_the_flat_log_restores_every_value_and_gradient():
    """x·x pushes twice to one node, literals take no push, the output is seeded: undoing
    every step from the end gives back the state at each position exactly."""
    s = Session(parse("x = 0.5; y = -2\nu = x*x + 3*y\nv = tanh(u) * x + y*y\nv*u"))
    g = s.prog.graph
    states = []
    for _ in range(s.steps_total):
        states.append((list(g.value), list(g.grad), s.received()))
        s.step()
    for k in range(s.steps_total - 1, -1, -1):
        s.back()
        value, grad, received = states[k]
        assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(g.value, value, strict=True))
        assert g.grad == grad and s.received() == received and s.undo_depth == k


def test_forward_mode_undo_restores_values_tangents_and_results():
    s = Session(parse("x = 0.5; y = -2; tanh(x*y) + x*x"))
    s.run_line(":mode forward")
    tangents = []
    for _ in range(s.steps_total):
        s.step()
        tangents.append([s.tangent(i) for i in range(len(s.prog.graph))])
    assert len(s.pass_results()) == 2
    for k in range(s.steps_total - 1, 0, -1):
        s.back()
        assert [s.tangent(i) for i in range(len(s.prog.graph))] == tangents[k - 1]
        assert s.undo_depth == k
    assert s.pass_results() == []
