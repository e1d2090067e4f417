"""`:compare`: finite differences, symbolic differentiation, forward mode and backprop.

For the function f (the program's output) with n inputs it depends on and N graph nodes in
its cone, it reports what each method needs and what it costs on this machine:
  - finite differences: n+1 evaluations (forward differences) or 2n (central), each a
    full forward pass, so (evaluations × operations in the forward pass) operations;
  - symbolic: each ∂f/∂xᵢ built by the textbook rules, its size as a tree and as a DAG;
  - forward mode: n tangent passes (dual numbers), each about one forward evaluation;
  - backprop: one forward pass and one backward pass whatever n.

Everything runs on a private copy of the output's cone, so the caller's graph (a
session's values and gradients) is never touched.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from .dual import dual_pass
from .graph import EvalError, Graph
from .labels import label
from .language import Program
from .ops import CONST, INPUT, LEAVES, LITERAL
from .reports import Comparison, InputRow, Timing
from .symbolic import Symbolic, graph_cone

EPS = 2.0**-52
TEXT_BUDGET = 160  # characters of each derivative's text


def subgraph(g: Graph, nodes: list[int]) -> tuple[Graph, dict[int, int]]:
    """A new graph holding `nodes` (a topologically ordered cone), renumbered."""
    sub = Graph()
    idx: dict[int, int] = {}
    for i in nodes:
        o = g.op[i]
        ai, bi = g.a[i], g.b[i]
        j = sub.add(o, idx[ai] if ai >= 0 else -1, idx[bi] if bi >= 0 else -1, g.k[i],
                    g.value[i] if o in LEAVES else 0.0)
        idx[i] = j
        if i in g.names:
            sub.names[j] = g.names[i]
    return sub, idx


def op_counts(g: Graph, nodes: list[int]) -> tuple[int, int]:
    """(operations in the forward pass, gradient pushes in the backward pass) over a cone."""
    op, a, b = g.op, g.a, g.b
    fwd = pushes = 0
    for i in nodes:
        if op[i] in LEAVES:
            continue
        fwd += 1
        for j in (a[i], b[i]):
            if j >= 0 and op[j] != CONST and op[j] != LITERAL:
                pushes += 1
    return fwd, pushes


def _time(fn: Callable[[], object], budget: float) -> Timing:
    """Wall time of fn: one run, then as many more as fit in `budget` (small cases are
    repeated for a stable figure); the smaller of the single and the mean figure."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    reps = min(1000, int(budget / first)) if first > 0 else 1000
    if reps < 2:
        return Timing(first)
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    mean = (time.perf_counter() - t0) / reps
    return Timing(min(first, mean), reps + 1)


class _Evaluator:
    """Forward passes of the private cone copy with one input perturbed."""

    def __init__(self, sub: Graph, out: int) -> None:
        self.sub, self.out = sub, out
        self.evals = 0

    def f(self, x: int = -1, h: float = 0.0) -> float:
        v = self.sub.value
        x0 = v[x] if x >= 0 else 0.0
        if x >= 0:
            v[x] = x0 + h
        self.evals += 1
        try:
            self.sub.forward()
            y = v[self.out]
        except EvalError:
            y = math.nan
        if x >= 0:
            v[x] = x0
        return y

    def central(self, x: int) -> float:
        h = EPS ** (1 / 3) * max(1.0, abs(self.sub.value[x]))
        return (self.f(x, h) - self.f(x, -h)) / (2 * h)

    def forward_diff(self, x: int, f0: float) -> float:
        h = math.sqrt(EPS) * max(1.0, abs(self.sub.value[x]))
        return (self.f(x, h) - f0) / h


