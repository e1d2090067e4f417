"""check_engine on the real micrograd 0.1.0 and on learners' engines with deliberate bugs
(tests/learner_engines.py): the first wrong rule in backward order is named, every gradient
is compared; bad graphs get clear errors; `backprop-tui check-engine FILE.py[:NAME]`."""

from __future__ import annotations

import gc
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from micrograd.engine import Value as MgValue  # the test extra pins micrograd==0.1.0

import backprop_tui as bt
from backprop_tui import cli
from backprop_tui.learner import walk
from backprop_tui.render_text import text

sys.path.insert(0, str(Path(__file__).parent))
from learner_engines import engine, neuron  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def wrong_rows(report) -> list[str]:
    return [r.node for r in report.rows if r.rule == "wrong"]


# ---------------------------------------------------------------------- real micrograd

def micrograd_sanity():
    """micrograd's own test_sanity_check graph (its ops: + * relu, numbers on both sides)."""
    x = MgValue(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return y, x


def micrograd_more_ops():
    """micrograd's own test_more_ops graph (+= rebinding, -, /, **, relu)."""
    a = MgValue(-4.0)
    b = MgValue(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g, a, b


def test_real_micrograd_passes_on_its_own_test_graphs():
    y, x = micrograd_sanity()
    report = bt.check_engine(y)
    assert report.ok, str(report)
    assert report.first is None and report.findings == []
    assert all(r.grads == "same" for r in report.rows if r.backprop is not None)
    assert all(r.rule in ("pass", "leaf") for r in report.rows)
    # micrograd's test compares with torch: x.grad = 46 (ours, micrograd's and FD agree).
    xrow = next(r for r in report.rows if r.learner == x.grad)
    assert xrow.backprop == pytest.approx(46.0) and xrow.numeric == pytest.approx(46.0, rel=1e-7)
    assert any("_prev is a set, so a*a keeps a once" in n for n in report.notes)  # z*z

    g, a, b = micrograd_more_ops()
    report = bt.check_engine(g, params=[a, b])
    assert report.ok, str(report)
    assert report.event.gradients == 2
    ours = {r.learner: r.backprop for r in report.rows if r.backprop is not None}
    # torch's values in micrograd's test: a.grad 138.8338, b.grad 645.5773
    assert ours[a.grad] == pytest.approx(138.83381924198252, rel=1e-12)
    assert ours[b.grad] == pytest.approx(645.5772594752186, rel=1e-12)
    assert any("not in params=" in n for n in report.notes)  # its literals are constants


def test_the_checker_leaves_the_learners_gradients_as_its_backward_left_them():
    y, x = micrograd_sanity()
    bt.check_engine(y)
    assert x.grad == 46.0  # one backward() from zero: not doubled by the rule tests


# ---------------------------------------------------------------------- broken engines

def test_a_wrong_mul_rule_is_named_not_what_inherits_it():
    V = engine("mul")
    x, y, b = V(2.0, label="x"), V(-3.0, label="y"), V(0.5, label="b")
    p = x * y
    p.label = "p"
    n = p + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    report = bt.check_engine(o)
    assert not report.ok
    f = report.first
    assert (f.node, f.op, f.problem) == ("p", "*", "local")
    assert {(x.operand, x.expected, x.actual) for x in report.findings} == {("x", -3.0, 2.0),
                                                                           ("y", 2.0, -3.0)}
    assert wrong_rows(report) == ["p"]
    differs = {r.node for r in report.rows if r.grads == "differs"}
    assert differs == {"x", "y"}  # below p; o, n and b are right
    assert "its _backward gives ∂p/∂x = 2; the local derivative of * there is y = -3" in str(report)


def test_assignment_for_accumulation_on_a_fan_out_is_named():
    V = engine("mul=")
    x, y = V(2.0, label="x"), V(3.0, label="y")
    p = x * y
    p.label = "p"
    f = p + x  # x feeds p and f
    f.label = "f"
    report = bt.check_engine(f)
    first = report.first
    assert (first.node, first.problem, first.operand) == ("p", "assign", "x")
    assert (first.expected, first.actual) == (6.0, 3.0)  # called twice: 3 + 3, got 3
    assert "x feeds 2 nodes" in first.message and "(+=)" in first.message
    grads = {r.node: (r.learner, r.backprop) for r in report.rows}
    assert grads["x"] == (3.0, 4.0)  # the learner lost the +1 from f: ∂f/∂x = y + 1 = 4
    assert wrong_rows(report) == ["p"]


def test_a_wrong_tanh_is_the_first_wrong_rule_of_the_neuron():
    o, leaves = neuron(engine("tanh"))
    report = bt.check_engine(o)
    f = report.first
    assert (f.node, f.op, f.problem, f.operand) == ("o", "tanh", "local", "n")
    assert f.expected == pytest.approx(0.5, abs=1e-12)  # 1 - tanh(n)², tanh(n) = 1/√2
    assert f.actual == pytest.approx(1 - 1 / math.sqrt(2), abs=1e-12)
    assert wrong_rows(report) == ["o"]
    assert report.event.differ == 8  # everything below o but w2 (x2 = 0) inherits it
    printed = str(report)
    assert printed.splitlines()[1] == "✗ first wrong rule in backward order: #9 o (op 'tanh')"
    assert "the local derivative of tanh there is 1-tanh(n)² = 0.5" in printed


@pytest.mark.parametrize("bug, problem, where", [
    ("no-upstream", "upstream", "ignores out.grad"),
    ("tanh-forward", "forward", "the forward rule is wrong"),
])
def test_other_rule_mistakes(bug, problem, where):
    o, _ = neuron(engine(bug))
    report = bt.check_engine(o)
    assert (report.first.node, report.first.problem) == ("o", problem)
    assert where in report.first.message


def test_a_backward_that_raises_is_named_and_the_rest_still_checked():
    o, _ = neuron(engine("add-raises"))
    report = bt.check_engine(o)
    assert report.first.problem == "raised"
    assert report.first.message == "its _backward raised ZeroDivisionError: a learner's typo"
    assert report.first.node == "n"  # the first + in backward order
    assert set(wrong_rows(report)) == {"n", "x1w1+x2w2"}
    assert any("its backward() raised ZeroDivisionError" in n for n in report.notes)
    assert "ran the learner's _backward closures" in report.event.backward


def test_a_correct_learner_engine_and_a_wrong_traversal_order():
    o, _ = neuron(engine(""))
    assert bt.check_engine(o).ok
    o, leaves = neuron(engine(""))
    V = type(o)

    def backward_in_creation_order(self=o):  # visits children before parents: wrong
        topo = sorted(walk(self).nodes, key=lambda v: -len(v._prev))
        self.grad = 1.0
        for v in topo:
            v._backward()
    o.backward = backward_in_creation_order
    report = bt.check_engine(o)
    assert not report.ok and report.first.problem == "order"
    assert "every node's rule passed on its own" in report.first.message
    assert V is type(o)


def test_params_make_the_other_leaves_constants():
    o, leaves = neuron(engine(""))
    report = bt.check_engine(o, params={"w1": leaves["w1"], "w2": leaves["w2"], "b": leaves["b"]})
    assert report.ok and report.event.gradients == 3
    rows = {r.node: r for r in report.rows}
    assert rows["w1"].backprop == pytest.approx(1.0) and rows["x1"].backprop is None
    assert rows["x1"].grads == "n/a" and rows["x1"].learner == pytest.approx(-1.5)
    assert any("2 leaves are not in params=" in n for n in report.notes)


def test_the_session_shows_the_learners_gradient_beside_backprops():
    o, leaves = neuron(engine("tanh"))
    report = bt.check_engine(o)
    s = report.session
    s.run_line(":backward")
    n = s.resolve("n")
    info = s.node_info(n)
    assert info.grad == pytest.approx(0.5) and info.other_grad == pytest.approx(1 - 2**-0.5)
    assert info.numeric == pytest.approx(0.5, abs=1e-9) and info.other_name == "learner"
    shown = text(s.run_line(":show n")[0])
    assert "learner's ∂f/∂n 0.292893 (differs)" in shown and "finite difference 0.5" in shown
    assert s.run_line(":check")[0].all_pass  # backprop-tui's own gradients pass


def test_an_unknown_op_is_rerun_and_judged_by_finite_differences():
    V = engine("")

    def swish(self, wrong=False):
        s = 1 / (1 + math.exp(-self.data))
        out = V(self.data * s, (self,), "swish")

        def _backward():
            d = s if wrong else s + self.data * s * (1 - s)
            self.grad += d * out.grad
        out._backward = _backward
        return out

    V.swish = swish
    x = V(0.8, label="x")
    y = (x * 2.0).swish()
    y.label = "y"
    report = bt.check_engine(y)
    assert report.ok, str(report)
    assert next(r for r in report.rows if r.node == "y").rule == "pass"
    assert any("re-running the learner's method" in n for n in report.notes)
    z = V.swish(x * 2.0, wrong=True)
    z.label = "z"
    report = bt.check_engine(z)
    assert (report.first.node, report.first.problem, report.first.op) == ("z", "local", "swish")


def test_an_unknown_op_without_a_method_is_linearised_and_marked_unchecked():
    V = engine("")
    x = V(0.3, label="x")
    h = x * 3.0
    m = V(h.data ** 3, (h,), "cube?")

    def _backward():
        h.grad += 3 * h.data ** 2 * m.grad
    m._backward = _backward
    out = m + x
    report = bt.check_engine(out)
    assert report.ok
    rows = {r.op: r for r in report.rows}
    assert rows["cube?"].rule == "unchecked"
    xrow = next(r for r in report.rows if r.node == "x")
    assert xrow.backprop == pytest.approx(81 * 0.3**2 + 1) == xrow.learner


# ---------------------------------------------------------------------- bad graphs

def test_a_cycle_is_an_error_not_a_hang():
    V = engine("")
    a, b = V(1.0, label="a"), V(2.0, label="b")
    c = a + b
    c.label = "c"
    d = c * a
    d.label = "d"
    c._prev = {d, b}  # by hand: c → d → c
    with pytest.raises(bt.EngineError, match="the Value graph has a cycle: 'd' → 'c' → 'd'"):
        bt.check_engine(d)


@pytest.mark.parametrize("data, kind", [("2", "str"), (None, "NoneType"), (1j, "complex")])
def test_non_numeric_data_is_an_error(data, kind):
    V = engine("")
    a = V(1.0, label="a")
    b = V(data, label="b")
    with pytest.raises(bt.EngineError, match=f"has data = .* \\({kind}\\): the checker needs a "
                                             "real number"):
        bt.check_engine(V(1.0, (a, b), "+"))


def test_not_a_value_is_an_error():
    with pytest.raises(bt.EngineError, match="needs a micrograd-style Value"):
        bt.check_engine(3.0)
    V = engine("")
    v = V(1.0, label="a")
    v._prev = 5
    with pytest.raises(bt.EngineError, match="not a collection of Values"):
        bt.check_engine(v)


def test_a_deep_chain_past_the_recursion_limit_is_checked():
    V = engine("")  # the lecture's recursive backward(): fails past ~1000
    c = V(0.5, label="c")
    v = V(1.0, label="x")
    for _ in range(30_000):
        v = v + c
    report = bt.check_engine(v)
    assert report.ok
    assert any("recursion limit" in n for n in report.notes)
    assert any("finite differences for" in n for n in report.notes)  # a budget, not O(n²)
    row_c = next(r for r in report.rows if r.node == "c")
    assert row_c.learner == row_c.backprop == 30_000


def test_walking_a_million_deep_chain_needs_no_recursion():
    class Light:  # the smallest micrograd-style node: cheap enough for a 1e6 chain here
        __slots__ = ("data", "grad", "_prev", "_op")

        def __init__(self, data, prev=(), op=""):
            self.data, self.grad, self._prev, self._op = data, 0.0, prev, op

    gc.disable()  # a million linked objects: full collections would walk them again and again
    try:
        v = Light(1.0)
        for _ in range(1_000_000):
            v = Light(v.data, (v,), "neg")
        w = walk(v)
    finally:
        gc.enable()
    assert len(w.nodes) == 1_000_001 and w.nodes[-1] is v and w.children[0] == []
    assert w.children[-1] == [999_999]
    u = Light(1.0)
    first = u
    for _ in range(100_000):
        u = Light(u.data, (u,), "neg")
    first._prev = (u,)  # a 1e5-long cycle, found at its end
    with pytest.raises(bt.EngineError, match="the Value graph has a cycle: Light"):
        walk(u)


# ---------------------------------------------------------------------- the command line

SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from learner_engines import engine, neuron
o, leaves = neuron(engine({bug!r}))
other = leaves["n"] * 2
"""


def run_cli(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_engine_command_names_the_value_or_takes_the_last(tmp_path, capsys):
    path = tmp_path / "learner.py"
    path.write_text(SCRIPT.format(tests=str(Path(__file__).parent), bug="tanh"), encoding="utf-8")
    code, out, err = run_cli(["check-engine", f"{path}:o"], capsys)
    assert code == 1, err
    assert out.splitlines()[0] == f"checking o in {path}"
    assert "✗ first wrong rule in backward order: #9 o (op 'tanh')" in out
    # Without NAME: the last Value created, other = n * 2 (its * rule is right).
    code, out, _ = run_cli(["check-engine", str(path)], capsys)
    assert code == 0 and "checking the last Value" in out
    code, out, _ = run_cli(["check-engine", f"{path}:o", "--json"], capsys)
    data = json.loads(out)
    assert code == 1 and data["event"] == "engine" and data["first"]["node"] == "o"
    assert len(data["rows"]) == 10 and data["rows"][0]["grads"] == "same"
    path.write_text(SCRIPT.format(tests=str(Path(__file__).parent), bug=""), encoding="utf-8")
    code, out, _ = run_cli(["check-engine", f"{path}:o"], capsys)
    assert code == 0 and "✓ every node's rule and every gradient agree" in out


@pytest.mark.parametrize("script, target, message", [
    (None, "missing.py", "missing.py: no such file"),
    ("x = 1 / 0\n", "bad.py", "bad.py raised ZeroDivisionError at line 1: division by zero"),
    ("x = 1\n", "bad.py", "created no micrograd-style Value"),
    ("x = 1\n", "bad.py:y", "binds no global 'y'"),
    ("x = 1\n", "bad.py:x", "x in bad.py is int, not a micrograd-style Value"),
    ("import sys\nsys.exit(3)\n", "bad.py", "bad.py exited with status 3"),
])
def test_check_engine_command_errors_exit_2_with_one_line(tmp_path, capsys, monkeypatch, script,
                                                           target, message):
    monkeypatch.chdir(tmp_path)
    if script is not None:
        (tmp_path / "bad.py").write_text(script, encoding="utf-8")
    code, out, err = run_cli(["check-engine", target], capsys)
    assert code == 2 and out == ""
    assert err.startswith("backprop-tui: check-engine: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_the_own_engine_demo_finds_its_bug():
    demo = ROOT / "demos" / "own_engine.py"
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(demo)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "✗ first wrong rule in backward order: #9 o (op 'tanh')" in done.stdout
    done = subprocess.run([sys.executable, "-m", "backprop_tui", "check-engine", f"{demo}:o"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1 and done.stdout.count("first wrong rule") == 1
