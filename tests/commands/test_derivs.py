"""The other ways to a derivative (issue 13), below the session: every op's complex rule and
second derivatives (iterating the op table, so a new op inherits the requirement), forward
mode's dual pass, complex step and Richardson, Hessian-vector products and the Hessian."""

from __future__ import annotations

import cmath
import math
import random

import pytest

from backprop_tui import complexstep, dual, gradcheck, hessian
from backprop_tui.bench import generated_function
from backprop_tui.graph import EvalError
from backprop_tui.language import parse
from backprop_tui.ops import OPS, DomainError

# Candidate operand values; each op is tested at those inside its domain and off its kinks.
_A = (0.7, 1.3, 2.1, -0.6, -1.7, 3.0)
_B = (0.9, 1.6, -1.2, 2.0, 3.0)
_K = (2.0, 3.0, 0.5, -1.5, 1.0, 0.0)


def _points(op):
    """(a, b, k) inside the op's domain, away from kinks, where its rules are finite."""
    out = []
    for a in _A:
        for b in _B if op.arity == 2 else (0.0,):
            for k in _K if op.kind == "powk" else (0.0,):
                try:
                    if op.domain is not None:
                        op.domain(a, b, k)
                    y = op.fn(a, b, k)
                except (DomainError, ValueError, ZeroDivisionError, OverflowError):
                    continue
                if op.kink is not None and op.kink(a, b, k):
                    continue
                d = op.deriv(a, b, k, y)
                if math.isfinite(y) and all(math.isfinite(x) for x in d):
                    out.append((a, b, k, y))
    return out


OP_NODES = [op for op in OPS if op.arity > 0]


@pytest.mark.parametrize("op", OP_NODES, ids=[op.name for op in OP_NODES])
def test_every_op_has_a_complex_rule_and_second_derivatives(op):
    """Complex step and forward-over-reverse need these of every operator."""
    assert op.cfn is not None, f"{op.name}: add its complex-valued rule (cfn) to the op table"
    assert op.d2 is not None, f"{op.name}: add its second derivatives (d2) to the op table"
    points = _points(op)
    assert len(points) >= 3, f"{op.name}: too few test points in its domain"
    h = 1e-20
    for a, b, k, y in points:
        # On real operands the complex rule is the real rule.
        z = op.cfn(complex(a), complex(b), k)
        assert z.real == pytest.approx(y, rel=1e-14, abs=1e-300) and abs(z.imag) <= 1e-300
        # Im f(a + ih)/h is the table's local derivative, to machine precision.
        d = op.deriv(a, b, k, y)
        slopes = [op.cfn(complex(a, h), complex(b), k).imag / h]
        if op.arity == 2:
            slopes.append(op.cfn(complex(a), complex(b, h), k).imag / h)
        for got, want in zip(slopes, d, strict=True):
            assert got == pytest.approx(want, rel=1e-12, abs=1e-14), (op.name, a, b, k)
        # The second derivatives are the derivatives of the local derivatives (by central
        # differences of deriv), and the mixed partial appears once.
        d2 = op.d2(a, b, k, y)
        assert len(d2) == (1 if op.arity == 1 else 3)
        e = 1e-5

        def deriv_at(da: float, db: float, a=a, b=b, k=k):
            return op.deriv(a + da, b + db, k, op.fn(a + da, b + db, k))

        fd_aa = (deriv_at(e, 0)[0] - deriv_at(-e, 0)[0]) / (2 * e)
        assert d2[0] == pytest.approx(fd_aa, rel=1e-6, abs=1e-8), (op.name, a, b, k)
        if op.arity == 2:
            fd_ab = (deriv_at(0, e)[0] - deriv_at(0, -e)[0]) / (2 * e)
            fd_ba = (deriv_at(e, 0)[1] - deriv_at(-e, 0)[1]) / (2 * e)
            fd_bb = (deriv_at(0, e)[1] - deriv_at(0, -e)[1]) / (2 * e)
            assert d2[1] == pytest.approx(fd_ab, rel=1e-6, abs=1e-8)
            assert d2[1] == pytest.approx(fd_ba, rel=1e-6, abs=1e-8)
            assert d2[2] == pytest.approx(fd_bb, rel=1e-6, abs=1e-8)


def test_complex_rules_branch_on_the_real_part_at_kinks():
    relu, ab = (next(op for op in OPS if op.name == n) for n in ("relu", "abs"))
    z = complex(-2.0, 1e-20)
    assert relu.cfn(z, 0j, 0.0) == 0 and ab.cfn(z, 0j, 0.0) == -z
    assert relu.cfn(complex(2.0, 1e-20), 0j, 0.0).imag == 1e-20


