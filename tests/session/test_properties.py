"""Property tests (issue 7): nothing crashes, gradients are right, stepping keeps its invariants.

CI runs these with the ``ci`` hypothesis profile (fixed seed, moderate example counts);
``pytest -m fuzz`` runs them with the much larger ``fuzz`` profile (see tests/conftest.py).
"""

from __future__ import annotations

import io
import json
import math

import pytest
import sympy
from hypothesis import assume, event, given, note
from hypothesis import strategies as st
from hypothesis.extra.lark import LarkStrategy
from lark import Lark
from lark.grammar import NonTerminal

from backprop_tui import gradcheck, headless
from backprop_tui.events import Back, Check, Error, Event
from backprop_tui.graph import EvalError
from backprop_tui.language import LangError, Program, grammar_text
from backprop_tui.render_text import text as event_text
from backprop_tui.session import Session

pytestmark = pytest.mark.fuzz

# ---------------------------------------------------------------------------------------
# (a) Nothing crashes: programs generated from the grammar itself.

_GRAMMAR = Lark(grammar_text(), parser="lalr", start="program")

# Names the language treats specially (functions, constants, types, Unicode) plus random
# ones; padded with spaces because from_lark glues tokens together.
_NAMES = st.one_of(
    st.sampled_from(["x", "y", "z", "e", "pi", "exp", "log", "sqrt", "sin", "tanh", "relu",
                     "abs", "pow", "sigmoid", "real", "const", "α", "x₁", "xy", "_"]),
    st.from_regex(r"[a-zA-Zα-ω_][a-zA-Z0-9_]{0,6}", fullmatch=True),
)
_NUMBERS = st.one_of(
    st.sampled_from(["0", "1", "2", "0.0", ".5", "2.5", "1e-3", "1e308", "1e-320", "710",
                     "3e2", "0e0", "1" * 40]),
    st.from_regex(r"([0-9]{1,4}\.?[0-9]{0,3}|\.[0-9]{1,3})([eE][-+]?[0-9]{1,3})?", fullmatch=True),
)


class _BoundedLark(LarkStrategy):
    """from_lark's strategy, with nesting bounded: past DEPTH nested rules each rule takes
    one of its shallowest expansions, so every program ends. Unbounded, hypothesis gives
    up on a draw nested 100 spans deep ("max depth exceeded": a sum of ~100 terms, or
    ~12 parentheses): 40-75% of draws were thrown away, and the filter_too_much health
    check could fail the test. Programs are still drawn from the grammar itself. With
    DEPTH 20 (ci profile): invalid draws 191 of 251 -> 14 of 74 for the headless test,
    90 of 150 -> 12 of 72 for the session one, the two taking 7.8 s instead of 9.8 s
    (DEPTH 30 keeps bigger programs but takes 18 s)."""

    DEPTH = 20

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        rules = {k: list(v.elements) for k, v in self.nonterminal_strategies.items()}
        height: dict[str, float] = dict.fromkeys(rules, math.inf)
        changed = True
        while changed:  # least fixed point: height = 1 + the lowest expansion's tallest symbol
            changed = False
            for name, expansions in rules.items():
                h = 1 + min(max((height.get(sym.name, 0) for sym in e), default=0)
                            for e in expansions)
                if h < height[name]:
                    height[name], changed = h, True
        self._shallow = {
            name: st.sampled_from([e for e in expansions if 1 + max(
                (height.get(sym.name, 0) for sym in e), default=0) == height[name]])
            for name, expansions in rules.items()}

    def draw_symbol(self, data, symbol, draw_state) -> None:  # type: ignore[no-untyped-def]
        if isinstance(symbol, NonTerminal) and data.depth > self.DEPTH:
            data.start_span(self.rule_label(symbol.name))
            try:
                for e in data.draw(self._shallow[symbol.name]):
                    self.draw_symbol(data, e, draw_state)
                    self.gen_ignore(data, draw_state)
            finally:
                data.stop_span()
            return
        super().draw_symbol(data, symbol, draw_state)


# (from_lark builds a LarkStrategy from the same arguments.)
PROGRAMS = _BoundedLark(_GRAMMAR, "program", {
    "NAME": _NAMES.map(lambda s: f" {s} "),
    "NUMBER": _NUMBERS.map(lambda s: f" {s} "),
    "COMMENT": st.just(" "),  # a comment mid-line would swallow the rest of the line
}, st.characters(codec="utf-8"))

