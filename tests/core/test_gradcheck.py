"""gradcheck: the finite-difference check's numbers, verdicts, costs and hooks."""

from __future__ import annotations

import math

import pytest

from backprop_tui import gradcheck
from backprop_tui.language import parse

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


def _seed():
    prog = parse(SEED)
    return prog, prog.graph, prog.output


def test_default_h_scales_with_the_value_and_the_mode():
    eps = gradcheck.EPS
    assert gradcheck.default_h(0.5, "central") == pytest.approx(eps ** (1 / 3))
    assert gradcheck.default_h(100.0, "central") == pytest.approx(100 * eps ** (1 / 3))
    assert gradcheck.default_h(-4.0, "forward") == pytest.approx(4 * math.sqrt(eps))


def test_reference_leaves_the_callers_graph_alone():
    prog, g, out = _seed()
    before_v, before_g = list(g.value), list(g.grad)
    ref = gradcheck.reference(g, out)
    assert ref.value[out] == 23 and ref.grad[0] == 13 and ref.grad[prog.bindings["y"]] == 6
    assert g.value == before_v and g.grad == before_g  # scratch copies only


def test_check_of_the_inputs_passes_and_counts_evaluations():
    prog, g, out = _seed()
    nodes = [i for _, i in prog.inputs()]
    rows, evals, cancelled = gradcheck.check(g, out, nodes, "central")
    assert [r.verdict for r in rows] == ["pass", "pass"] and not cancelled
    assert evals == 4  # two per input for central differences
    rows, evals, _ = gradcheck.check(g, out, nodes, "forward")
    assert evals == 3  # n + 1: f(x) is shared


def test_a_wrong_gradient_fails_the_check(monkeypatch):
    prog, g, out = _seed()
    real = gradcheck.reference

    def broken(graph, output):
        ref = real(graph, output)
        ref.grad[0] += 1e-3  # an analytic gradient off by 1e-3
        return ref

    monkeypatch.setattr(gradcheck, "reference", broken)
    rows, _, _ = gradcheck.check(g, out, [0], "central")
    assert rows[0].verdict == "fail" and rows[0].abs_err == pytest.approx(1e-3, rel=1e-3)


def test_an_intermediate_node_is_checked_by_nudging_its_stored_value():
    prog = parse("x = 2; y = 3; u = 3x*y; x^2 + u + 1")
    u = prog.bindings["u"]
    rows, _, _ = gradcheck.check(prog.graph, prog.output, [u], "central")
    assert rows[0].analytic == 1 and rows[0].verdict == "pass"


def test_a_kink_is_not_judged():
    prog = parse("x = 0; relu(x)")
    rows, _, _ = gradcheck.check(prog.graph, prog.output, [0], "central")
    assert rows[0].verdict == "kink"


def test_progress_and_cancel_hooks():
    prog = parse("a = 1; b = 2; c = 3; a*b*c")
    nodes = [i for _, i in prog.inputs()]
    seen: list[tuple[int, int]] = []
    rows, _, cancelled = gradcheck.check(prog.graph, prog.output, nodes, "central",
                                         progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)] and not cancelled
    rows, _, cancelled = gradcheck.check(prog.graph, prog.output, nodes, "central",
                                         cancelled=lambda: len(seen) >= 4,
                                         progress=lambda d, t: seen.append((d, t)))
    assert cancelled and len(rows) == 1


def test_hsweep_shows_the_v_shape_of_forward_differences():
    prog = parse("x = 1.5; exp(x)/sqrt(sin(x)^3 + cos(x)^3)")
    analytic, data = gradcheck.hsweep(prog.graph, prog.output, 0)
    errors = [abs(row[1] - analytic) for row in data]  # (h, forward, central, …)
    best = min(range(len(errors)), key=errors.__getitem__)
    assert 0 < best < len(errors) - 1  # too large and too small an h are both worse
    assert errors[0] > 100 * errors[best] and errors[-1] > 100 * errors[best]