def test_a_negative_base_keeps_the_complex_step():
    """(-2 + ih)³: the polar form would round the argument π − h/2 to π and lose h."""
    powk = next(op for op in OPS if op.name == "powk")
    assert powk.cfn(complex(-2.0, 1e-20), 0j, 3.0).imag / 1e-20 == pytest.approx(12.0)
    assert cmath.isnan(next(op for op in OPS if op.name == "pow").cfn(-2 + 0j, complex(3, 1e-20), 0).imag)


# ---------------------------------------------------------------- forward mode

def _program(seed: int, n: int = 60):
    """A random smooth program over three inputs (the op table's smooth ops)."""
    rng = random.Random(seed)
    lines = ["x = 0.7", "y = -0.4", "z = 1.3"]
    pool = ["x", "y", "z"]
    forms = ["{a} + {b}", "{a} - {b}", "{a}*{b}", "{a}/(2 + {b}^2)", "sin({a})", "cos({a})",
             "tanh({a})", "sigmoid({a})", "exp({a}*0.1)", "log(1 + {a}^2)", "sqrt(1 + {a}^2)",
             "{a}^3", "-{a}", "pow(1.5 + sin({b}), {a})", "tan({a}*0.3)", "abs({a}) + {b}",
             "relu({a}) + {b}"]
    for t in range(n):
        a, b = rng.choice(pool), rng.choice(pool)
        lines.append(f"t{t} = " + rng.choice(forms).format(a=a, b=b))
        pool.append(f"t{t}")
    lines.append(" + ".join(pool[-5:]))
    return parse("\n".join(lines))


@pytest.mark.parametrize("seed", range(6))
def test_forward_mode_equals_backprop(seed):
    prog = _program(seed)
    g, out = prog.graph, prog.output
    ref = gradcheck.reference(g, out)
    for _, x in prog.inputs():
        s = gradcheck.scratch(g)
        t = dual.dual_pass(s, out, x)
        assert s.value[out] == ref.value[out]  # the primal, as Graph.forward has it
        assert t[out] == pytest.approx(ref.grad[x], rel=1e-12, abs=1e-12)
        # The sweep from known values and the generic per-node rule say the same.
        assert dual.tangent_sweep(ref, out, x)[out] == pytest.approx(t[out], rel=1e-13, abs=1e-13)
        tt = [0.0] * len(g)
        tt[x] = 1.0
        for i in range(out + 1):
            if not g.is_leaf(i):
                tt[i] = dual.node_tangent(ref, i, tt)
        assert tt[out] == pytest.approx(t[out], rel=1e-13, abs=1e-13)


def test_dual_pass_evaluates_around_a_failed_statement():
    prog = parse("x = 2; bad = log(0 - x); f = x^2 + 1")
    s = gradcheck.scratch(prog.graph)
    assert dual.dual_pass(s, prog.output, prog.bindings["x"])[prog.output] == 4.0
    prog = parse("x = -2; log(x) + 1")
    with pytest.raises(EvalError, match="log"):
        dual.dual_pass(gradcheck.scratch(prog.graph), prog.output, prog.bindings["x"])


def test_a_zero_tangent_carries_no_undefined_derivative():
    """pow's ∂/∂b is nan at a negative base; a constant exponent has tangent 0."""
    prog = parse("x = -2; c: const = 3; pow(x, c)")
    t = dual.dual_pass(gradcheck.scratch(prog.graph), prog.output, prog.bindings["x"])
    assert t[prog.output] == 12.0


# ---------------------------------------------------------------- complex step, Richardson

SQUIRE_TRAPP = "x = 1.5; exp(x)/sqrt(sin(x)^3 + cos(x)^3)"


def _exact_squire_trapp(x: float) -> float:
    """d/dx eˣ/√(s³ + c³) = eˣ(s³ + c³)^(-1/2) − eˣ·(3s²c − 3c²s)/(2(s³ + c³)^(3/2))."""
    s, c = math.sin(x), math.cos(x)
    u = s**3 + c**3
    return math.exp(x) / math.sqrt(u) - math.exp(x) * (3 * s * s * c - 3 * c * c * s) / (2 * u**1.5)


@pytest.mark.parametrize("mode,bound", [("complex", 1e-14), ("richardson", 1e-10),
                                        ("central", 1e-8)])
def test_squire_trapp_accuracy(mode, bound):
    prog = parse(SQUIRE_TRAPP)
    x = prog.bindings["x"]
    rows, evals, _ = gradcheck.check(prog.graph, prog.output, [x], mode)
    exact = _exact_squire_trapp(1.5)
    assert rows[0].analytic == pytest.approx(exact, rel=1e-15)
    assert abs(rows[0].numeric - exact) / abs(exact) <= bound
    assert rows[0].verdict == "pass"
    assert evals == {"complex": 1, "richardson": 4, "central": 2}[mode]