# Lines a user might type into the REPL after a program: the stepping and inspecting
# commands (not :export/:record/:load, which touch files).
_COMMANDS = st.sampled_from([
    ":step", ":step 3", ":s 250", ":back", ":back 2", ":rs 1000", ":forward", ":backward",
    ":continue", ":reset", ":goto x", ":goto #0", ":goto #999", ":break op:mul", ":break x",
    ":unbreak", ":breaks", ":show", ":show x", ":nodes", ":graph", ":check", ":check all",
    ":check mode=forward", ":check h=1e-3", ":hsweep", ":set x = 3", ":set x = 1e999",
    ":output #1", ":help", ":help step", ":step -1", ":step x", ":bogus", ":", ":goto",
    # issue 13: forward mode, traces, the other checks, second order
    ":mode forward", ":mode forward x", ":mode forward #1", ":mode reverse", ":mode", ":trace",
    ":trace x", ":trace reverse", ":check mode=complex", ":check all mode=richardson",
    ":check order=2", ":hsweep x", ":hessian", ":hvp 1 0 0", ":hvp x=1", ":hvp",
])


def _assert_events(events: list[Event]) -> None:
    assert isinstance(events, list)
    for ev in events:
        assert isinstance(ev, Event)
        event_text(ev)
        json.dumps(ev.to_dict(), ensure_ascii=False)  # every event is valid JSON
        if isinstance(ev, Error):
            assert ev.message.strip()


def _program_is_atomic(text: str) -> None:
    """Program.run either adds the statements or raises LangError and changes nothing."""
    prog = Program()
    prog.run("x = 2; y = 3")
    before = (len(prog.graph), dict(prog.bindings), set(prog.consts), prog.output,
              len(prog.graph.source.chunks))
    try:
        prog.run(text)
    except LangError as err:
        assert err.message and err.format()
        after = (len(prog.graph), dict(prog.bindings), set(prog.consts), prog.output,
                 len(prog.graph.source.chunks))
        assert after == before
        return
    if prog.output is not None:
        g = prog.graph
        try:
            g.forward()
            g.backward(prog.output)
        except EvalError as err:
            assert err.message and 0 <= err.node < len(g)


@given(PROGRAMS, st.lists(_COMMANDS, max_size=6))
def test_grammar_programs_never_crash(text: str, commands: list[str]) -> None:
    _program_is_atomic(text)
    s = Session()
    for line in [*text.split("\n"), *commands]:
        _assert_events(s.run_line(line))
    try:
        _assert_events([s.summary()])
    except EvalError as err:  # summary() runs full passes: f itself may not evaluate (0/0)
        assert err.message


@given(PROGRAMS)
def test_grammar_programs_never_crash_headless(text: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = headless.run([("text", text)], headless.Options(json=True), out, err)
    assert status in (headless.EXIT_OK, headless.EXIT_ERROR)
    assert "Traceback" not in err.getvalue()
    for line in out.getvalue().splitlines():
        json.loads(line)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["x = 2; x(", "((", "x^", "3x²⁻", "x: real =", "e = 3; e(1)", "x = -0.0; 1/x"]))
def test_arbitrary_text_never_crashes(text: str) -> None:
    _program_is_atomic(text)
    s = Session()
    _assert_events(s.run_line("x = 2; y = 3"))
    _assert_events(s.run_line(text))
    _assert_events(s.run_line(":step 4"))
    _assert_events(s.run_line(":backward"))


# ---------------------------------------------------------------------------------------
# (b) Gradients are right: random smooth expressions against sympy, and against the FD check.

X, Y, Z = sympy.symbols("x y z")
_VARS = {"x": X, "y": Y, "z": Z}
_sig = lambda u: 1 / (1 + sympy.exp(-u))  # noqa: E731


Pair = tuple[str, sympy.Expr]  # program text and the same expression in sympy

_LEAVES = [("x", X), ("y", Y), ("z", Z), ("0.5", sympy.Float(0.5)), ("2", sympy.Integer(2)),
           ("1.5", sympy.Float(1.5))]
