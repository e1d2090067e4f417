"""Big graphs, statements: each costs O(its nodes) (incremental.py keeps f's value and cone
counts; the step order is built when first read). These tests check that what a statement
reports equals a full pass and a fresh step order of the same state."""

from __future__ import annotations

import math
import random

import pytest

from backprop_tui import gradcheck
from backprop_tui.events import Error, Statement, Warn
from backprop_tui.graph import EvalError
from backprop_tui.incremental import CREDIT, ConeCount
from backprop_tui.labels import label
from backprop_tui.language import Program, parse
from backprop_tui.session import Session


def random_lines(seed: int, n: int = 120) -> list[str]:
    """Statements of every kind a file has: inputs, rebinding (c = c + 1), chains on the
    previous statement, unrelated ones, bare expressions, nan/inf and domain errors."""
    rng = random.Random(seed)
    names = ["x", "y"]
    lines = ["x = 0.5", "y = -1.25"]
    for k in range(n):
        a, b = rng.choice(names), rng.choice(names)
        r = rng.random()
        if r < 0.1:
            name = f"i{k}"
            lines.append(f"{name} = {rng.uniform(-2, 2):.3f}")
            names.append(name)
        elif r < 0.2:
            lines.append(f"{a} = {a} + {b}*0.5")  # rebinds a (an input may lose its name)
        elif r < 0.3:
            lines.append(f"{a}*{b} + 1")  # a bare expression: the output, no name
        elif r < 0.35:
            lines.append(f"log({a} - 100)")  # cannot be evaluated
        elif r < 0.38:
            lines.append(f"exp({a} * 1000)")  # may overflow
        elif r < 0.4:
            lines.append(f"{a} + q{k}")  # an unknown name: the line fails and is rolled back
        else:
            name = f"t{k}"
            form = rng.choice(["{a} + {b}", "{a}*{b}", "tanh({a}) + {b}", "relu({a}) - {b}",
                               "{a}*{b} + {a}"])
            lines.append(f"{name} = " + form.format(a=a, b=b))
            names.append(name)
    return lines


def fresh(s: Session) -> Session:
    """A new session on the same program text, statement by statement."""
    prog = Program()
    for chunk in s.prog.graph.source.chunks:
        prog.run(chunk.text, chunk.file, chunk.first_line)
    return Session(prog)


@pytest.mark.parametrize("seed", range(4))
def test_each_statement_reports_what_a_full_pass_and_a_fresh_count_give(seed):
    s = Session()
    for line in random_lines(seed):
        events = s.run_line(line)
        stmts = [e for e in events if isinstance(e, Statement)]
        if not stmts:
            assert any(isinstance(e, Error) for e in events)
            continue
        (ev,) = stmts
        g, out = s.prog.graph, s.output
        other = fresh(s)
        assert ev.id == out == other.output
        assert (ev.forward_steps, ev.backward_steps) == (len(other.fwd), len(other.bwd))
        info = other.output_info()
        assert info is not None
        assert (ev.nodes, ev.inputs, ev.outside) == (info.nodes, info.inputs, info.outside)
        try:
            ref = gradcheck.reference(g, out)
        except EvalError as err:
            assert ev.value is None
            errors = [e for e in events if isinstance(e, Error)]
            assert errors and label(g, err.node) in errors[0].message
            continue
        v = ref.value[out]
        assert ev.value == v or (math.isnan(v) and math.isnan(ev.value))
        warned = [e for e in events if isinstance(e, Warn)]
        assert bool(warned) == (not all(math.isfinite(ref.value[i]) for i in other.fwd))


def test_counts_are_exact_on_the_seed_and_on_a_rebound_input():
    """The inputs are f's (y = 3 is f then: one input)."""
    s = Session()
    (x,) = s.run_line("x = 2")
    (y,) = s.run_line("y = 3")
    (f,) = s.run_line("x^2 + 3x*y + 1")
    assert [(e.inputs, e.forward_steps, e.backward_steps) for e in (x, y, f)] == [
        (1, 0, 1), (1, 0, 1), (2, 5, 7)]
    (c,) = s.run_line("c = 1; c = c + c + 1")  # the input c loses its name but f uses it
    assert c.inputs == 1 and c.forward_steps == 2


