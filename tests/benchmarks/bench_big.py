"""Big-graph benchmark: every row of issue 15's table, each a short run printing figures.

Run: python tests/benchmarks/bench_big.py [ROW ...] [--quick]
ROW is one of: headless check laststep gcstep engine micrograd memory summary (default all).
(named bench_*.py so that pytest does not collect it: a measurement, not a test.)

Figures are medians of repeats (CPU time of this process, so other processes on a shared
machine count less), and every ratio is taken within one process. Sizes are chosen so each
row finishes in seconds; where a ratio is what matters, the sizes are printed with it.
The TUI's key-to-screen row is tests/benchmarks/bench_tui.py.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import io
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import mixed_program  # noqa: E402

from backprop_tui.graph import Graph  # noqa: E402
from backprop_tui.language import parse  # noqa: E402
from backprop_tui.ops import INPUT, LITERAL, OP_INDEX, OPS  # noqa: E402
from backprop_tui.session import Session  # noqa: E402

clock = time.process_time
QUICK = False


def median_time(fn: Callable[[], object], repeat: int, setup: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def interleaved(fns: list[Callable[[], object]], repeat: int,
                setup: list[Callable[[], object] | None] | None = None,
                block: int = 4) -> list[float]:
    """Median CPU time of each fn, the fns taking turns in every round: a change of load on
    the shared machine then moves every figure alike, and their ratios stay honest. In a
    round each fn runs `block` times in a row and the first is not counted (the others
    found the caches as they would in a loop of that fn alone)."""
    times: list[list[float]] = [[] for _ in fns]
    rounds = max(1, -(-repeat // (block - 1)))
    setups = setup or [None] * len(fns)
    for _ in range(rounds):
        for fn, ts, before in zip(fns, times, setups, strict=True):
            for k in range(block):
                if before is not None:
                    before()
                t0 = clock()
                fn()
                if k:
                    ts.append(clock() - t0)
    return [statistics.median(ts) for ts in times]


def head(title: str) -> None:
    print(f"\n== {title}")


# ---------------------------------------------------------------- headless lines

def headless_run(text: str) -> float:
    from backprop_tui import headless

    out, err = io.StringIO(), io.StringIO()
    t0 = clock()
    code = headless.run([("text", text)], headless.Options(color=False), out, err)
    t = clock() - t0
    if code != 0:
        raise SystemExit(f"headless run failed ({code}): {err.getvalue()[:500]}")
    return t


def row_headless() -> None:
    head("headless file: one statement per line vs the same program on one line")
    sizes = (1_000, 2_000) if QUICK else (2_000, 4_000, 25_000)
    prev, prev_lines = 0.0, 1
    for lines in sizes:
        # mixed_program makes about 4.5 nodes a statement: nodes ≈ 4.47 × lines
        text = mixed_program(int(lines * 4.47), inputs=min(200, lines // 10))
        n_lines = text.count("\n") + 1
        one_line = text.replace("\n", "; ")
        # Alternating runs, medians: 5 of each below 5,000 lines, 1 above (seconds each).
        rounds = 5 if lines < 5_000 else 1
        runs = [(headless_run(text), headless_run(one_line)) for _ in range(rounds)]
        file_t = statistics.median(r[0] for r in runs)
        one_t = statistics.median(r[1] for r in runs)
        grow = f"  ×{file_t / prev:.2f} for ×{n_lines / prev_lines:.2f} lines" if prev else ""
        print(f"  {n_lines:>6} lines: file {file_t:7.2f} s   one line {one_t:6.2f} s   "
              f"ratio {file_t / one_t:5.2f} (goal ≤ 1.5){grow}")
        prev, prev_lines = file_t, n_lines
        if file_t > 20:
            print("  (stopping: at this growth the next size would take many minutes)")
            break


# ---------------------------------------------------------------- :check

def sum_program(n: int, balanced: bool) -> str:
    lines = [f"x{i} = {0.1 + (i % 17) / 20:.3f}" for i in range(n)]
    terms = [f"tanh(0.5*x{i})" for i in range(n)]
    if not balanced:
        lines.append(" + ".join(terms))
        return "\n".join(lines)
    level = 0
    while len(terms) > 1:
        nxt = []
        for j in range(0, len(terms) - 1, 2):
            name = f"s{level}_{j // 2}"
            lines.append(f"{name} = {terms[j]} + {terms[j + 1]}")
            nxt.append(name)
        if len(terms) % 2:
            nxt.append(terms[-1])
        terms, level = nxt, level + 1
    lines.append(terms[0])
    return "\n".join(lines)


def cone_sum(g: Graph, out: int, nodes: list[int]) -> int:
    """Σ over the checked nodes of their downstream cones (nodes re-evaluated per FD eval)."""
    start, items = g.consumers(out)
    total = 0
    for j in nodes:
        seen = {j}
        stack = [j]
        while stack:
            i = stack.pop()
            for c in items[start[i]:start[i + 1]]:
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        total += len(seen) - 1
    return total


def row_check() -> None:
    head(":check of all inputs: time against Σ of the inputs' downstream cones")
    n = 1_000 if QUICK else 2_000
    for balanced in (True, False):
        s = Session(parse(sum_program(n, balanced)))
        nodes = [i for _, i in s.prog.inputs()]
        cones = cone_sum(s.graph, s.output, nodes)
        t = median_time(partial(s.run_line, ":check"), 3)
        (ev,) = s.run_line(":check")
        assert ev.kind == "check" and ev.all_pass, ev
        print(f"  {'balanced tree' if balanced else 'left-to-right sum'}: {n} inputs, "
              f"{len(s.graph)} nodes, Σ cones {cones:,}: {t:6.3f} s = {t / cones * 1e9:6.0f} "
              f"ns per cone node, {t / (n * len(s.graph)) * 1e9:6.2f} ns per input×node")


# ---------------------------------------------------------------- last step vs a middle one

def wide_program(n_terms: int) -> str:
    """Σ tanh(wᵢ·x) + b: n_terms + 2 inputs, about 4 nodes a term."""
    lines = ["x = 0.5", "b = 0.1"]
    lines += [f"w{i} = {((i * 37) % 101) / 101 - 0.5:.4f}" for i in range(n_terms)]
    lines.append(" + ".join(f"tanh(w{i}*x)" for i in range(n_terms)) + " + b")
    return "\n".join(lines)


def step_cost(s: Session, pos: int, repeat: int = 21) -> float:
    """Median CPU time of `:step` from position pos (undone after each, outside the timing)."""
    s.run_to(pos)
    times = []
    for _ in range(repeat):
        t0 = clock()
        s.run_line(":step")
        times.append(clock() - t0)
        s.back(1)
    return statistics.median(times)


def same_op_near(s: Session, order: list[int], k: int) -> int:
    """The step index nearest k whose node has the op of order's last node (so that the
    comparison is of the last step's extra work, not of a cheaper kind of node)."""
    op = s.graph.op
    want = op[order[-1]]
    for d in range(len(order)):
        for j in (k - d, k + d):
            if 0 <= j < len(order) - 1 and op[order[j]] == want:
                return j
    return k