# Wrappers that make any finite argument positive and bounded away from 0.
_POSITIVE = [
    lambda a: (f"exp({a[0]})", sympy.exp(a[1])),
    lambda a: (f"(1 + ({a[0]})^2)", 1 + a[1] ** 2),
    lambda a: (f"(1 + ({a[0]})²)", 1 + a[1] ** 2),
    lambda a: (f"(sigmoid({a[0]}) + 0.5)", _sig(a[1]) + sympy.Rational(1, 2)),
    lambda a: (f"(2 + cos({a[0]}))", 2 + sympy.cos(a[1])),
]
_UNARY = [
    lambda a: (f"-({a[0]})", -a[1]),
    lambda a: (f"3({a[0]})", 3 * a[1]),
    lambda a: (f"({a[0]})^3", a[1] ** 3),
    lambda a: (f"({a[0]})²", a[1] ** 2),
    lambda a: (f"sin({a[0]})", sympy.sin(a[1])),
    lambda a: (f"cos({a[0]})", sympy.cos(a[1])),
    lambda a: (f"tanh({a[0]})", sympy.tanh(a[1])),
    lambda a: (f"sigmoid({a[0]})", _sig(a[1])),
    lambda a: (f"tan(sigmoid({a[0]}))", sympy.tan(_sig(a[1]))),
]
# Unary ops on a positive argument (domains: log, sqrt, real powers).
_ON_POSITIVE = [
    lambda a: (f"log({a[0]})", sympy.log(a[1])),
    lambda a: (f"sqrt({a[0]})", sympy.sqrt(a[1])),
    lambda a: (f"{a[0]}**0.5", a[1] ** sympy.Float(0.5)),
    lambda a: (f"{a[0]}^-1.5", a[1] ** sympy.Float(-1.5)),
    lambda a: (f"{a[0]}⁻¹", 1 / a[1]),
    lambda a: a,
]
_BINARY = [
    lambda a, b: (f"({a[0]}) + ({b[0]})", a[1] + b[1]),
    lambda a, b: (f"({a[0]}) − ({b[0]})", a[1] - b[1]),
    lambda a, b: (f"({a[0]})*({b[0]})", a[1] * b[1]),
    lambda a, b: (f"({a[0]})·({b[0]})", a[1] * b[1]),
]
# Binary ops whose second operand must be positive.
_BINARY_POSITIVE = [
    lambda a, p: (f"({a[0]}) / {p[0]}", a[1] / p[1]),
    lambda a, p: (f"pow({p[0]}, {a[0]})", p[1] ** a[1]),
    lambda a, p: (f"{p[0]}^({a[0]})", p[1] ** a[1]),
]


@st.composite
def smooth(draw: st.DrawFn, depth: int = 4) -> Pair:
    """A random smooth expression over x, y, z whose every op stays inside its domain."""
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(_LEAVES))
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from(_UNARY))(draw(smooth(depth - 1)))
    if kind == 1:
        pos = draw(st.sampled_from(_POSITIVE))(draw(smooth(depth - 1)))
        return draw(st.sampled_from(_ON_POSITIVE))(pos)
    if kind == 2:
        return draw(st.sampled_from(_BINARY))(draw(smooth(depth - 1)), draw(smooth(depth - 1)))
    pos = draw(st.sampled_from(_POSITIVE))(draw(smooth(depth - 2 if depth > 1 else 0)))
    return draw(st.sampled_from(_BINARY_POSITIVE))(draw(smooth(depth - 1)), pos)


SMOOTH = smooth()
_VALUE = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def smooth_programs(draw: st.DrawFn) -> tuple[str, sympy.Expr, dict[str, float]]:
    """x, y, z = numbers; optionally t = E1 (used in E2: fan-out); then E2."""
    values = {n: draw(_VALUE) for n in sorted(_VARS)}
    lines = [f"{n} = {v!r}" for n, v in values.items()]
    body, expr = draw(SMOOTH)
    if draw(st.booleans()):
        t_text, t_expr = draw(SMOOTH)
        lines.append(f"t = {t_text}")
        body, expr = f"t*({body}) + t", sympy.Symbol("t") * expr + sympy.Symbol("t")
        expr = expr.subs(sympy.Symbol("t"), t_expr)
    lines.append(body)
    return "\n".join(lines), expr, values


def _float(expr: sympy.Expr, values: dict[str, float]) -> float:
    fn = sympy.lambdify([X, Y, Z], expr, modules="math")
    try:
        return float(fn(values["x"], values["y"], values["z"]))
    except (OverflowError, ValueError, ZeroDivisionError, TypeError):
        return math.nan