def test_alternating_big_cones_stay_exact():
    """Two long accumulators in turn: each statement's cone does not hold the previous
    output's, so counting afresh is paid from the credit; past it the step order counts.
    Either way the figures are exact."""
    s = Session()
    s.run_line("x = 1")
    s.run_line("u = x; v = x")
    events = [s.run_line("u = u*0.5 + x" if k % 2 == 0 else "v = v*0.5 + x")[0]
              for k in range(300)]
    assert events[-1].forward_steps == len(fresh(s).fwd) == 300
    assert all(e.forward_steps == 2 * (k // 2 + 1) for k, e in enumerate(events))


def test_cone_count_spends_no_more_than_its_credit():
    prog = parse("x = 1\nu = x\nv = x\n" + "u = u + x\nv = v + x\n" * 300)
    g = prog.graph
    cc = ConeCount(g)
    u, v = prog.bindings["u"], prog.bindings["v"]
    visits = 0
    for out in [u, v] * 50:
        before = cc.credit
        cc.update(out)
        visits += max(0, before - cc.credit)
    assert visits <= CREDIT * len(g) + 4  # the credit earned by the graph's nodes


def test_set_changes_the_values_later_statements_report():
    s = Session()
    s.run_line("x = 2; y = x*x")
    s.run_line(":set x = 3")
    (ev,) = s.run_line("y + 1")
    assert ev.value == 10.0


def test_a_new_statement_undoes_the_steps_taken_and_leaves_values_not_computed():
    s = Session()
    s.run_line("x = 2; y = x*x")
    s.run_line(":backward")
    g = s.prog.graph
    y = s.prog.bindings["y"]
    assert g.value[y] == 4.0 and g.grad[0] == 4.0
    s.run_line("z = y + 1")
    assert math.isnan(g.value[y]) and g.grad[0] == 0.0 and s.pos == 0
    s.run_line(":forward")
    assert g.value[s.output] == 5.0


@pytest.mark.parametrize("bad", ["", "z = log(x - 10)\n", "z = exp(x * 10000)\n"])
def test_a_program_parsed_whole_gets_its_values_from_one_engine_pass(bad):
    """Past 1,000 nodes the first sync is one forward pass; a node that fails or is not
    finite (off f's cone here) sends it node by node. Either way: a full pass's values."""
    n = 400
    text = ("x = 0.3\n" + bad + "\n".join(f"t{i} = tanh(x*{i % 7 + 1}) + x*x" for i in range(n))
            + "\n" + " + ".join(f"t{i}" for i in range(n)))
    s = Session(parse(text))
    assert len(s.prog.graph) > 1000
    (ev,) = s.run_line("t0 + 1")
    ref = gradcheck.reference(s.prog.graph, s.output)
    assert ev.value == ref.value[s.output]
    s.run_line(":set x = 0.4")
    (ev,) = s.run_line("t1 + 1")
    ref = gradcheck.reference(s.prog.graph, s.output)
    assert ev.value == ref.value[s.output]


def test_a_failed_line_rolls_back_its_bindings_and_consts_from_the_journal():
    s = Session()
    s.run_line("x = 1; y = 2")
    (err,) = s.run_line("x = 5; k: const = 3; z = 4; y = y + q")  # unknown q: all rolled back
    assert isinstance(err, Error)
    assert s.prog.bindings == {"x": 0, "y": 1} and s.prog.consts == set()
    (ev,) = s.run_line("x + y")
    assert ev.value == 3.0 and ev.inputs == 2
    (ev,) = s.run_line("k: const = 3; k*x")  # k can be declared now
    assert ev.value == 3.0


def test_a_failed_line_leaves_the_builtin_constants_and_functions_as_they_were():
    # Program.run keeps builtin and functions by reference (copy on write), not copies.
    s = Session()
    s.run_line("x = 1")
    builtin, functions = s.prog.builtin, s.prog.functions
    (err,) = s.run_line("y = pi*x; g(a) = a^2; g(y) + q")  # pi made, g defined, then q fails
    assert isinstance(err, Error)
    assert s.prog.builtin is builtin and s.prog.builtin == {}
    assert s.prog.functions is functions and s.prog.functions == {}
    assert builtin == {} and functions == {}  # the kept dicts were not changed in place
    (ev,) = s.run_line("pi*x")  # pi is made again, inside the graph as it is now
    assert ev.value == math.pi and s.prog.builtin["pi"] < len(s.prog.graph)
    events = s.run_line("g(a) = a^2; g(3)")
    assert events[-1].value == 9.0 and list(s.prog.functions) == ["g"]
    (err,) = s.run_line("g(a) = a^3; h = 2; q")  # a redefinition rolled back
    assert isinstance(err, Error)
    assert s.run_line("g(2)")[0].value == 4.0


@pytest.mark.parametrize("line", ["h = 2", "exit2 = 1", "quitting = 3", "e2 = 4", "e"])
def test_statements_beginning_like_help_or_quit_are_statements(line):
    s = Session()
    (ev,) = s.run_line(line)
    assert isinstance(ev, Statement) and ev.source == line


def test_blank_comment_search_and_command_lines_run_as_before():
    s = Session()
    s.run_line("x = 2; y = x*x")
    assert s.run_line("") == [] and s.run_line("   ") == [] and s.run_line("# x + 1") == []
    assert s.last_error is None
    (err,) = s.run_line(":nosuchcommand")
    assert isinstance(err, Error) and err.line == 5 and s.last_error is err
    s.run_line(":expect error")  # does not clear the error it looks at
    assert s.last_error is err
    s.run_line("/x")  # a search is a command: not a statement
    assert s.output == 1 and s.last_error is None