def test_complex_step_is_flat_in_h_where_differences_have_a_v():
    prog = parse(SQUIRE_TRAPP)
    analytic, rows = gradcheck.hsweep(prog.graph, prog.output, prog.bindings["x"])
    assert [r[0] for r in rows] == pytest.approx([1.5 * 10.0**-p for p in range(1, 21)])
    rel = {m: [abs(r[k] - analytic) / abs(analytic) for r in rows]
           for k, m in enumerate(("forward", "central", "richardson", "complex"), start=1)}
    small = [k for k, r in enumerate(rows) if r[0] <= 1e-7]
    assert max(rel["complex"][k] for k in small) <= 1e-15  # no V: round-off level everywhere
    assert min(rel["richardson"]) < min(rel["central"]) < min(rel["forward"])
    assert rel["central"][-1] > 1e-3 and rel["forward"][-1] > 1e-3  # swamped by round-off


def test_complex_step_on_an_intermediate_node_and_at_a_kink():
    prog = parse("x = 0.5; t = sin(x)*x; u = exp(t) + t^2; u")
    t = prog.bindings["t"]
    rows, _, _ = gradcheck.check(prog.graph, prog.output, [t], "complex")
    ref = gradcheck.reference(prog.graph, prog.output)
    assert rows[0].numeric == pytest.approx(ref.grad[t], rel=1e-15) and rows[0].verdict == "pass"
    prog = parse("x = 0; relu(x) + 2x")
    rows, _, _ = gradcheck.check(prog.graph, prog.output, [prog.bindings["x"]], "complex")
    assert rows[0].verdict == "kink"


def test_complex_evaluation_checks_domains_on_the_real_part():
    prog = parse("x = 1; y = -1; log(y) + x")
    g = prog.graph
    y = prog.bindings["y"]
    with pytest.raises(EvalError, match="log needs a positive argument"):
        complexstep.eval_complex(g, y + 1, {y: complex(-1.0, 1e-20)})


# ---------------------------------------------------------------- second order

def test_seed_hessian():
    prog = parse("x = 2; y = 3; x^2 + 3x*y + 1")
    xs = [i for _, i in prog.inputs()]
    h, kinks = hessian.hessian(prog.graph, prog.output, xs)
    assert h == [[2.0, 3.0], [3.0, 0.0]] and kinks == []
    p = hessian.hvp(prog.graph, prog.output, {xs[0]: 1.0, xs[1]: -2.0})
    assert [p.hvp[i] for i in xs] == [2.0 - 6.0, 3.0]
    assert [p.grad[i] for i in xs] == [13.0, 6.0]


@pytest.mark.parametrize("seed", range(4))
def test_hessian_is_symmetric_and_agrees_with_differences_of_the_gradient(seed):
    prog = _program(seed, n=40)
    g, out = prog.graph, prog.output
    xs = [i for _, i in prog.inputs()]
    h, kinks = hessian.hessian(g, out, xs)
    assert hessian.asymmetry(h) <= 1e-12
    rows, evals, _ = hessian.check(g, out, xs)
    assert evals == 2 * len(xs) and len(rows) == len(xs) ** 2
    assert all(r.verdict == ("kink" if kinks else "pass") for r in rows), rows


def test_hvp_matches_the_gradient_and_the_hessian_columns():
    """(Its cost is measured in tests/benchmarks/bench_derivs.py, not here.)"""
    g, out, xs = generated_function(50)
    p = hessian.hvp(g, out, {xs[0]: 1.0})
    g.forward()
    g.backward(out)
    assert p.grad[xs[3]] == pytest.approx(g.grad[xs[3]], rel=1e-14)
    col = [p.hvp[x] for x in xs]
    h, _ = hessian.hessian(g, out, xs[:3])
    assert col[:3] == pytest.approx([row[0] for row in h], rel=1e-14)


def test_hessian_at_a_kink_names_the_node():
    prog = parse("x = 0; relu(x)*x + x*x")
    xs = [prog.bindings["x"]]
    h, kinks = hessian.hessian(prog.graph, prog.output, xs)
    assert kinks and h == [[2.0]]  # relu'' is 0 by convention; the true one-sided values are 4 and 2
    rows, _, _ = hessian.check(prog.graph, prog.output, xs)
    assert rows[0].verdict == "kink"


def test_checks_of_a_node_outside_f_are_refused_not_a_crash():
    # Found by the TUI fuzz: h on a pinned node past f's output indexed past gradcheck's marks.
    from backprop_tui.events import Error
    from backprop_tui.session import Session

    s = Session()
    s.run_line("x = 2; y = 3; x*y + x")
    s.run_line(":output #2")
    for line in (":hsweep #3", ":check #3"):
        (ev,) = s.run_line(line)
        assert isinstance(ev, Error) and "not in f's graph" in ev.message