def _abs_grad(g, output: int) -> list[float]:
    """Backward pass with |local derivatives|: the sum of |path products|, the scale that
    rounding errors in a gradient are relative to when paths cancel."""
    n = len(g)
    acc = [0.0] * n
    acc[output] = 1.0
    for i in range(output, -1, -1):
        if acc[i] == 0.0 or g.is_leaf(i):
            continue
        for j, d in zip(g.operands(i), g.local_derivs(i), strict=True):
            acc[j] += acc[i] * abs(d)
    return acc


@given(smooth_programs())
def test_gradients_agree_with_sympy_and_finite_differences(case) -> None:
    text, expr, values = case
    note(text)
    prog = Program()
    prog.run(text)
    out = prog.output
    try:
        ref = gradcheck.reference(prog.graph, out)
    except EvalError:
        assume(False)
    assume(all(math.isfinite(v) for v in ref.value[: out + 1]))
    assume(all(math.isfinite(gr) for gr in ref.grad[: out + 1]))
    want_value = _float(expr, values)
    assume(math.isfinite(want_value))
    assert ref.value[out] == pytest.approx(want_value, rel=1e-9, abs=1e-12)
    scale = _abs_grad(ref, out)
    inputs = dict(prog.inputs())
    for name, sym in _VARS.items():
        want = _float(sympy.diff(expr, sym), values)
        assume(math.isfinite(want))
        got = ref.grad[inputs[name]]
        note(f"∂f/∂{name}: backprop {got!r}, sympy {want!r}, |paths| {scale[inputs[name]]!r}")
        # 1e-9 relative to the gradient, or to the sum of |paths| when contributions cancel.
        assert abs(got - want) <= 1e-9 * max(abs(want), scale[inputs[name]]) + 1e-300
    s = Session(prog)
    check = s.run_line(":check")[0]
    assert isinstance(check, Check)
    note(event_text(check))
    f0 = ref.value[out]
    for row in check.rows:
        if row.verdict != "pass" and not _fd_resolves(ref, out, row, check.atol, check.rtol, f0):
            event("FD check cannot resolve this gradient (steep f)")
            continue
        assert row.verdict == "pass", row


def _fd_resolves(ref, out: int, row, atol: float, rtol: float, f0: float) -> bool:
    """Whether central differences at the check's h can meet its tolerance at all: their
    truncation error (D(2h) - D(h) is about 3·h²·f'''/6) plus round-off must stay below it.
    On a super-exponential f (1e47 at z = 1.5) they cannot, whatever backprop says."""
    f = gradcheck.Evaluator(ref, row.id, out)
    v = ref.value[row.id]
    try:
        d2 = gradcheck.estimate(f, v, 2 * row.h, "central", f0)
    except EvalError:
        return False
    truncation = abs(d2 - row.numeric) / 3
    roundoff = 4 * gradcheck.EPS * abs(f0) / row.h
    return truncation + roundoff <= (atol + rtol * abs(row.numeric)) / 2


# ---------------------------------------------------------------------------------------
# (c) Stepping invariants under random command sequences.

STEPPING_PROGRAMS = st.one_of(
    st.sampled_from([
        "x = 2; y = 3; x^2 + 3x*y + 1",
        "x = 2\nt = x*x\nt + t*x + sin(t)",
        "a: const = 3; x = 0; relu(x)*a + abs(x - 0) + x",
        "x = 1; y = -1; log(y) + x",  # an evaluation error part-way through the forward pass
        "x = 0.5; sigmoid(tanh(x)^2) / (1 + exp(x))",
        "x = 1e308; x*10 - x",  # overflow: inf, then nan gradients
        "w = 2; b = 1; x1 = 0.5; o = tanh(w*x1 + b); (o - 1)^2",
    ]),
    smooth_programs().map(lambda c: c[0]),
)

_STEP_CMDS = st.one_of(
    st.integers(1, 12).map(lambda n: f":step {n}"),
    st.integers(1, 12).map(lambda n: f":back {n}"),
    st.sampled_from([":step", ":back", ":step 300", ":back 300", ":continue", ":reset",
                     ":forward", ":backward", ":break op:mul", ":break op:tanh", ":unbreak"]),
    st.integers(0, 40).map(lambda i: f":goto #{i}"),
    # These change what is differentiated, or an input, and restart stepping.
    st.integers(0, 40).map(lambda i: f":output #{i}"),
    st.sampled_from(["x", "y", "w"]).flatmap(
        lambda n: _VALUE.map(lambda v: f":set {n} = {v!r}")),
)


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(x == y or (x != x and y != y) for x, y in zip(a, b, strict=True))