def row_laststep() -> None:
    head("`:step` at the last step of each pass vs a middle one")
    n = 20_000 if QUICK else 100_000
    s = Session(parse(wide_program(n // 4)))
    f, total = len(s.fwd), s.steps_total
    print(f"  graph: {len(s.graph)} nodes, {len(s.prog.inputs())} inputs, {f} forward and "
          f"{len(s.bwd)} backward steps")
    mf = same_op_near(s, s.fwd, f // 2)
    mb = same_op_near(s, s.bwd, len(s.bwd) // 2)
    mid_f, last_f = step_cost(s, mf), step_cost(s, f - 1)
    mid_b, last_b = step_cost(s, f + mb), step_cost(s, total - 1)
    print(f"  forward:  middle {mid_f * 1e6:8.1f} µs   last {last_f * 1e6:8.1f} µs   "
          f"ratio {last_f / mid_f:6.2f} (goal ≤ 2; the middle step at a node of the last's op)")
    print(f"  backward: middle {mid_b * 1e6:8.1f} µs   last {last_b * 1e6:8.1f} µs   "
          f"ratio {last_b / mid_b:6.2f} (goal ≤ 2)")


# ---------------------------------------------------------------- stepping vs graph size

def built_graph(n: int) -> tuple[Graph, int]:
    """A chain s = s·w + x built straight into a graph (parsing 5e6 nodes takes minutes)."""
    g = Graph()
    x = g.add(INPUT, value=0.5)
    g.names[x] = "x"
    w = g.add(LITERAL, value=0.999)
    s = x
    mul, add = OP_INDEX["mul"], OP_INDEX["add"]
    while len(g) < n:
        s = g.add(add, g.add(mul, s, w), x)
    return g, s


def row_gcstep() -> None:
    head("stepping cost against graph size (the same number of steps at each size)")
    sizes = (100_000, 1_000_000) if QUICK else (100_000, 1_000_000, 5_000_000)
    steps = 50_000  # fewer than the smallest graph's forward steps
    base = None
    for n in sizes:
        from backprop_tui.language import Program

        g, out = built_graph(n)
        prog = Program()
        prog.graph, prog.output = g, out
        t0 = time.perf_counter()
        s = Session(prog)
        len(s.fwd)  # the step order: built on the first step, not timed with the steps
        t_session = time.perf_counter() - t0
        fwd_t = median_time(partial(s.step, steps, verbose=False), 1)
        s.run_to(len(s.fwd))
        bwd_t = median_time(partial(s.step, steps, verbose=False), 1)
        back_t = median_time(partial(s.back, steps), 1)
        per = bwd_t / steps * 1e6
        base = base or per
        print(f"  {n:>9,} nodes: forward {fwd_t / steps * 1e6:6.2f} µs/step   backward "
              f"{per:6.2f} µs/step   back {back_t / steps * 1e6:6.2f} µs/step   "
              f"(×{per / base:.2f} of the smallest; goal ≤ 1.5)   session and step order "
              f"{t_session:.2f} s")
        del s, prog, g
        gc.collect()


# ---------------------------------------------------------------- engine vs a plain flat loop

def flat_loop(g: Graph) -> tuple[Callable[[], list[float]], Callable[[int], list[float]]]:
    """The plain loop the issue compares with: op nodes only, operands precomputed, branches
    for add and mul, the op table's functions for the rest; lists of floats."""
    fns = [op.fn for op in OPS]
    derivs = [op.deriv for op in OPS]
    nodes = [i for i in range(len(g)) if g.op[i] > LITERAL]
    ops = [g.op[i] for i in nodes]
    aa = [g.a[i] for i in nodes]
    bb = [g.b[i] for i in nodes]
    kk = [g.k[i] for i in nodes]
    plan = list(zip(nodes, ops, aa, bb, kk, strict=True))
    rplan = plan[::-1]
    add, mul = OP_INDEX["add"], OP_INDEX["mul"]
    v0 = list(g.value)

    def forward() -> list[float]:
        v = list(v0)
        for i, o, a, b, k in plan:
            if o == mul:
                v[i] = v[a] * v[b]
            elif o == add:
                v[i] = v[a] + v[b]
            else:
                v[i] = fns[o](v[a], v[b], k)
        return v

    v_done = forward()

    def backward(out: int) -> list[float]:
        v = v_done
        gr = [0.0] * len(v)
        gr[out] = 1.0
        for i, o, a, b, k in rplan:
            gi = gr[i]
            if o == mul:
                gr[a] += gi * v[b]
                gr[b] += gi * v[a]
            elif o == add:
                gr[a] += gi
                gr[b] += gi
            else:
                d = derivs[o](v[a], v[b], k, v[i])
                gr[a] += gi * d[0]
                if b >= 0:
                    gr[b] += gi * d[1]
        return gr

    return forward, backward


def chain_text(n: int) -> str:
    return "x = 0.5\ns = x\n" + "s = s*0.999 + x\n" * max(1, (n - 3) // 3) + "s"


def wide_text(n: int) -> str:
    """Σ tanh(wᵢ·xᵢ) + xᵢ·xᵢ₊₁: many inputs, 5 operations per input."""
    m = n // 7
    lines = [f"x{i} = {((i * 37) % 101) / 101 - 0.5:.4f}" for i in range(m)]
    terms = [f"tanh({0.5 + (i % 7) / 10}*x{i}) + x{i}*x{i + 1}" for i in range(m - 1)]
    lines.append(" + ".join(terms))
    return "\n".join(lines)


def row_engine() -> None:
    head("engine forward/backward against the plain flat loop (ns/node, median of repeats)")
    repeat = 15 if QUICK else 45
    size = 50_000 if QUICK else 100_000
    shapes = [("chain s = s·0.999 + x", chain_text(size)),
              ("wide Σ tanh(wx)+x·x'", wide_text(size)),
              ("mixed DAG add/mul/powk/relu", mixed_program(size, reach=64))]
    for name, text in shapes:
        prog = parse(text)
        g, out = prog.graph, prog.output
        assert out is not None
        n = len(g)
        lf, lb = flat_loop(g)
        ef, pf = interleaved([g.forward, lf], repeat)
        eb, pb = interleaved([partial(g.backward, out), partial(lb, out)], repeat)
        ref = lb(out)
        worst = max(abs(ref[i] - g.grad[i]) for i in range(n) if g.takes_grad(i))
        assert worst <= 1e-9, f"the engine and the flat loop disagree by {worst}"
        print(f"  {name} ({n:,} nodes): engine {ef / n * 1e9:6.1f} / {eb / n * 1e9:6.1f}   "
              f"flat loop {pf / n * 1e9:6.1f} / {pb / n * 1e9:6.1f}   ratio "
              f"{ef / pf:4.2f} / {eb / pb:4.2f} (goal ≤ 1.0)")


# ---------------------------------------------------------------- vs micrograd: an MLP

def mlp_data(seed: int = 0):
    rng = random.Random(seed)
    sizes = [2, 16, 16, 1]
    layers = []
    for nin, nout in zip(sizes, sizes[1:], strict=False):
        layers.append([([rng.uniform(-1, 1) for _ in range(nin)], 0.0) for _ in range(nout)])
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(20)]
    ys = [1.0 if x[0] * x[1] > 0 else -1.0 for x in xs]
    return layers, xs, ys


def mlp_program(layers, xs, ys) -> str:
    """The same MLP as micrograd.nn.MLP(2, [16, 16, 1]) with an MSE loss, in our language:
    weights are inputs, data points literals, sums in micrograd's order (b + w₀x₀ + …)."""
    lines = []
    for li, layer in enumerate(layers):
        for ni, (w, b) in enumerate(layer):
            lines += [f"w{li}_{ni}_{k} = {wk!r}" for k, wk in enumerate(w)]
            lines.append(f"b{li}_{ni} = {b!r}")
    losses = []
    for p, (x, y) in enumerate(zip(xs, ys, strict=True)):
        acts = [repr(v) for v in x]
        for li, layer in enumerate(layers):
            last = li == len(layers) - 1
            nxt = []
            for ni, (w, _) in enumerate(layer):
                s = " + ".join([f"b{li}_{ni}"] + [f"w{li}_{ni}_{k}*{acts[k]}" for k in range(len(w))])
                name = f"h{p}_{li}_{ni}"
                lines.append(f"{name} = " + (f"({s})" if last else f"relu({s})"))
                nxt.append(name)
            acts = nxt
        losses.append(f"({acts[0]} - {y!r})^2")
    lines.append(" + ".join(losses))
    return "\n".join(lines)


def row_micrograd() -> None:
    head("vs micrograd: MLP 2-16-16-1 × 20 points, MSE loss (whole forward+backward, median)")
    try:
        from micrograd.engine import Value
        from micrograd.nn import MLP
    except ImportError:
        print("  micrograd not installed (pip install '.[bench]')")
        return
    layers, xs, ys = mlp_data()
    prog = parse(mlp_program(layers, xs, ys))
    g, out = prog.graph, prog.output
    assert out is not None
    model = MLP(2, [16, 16, 1])
    for layer, ours in zip(model.layers, layers, strict=True):
        for neuron, (w, b) in zip(layer.neurons, ours, strict=True):
            for wi, v in zip(neuron.w, w, strict=True):
                wi.data = v
            neuron.b.data = b
    params = model.parameters()

    def micro() -> Value:
        for p in params:
            p.grad = 0.0
        loss = sum(((model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True)), Value(0.0))
        loss.backward()
        return loss

    def ours() -> None:
        g.forward()
        g.backward(out)

    repeat = 15 if QUICK else 45
    loss = micro()
    count: set[int] = set()
    stack = [loss]
    while stack:
        v = stack.pop()
        if id(v) not in count:
            count.add(id(v))
            stack.extend(v._prev)
    ours()
    assert abs(loss.data - g.value[out]) < 1e-9 * max(1, abs(loss.data)), (loss.data, g.value[out])
    worst = max(abs(p.grad - g.grad[prog.bindings[name]])
                for p, name in zip(params, [n for n, _ in prog.inputs()], strict=True))
    print(f"  graphs: micrograd {len(count):,} Values, ours {len(g):,} nodes; same loss, "
          f"gradients agree to {worst:.1e}")
    def micro_gc_off() -> None:
        gc.disable()
        try:
            micro()
        finally:
            gc.enable()

    # gc.collect before each micrograd run: the previous build's cycles are not charged to
    # the next.
    t_ours, t_on, t_off = interleaved([ours, micro, micro_gc_off], repeat,
                                      setup=[None, gc.collect, gc.collect])
    for name, t_m, goal in (("on ", t_on, 15), ("off", t_off, 8)):
        print(f"  micrograd gc {name}: {t_m * 1e3:7.2f} ms   ours {t_ours * 1e3:6.2f} ms   "
              f"ours {t_m / t_ours:5.1f}× faster (goal ≥ {goal}×)")


# ---------------------------------------------------------------- memory

def row_memory() -> None:
    head("memory: B/node of the graph, and with a Session stepped to the end (tracemalloc)")
    size = 50_000 if QUICK else 100_000
    for name, text in (("chain", chain_text(size)), ("wide", wide_text(size))):
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        prog = parse(text)
        gc.collect()
        graph_b = tracemalloc.get_traced_memory()[0] - base
        s = Session(prog)
        s.run_line(":backward")
        gc.collect()
        full_b = tracemalloc.get_traced_memory()[0] - base
        s.summary()  # full passes too: the engine's plan of the graph stays with it
        gc.collect()
        plan_b = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        n = len(prog.graph)
        print(f"  {name} ({n:,} nodes): graph {graph_b / n:6.0f} B/node   with a session "
              f"stepped to the end {full_b / n:6.0f} B/node (goal ≤ 250)   and after full "
              f"passes {plan_b / n:6.0f}")
        del s, prog


# ---------------------------------------------------------------- summary()

def row_summary() -> None:
    head("summary(): µs per node")
    size = 50_000 if QUICK else 100_000
    for name, text in (("chain", chain_text(size)), ("wide", wide_text(size))):
        s = Session(parse(text))
        n = len(s.graph)
        first = median_time(s.summary, 1)  # the first call also evaluates every node once
        t = median_time(s.summary, 5)
        print(f"  {name} ({n:,} nodes, {len(s.prog.inputs()):,} inputs): {t * 1e3:7.1f} ms = "
              f"{t / n * 1e6:5.2f} µs/node (goal ≤ 1); the first call {first / n * 1e6:5.2f}")
        if "nodes" in inspect.signature(s.summary).parameters:
            t = median_time(partial(s.summary, nodes=True), 3)
            print(f"    with every node (--json's summary object): {t * 1e3:7.1f} ms = "
                  f"{t / n * 1e6:5.2f} µs/node")
        del s


ROWS = {"headless": row_headless, "check": row_check, "laststep": row_laststep,
        "gcstep": row_gcstep, "engine": row_engine, "micrograd": row_micrograd,
        "memory": row_memory, "summary": row_summary}


def main() -> None:
    global QUICK
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", nargs="*", choices=[*ROWS, []], default=[])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    args = ap.parse_args()
    QUICK = args.quick
    rows = args.rows or list(ROWS)
    if len(rows) > 1:  # each row in a fresh process: one row's heap does not slow the next
        print(f"Python {sys.version.split()[0]}; CPU time, medians; each row in its own process")
        for name in rows:
            sys.stdout.flush()
            subprocess.run([sys.executable, __file__, name, *(["--quick"] if QUICK else [])],
                           check=False, env={**os.environ, "BENCH_BIG_CHILD": "1"})
        return
    if not os.environ.get("BENCH_BIG_CHILD"):
        print(f"Python {sys.version.split()[0]}; CPU time, medians")
    ROWS[rows[0]]()


if __name__ == "__main__":
    main()