def compare(prog: Program, output: int | None = None, time_budget: float = 2.0) -> Comparison:
    """Compare the three methods on the program's output (or node `output`).

    Raises ValueError when there is no output, EvalError (naming the program's node)
    when the function cannot be evaluated. Timing stays within about `time_budget`
    seconds: what does not fit is extrapolated from a sample and marked estimated."""
    g = prog.graph
    out = prog.output if output is None else output
    if out is None:
        raise ValueError("the program has no output to differentiate")
    nodes = graph_cone(g, out)
    sub, idx = subgraph(g, nodes)
    sout = idx[out]
    try:
        sub.forward()
    except EvalError as err:
        raise EvalError(nodes[err.node], err.message) from None
    value = sub.value[sout]
    sub.backward(sout)
    inputs = [i for i in nodes if g.op[i] == INPUT]
    n = len(inputs)
    fwd_ops, pushes = op_counts(g, nodes)
    share = time_budget / 8  # per timed quantity; FD, forward mode and symbolic get two each

    t_fwd = _time(sub.forward, share / 2)
    t_bwd = _time(lambda: sub.backward(sout), share / 2)
    t_bp = _time(lambda: (sub.forward(), sub.backward(sout)), share / 2)
    bp_grads = [sub.grad[idx[i]] for i in inputs]
    fm_vals, t_fm = _forward_mode(sub, sout, [idx[i] for i in inputs], t_fwd.seconds, share)

    # Finite differences: run them all when they fit in the budget, else time a sample.
    ev = _Evaluator(sub, sout)
    per_eval = t_fwd.seconds
    fd_c: list[float | None] = [None] * n
    fd_f: list[float | None] = [None] * n
    if per_eval * 3 * n <= 2 * share:
        t_fd_c = _time(lambda: [ev.central(idx[i]) for i in inputs], share)
        fd_c = [ev.central(idx[i]) for i in inputs]

        def fd_forward() -> list[float]:
            f0 = ev.f()
            return [ev.forward_diff(idx[i], f0) for i in inputs]

        t_fd_f = _time(fd_forward, share)
        fd_f = list(fd_forward())
    else:
        t0 = time.perf_counter()
        done = 0
        f0 = ev.f()
        while done < n and time.perf_counter() - t0 < 2 * share:
            x = idx[inputs[done]]
            fd_c[done] = ev.central(x)
            fd_f[done] = ev.forward_diff(x, f0)
            done += 1
        per = (time.perf_counter() - t0) / ev.evals
        t_fd_c = Timing(per * 2 * n, 1, estimated=True)
        t_fd_f = Timing(per * (n + 1), 1, estimated=True)

    # Symbolic: build and evaluate each derivative until the budget runs out.
    t0 = time.perf_counter()
    sym = Symbolic(g, out)
    dag = sym.dag
    derivs: list[int] = []
    sym_vals: list[float | None] = [None] * n
    for j, i in enumerate(inputs):
        if j and time.perf_counter() - t0 > 2 * share:
            break
        d = sym.derivative(i)
        derivs.append(d)
        sym_vals[j] = dag.evaluate(d)
    spent = time.perf_counter() - t0
    built = len(derivs)
    if built == n:
        t_sym = Timing(spent)
        if spent < share:

            def symbolic_run() -> list[float]:
                s = Symbolic(g, out)
                return [s.dag.evaluate(s.derivative(i)) for i in inputs]

            t_sym = _time(symbolic_run, share)
    else:
        t_sym = Timing(spent * n / max(built, 1), 1, estimated=True)

    rows = []
    for j, i in enumerate(inputs):
        dj = derivs[j] if j < built else None
        rows.append(InputRow(
            name=g.names.get(i, f"#{i}"), node=i, value=g.value[i], backprop=bp_grads[j],
            fd_central=fd_c[j], fd_forward=fd_f[j], symbolic=sym_vals[j],
            tree_size=None if dj is None else dag.tree_size(dj),
            dag_size=None if dj is None else dag.dag_size(dj),
            tree_ops=None if dj is None else dag.tree_ops_size(dj),
            tree_log10=None if dj is None else dag.tree_log10(dj),
            dag_ops=None if dj is None else dag.dag_ops(dj),
            text=None if dj is None else dag.text(dj, TEXT_BUDGET), forward_mode=fm_vals[j]))
    return Comparison(
        output=out, label=label(g, out), value=value, n_inputs=n, n_nodes=len(nodes),
        op_nodes=fwd_ops, fd_forward_evals=n + 1, fd_central_evals=2 * n,
        fd_forward_ops=(n + 1) * fwd_ops, fd_central_ops=2 * n * fwd_ops,
        bp_forward_ops=fwd_ops, bp_backward_derivs=fwd_ops, bp_backward_pushes=pushes,
        bp_ratio=pushes / fwd_ops if fwd_ops else 0.0,
        f_tree_size=dag.tree_size(sym.root), f_dag_size=dag.dag_size(sym.root),
        inputs=rows, symbolic_skipped=n - built, time_forward=t_fwd, time_backward=t_bwd,
        time_backprop=t_bp, time_fd_forward=t_fd_f, time_fd_central=t_fd_c, time_symbolic=t_sym,
        time_budget=time_budget, fm_passes=n, time_forward_mode=t_fm)


def _forward_mode(sub: Graph, out: int, xs: list[int], per_eval: float,
                  share: float) -> tuple[list[float | None], Timing | None]:
    """All n tangent passes when they fit in two shares of the budget, else a sample of
    them timed and multiplied out (every pass costs the same: a full dual pass)."""
    n = len(xs)
    if not n:
        return [], None
    vals: list[float | None] = [None] * n

    def run() -> None:
        for k, x in enumerate(xs):
            vals[k] = dual_pass(sub, out, x)[out]

    if per_eval * 2 * n <= 2 * share:
        return vals, _time(run, 2 * share)
    t0 = time.perf_counter()
    done = 0
    while done < n and time.perf_counter() - t0 < 2 * share:
        vals[done] = dual_pass(sub, out, xs[done])[out]
        done += 1
    return vals, Timing((time.perf_counter() - t0) / done * n, 1, estimated=True)


# -- rendering --

def fmt_size(n: int | None) -> str:
    """1234 → '1,234'; sizes past 10¹⁵ as a power of ten."""
    if n is None:
        return "—"
    if n < 10**15:
        return f"{n:,}"
    exp = (n.bit_length() - 1) * math.log10(2)
    return f"≈10^{exp:.1f}"


def fmt_time(t: Timing | None) -> str:
    if t is None:
        return "—"
    s = t.seconds
    text = (f"{s * 1e6:.1f} µs" if s < 1e-3 else f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s")
    return ("≈" + text + " (est.)") if t.estimated else text