def _check_invariants(s: Session) -> None:
    g = s.prog.graph
    f = len(s.fwd)
    assert 0 <= s.pos <= s.steps_total
    assert s.undo_depth == s.pos  # one undo entry per step taken
    cur = s.current()
    if s.pos == 0:
        assert cur is None
    else:
        assert cur == (s.fwd[s.pos - 1] if s.pos <= f else s.bwd[s.pos - 1 - f])
    done_bwd = max(0, s.pos - f)
    for k, i in enumerate(s.bwd):
        assert s.final(i) == (k < done_bwd)
    for k, i in enumerate(s.fwd):
        assert s.computed(i) == (k < s.pos)
        if k >= s.pos:
            assert math.isnan(g.value[i])  # not yet computed
    if done_bwd == 0:
        assert all(g.grad[i] == 0.0 for i in s.bwd)
    assert s.progress_text()


@given(STEPPING_PROGRAMS, st.lists(_STEP_CMDS, min_size=1, max_size=25))
def test_stepping_invariants(text: str, commands: list[str]) -> None:
    s = Session()
    for line in text.split("\n"):
        s.run_line(line)
    assume(s.output is not None)
    g = s.prog.graph
    try:
        ref = gradcheck.reference(g, s.output)
    except EvalError:
        ref = None
    seen: dict[int, tuple[list[float], list[float], int | None]] = {}
    seen[0] = (list(g.value), list(g.grad), None)
    for cmd in commands:
        pos0 = s.pos
        events = s.run_line(cmd)
        _assert_events(events)
        note(f"{cmd} → pos {s.pos}")
        _check_invariants(s)
        if cmd.split()[0] in (":output", ":set") and not any(isinstance(e, Error) for e in events):
            assert s.pos == 0  # stepping restarts: new reference, new positions
            try:
                ref = gradcheck.reference(g, s.output)
            except EvalError:
                ref = None
            seen = {0: (list(g.value), list(g.grad), None)}
            continue
        if cmd.split()[0] == ":back" and pos0:
            backs = [e for e in events if isinstance(e, Back)]
            assert backs and s.pos == pos0 - backs[0].steps
        state = (list(g.value), list(g.grad), s.current())
        if s.pos in seen:  # back then forward (or reset) returns the identical state
            v, gr, c = seen[s.pos]
            assert c == state[2]
            assert _same(v, state[0]), "values differ from the last visit to this position"
            assert _same(gr, state[1]), "gradients differ from the last visit to this position"
        else:
            seen[s.pos] = state
        if s.pos == s.steps_total and ref is not None:
            # After a full backward pass: Graph.backward's values and gradients.
            for i in s.fwd:
                assert _same([g.value[i]], [ref.value[i]])
            for i in s.bwd:
                if g.takes_grad(i):
                    a, b = g.grad[i], ref.grad[i]
                    assert _same([a], [b]) or abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


# ---------------------------------------------------------------------------------------
# (d) Second order (issue 13): the Hessian by forward-over-reverse against sympy's.

def _abs_hessian_scale(g, output: int, j: int) -> list[float]:
    """Column j of forward-over-reverse run on absolute values (|tangents|, |local and
    second derivatives|): the sum of |terms| that rounding in H[:, j] is relative to."""
    from backprop_tui.ops import OPS

    n = len(g)
    t = [0.0] * n
    t[j] = 1.0
    for i in range(output + 1):
        if not g.is_leaf(i):
            t[i] = sum(abs(d) * t[k] for k, d in zip(g.operands(i), g.local_derivs(i), strict=True))
    gr, gd = [0.0] * n, [0.0] * n
    gr[output] = 1.0
    for i in range(output, -1, -1):
        if g.is_leaf(i):
            continue
        ops = g.operands(i)
        v = g.value
        args = (v[ops[0]], v[ops[1]] if len(ops) > 1 else 0.0, g.k[i], v[i])
        d2 = [abs(x) for x in OPS[g.op[i]].d2(*args)]
        second = [[d2[0]]] if len(ops) == 1 else [[d2[0], d2[1]], [d2[1], d2[2]]]
        for slot, (k, d) in enumerate(zip(ops, g.local_derivs(i), strict=True)):
            gr[k] += gr[i] * abs(d)
            gd[k] += gd[i] * abs(d) + gr[i] * sum(second[slot][m] * t[ops[m]] for m in range(len(ops)))
    return gd


@given(smooth_programs())
def test_hessian_agrees_with_sympy(case) -> None:
    import mpmath

    from backprop_tui import hessian

    text, expr, values = case
    note(text)
    prog = Program()
    prog.run(text)
    out = prog.output
    try:
        ref = gradcheck.reference(prog.graph, out)
    except EvalError:
        assume(False)
    assume(all(math.isfinite(v) for v in ref.value[: out + 1]))
    inputs = dict(prog.inputs())
    xs = [inputs[name] for name in sorted(_VARS)]
    h, kinks = hessian.hessian(prog.graph, out, xs)
    assert not kinks
    assume(all(math.isfinite(x) for row in h for x in row))
    assert hessian.asymmetry(h) <= 1e-9
    syms = [_VARS[name] for name in sorted(_VARS)]
    want = sympy.hessian(expr, syms)
    mpmath.mp.dps = 40  # sympy's Hessian evaluated exactly enough to be the reference
    fn = sympy.lambdify(syms, want, modules="mpmath")
    exact = fn(*[mpmath.mpf(values[name]) for name in sorted(_VARS)])
    for c, j in enumerate(xs):
        scale = _abs_hessian_scale(ref, out, j)
        for r, i in enumerate(xs):
            w = float(exact[r, c])
            assume(math.isfinite(w))
            note(f"H[{r}][{c}]: ours {h[r][c]!r}, sympy {w!r}, |terms| {scale[i]!r}")
            assert abs(h[r][c] - w) <= 1e-9 * max(abs(w), scale[i]) + 1e-300


# ---------------------------------------------------------------------------------------
# (e) Forward mode keeps the stepping invariants too, and its passes are the dual passes.

_FORWARD_CMDS = st.one_of(
    st.integers(1, 12).map(lambda n: f":step {n}"),
    st.integers(1, 12).map(lambda n: f":back {n}"),
    st.sampled_from([":step", ":back", ":step 300", ":back 300", ":continue", ":reset",
                     ":forward", ":break op:mul", ":break op:tanh", ":unbreak"]),
    st.integers(0, 40).map(lambda i: f":goto #{i}"),
)


@given(STEPPING_PROGRAMS, st.booleans(), st.lists(_FORWARD_CMDS, min_size=1, max_size=25))
def test_forward_mode_stepping_invariants(text: str, every_input: bool, commands: list[str]) -> None:
    from backprop_tui import dual

    s = Session()
    for line in text.split("\n"):
        s.run_line(line)
    assume(s.output is not None)
    inputs = [i for _, i in s.prog.inputs() if s.in_cone(i)]
    assume(inputs)
    events = s.run_line(":mode forward" if every_input else f":mode forward #{inputs[-1]}")
    assert not any(isinstance(e, Error) for e in events), events
    g, out, f = s.prog.graph, s.output, len(s.fwd)
    assert s.steps_total == f * len(s.seeds)
    expected: dict[int, list[float] | None] = {}
    for x in s.seeds:  # each pass is one dual pass seeded with that input
        try:
            expected[x] = dual.dual_pass(gradcheck.scratch(g), out, x)
        except EvalError:
            expected[x] = None
    seen: dict[int, tuple] = {}
    for cmd in commands:
        _assert_events(s.run_line(cmd))
        note(f"{cmd} → pos {s.pos}")
        assert 0 <= s.pos <= s.steps_total and s.undo_depth == s.pos
        p, n = s.tangent_pass()
        done = s.pos - p * f
        seed = s.seed()
        assert seed == s.seeds[p] and 0 <= done <= f
        assert len(s.pass_results()) == (s.pos // f if f else 0)
        want = expected[seed]
        for k, i in enumerate(s.fwd):
            t = s.tangent(i)
            assert (t is None) == (k >= done)
            if t is not None and want is not None:
                assert _same([t], [want[i]]) or abs(t - want[i]) <= 1e-12 * max(1.0, abs(t))
        for x, result in s.pass_results():
            if expected[x] is not None:
                assert _same([result], [expected[x][out]])
        state = ([repr(v) for v in g.value], [s.tangent(i) for i in s.fwd], s.current())
        if s.pos in seen:  # back then forward (or reset) returns the identical state
            assert seen[s.pos] == state
        else:
            seen[s.pos] = state
