"""Engine benchmark: forward and backward ns/node on ~100k-node graphs, next to micrograd.

Run: python tests/benchmarks/bench_engine.py [--nodes N] [--repeat R]
(named bench_*.py so that pytest does not collect it; it is a measurement, not a test).

micrograd (PyPI `micrograd`, the `bench` extra) has no separate forward pass: its forward
*is* building the Value objects, so its forward figure is construction time. It is driven
node by node from our graph so both engines compute exactly the same function, and its
recursive topological sort needs sys.setrecursionlimit raised (ours runs at the default).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from backprop_tui.language import parse  # noqa: E402
from backprop_tui.ops import OP_INDEX  # noqa: E402

# CPU time of this process: on a shared machine wall-clock time also counts the time other
# processes held the CPU. Best of --repeat runs.
clock = time.process_time
TARGET_RATIO = 2.5  # backward / forward
TARGET_SPEEDUP = 10.0  # micrograd (fwd+bwd) / ours (fwd+bwd)


def mixed_program(nodes: int, inputs: int = 200, seed: int = 1, reach: int = 0) -> str:
    """A random-ish DAG over many inputs mixing add, mul, powk and relu (the ops micrograd
    has), with fan-out to random earlier nodes: among the last `reach` statements, or any
    (reach 0; the scattered memory access then costs more than the arithmetic)."""
    rng = random.Random(seed)
    lines = [f"x{j} = {rng.uniform(-1, 1):.6f}" for j in range(inputs)]
    pool = [f"x{j}" for j in range(inputs)]
    # Along the chain through the previous node (a) every form has slope about 1, and the
    # other terms are small: values stay O(1) and gradients neither vanish nor overflow, so
    # no node is skipped and no time goes into subnormal arithmetic.
    forms = [("{a} + {x}*{b}*0.01", 4), ("{a} + relu({b})*{x}*0.01", 5),
             ("{a} + {b}^2*{x}*0.01", 5), ("{a}*{x}*0.01 + {a}", 4)]
    made = inputs
    t = 0
    while made < nodes:
        form, size = rng.choice(forms)
        # a is the previous node, so every node is on the path to the output (a backward
        # pass that skipped nodes outside the output's cone would otherwise look faster).
        names = {"a": pool[-1], "b": rng.choice(pool[-reach:] if reach else pool),
                 "x": rng.choice(pool[:inputs])}
        lines.append(f"t{t} = " + form.format(**names))
        pool.append(f"t{t}")
        t += 1
        made += size
    lines.append(f"t{t - 1}")
    return "\n".join(lines)


def chain_program(depth: int) -> str:
    """((x+1)+1)… `depth` deep: the graph micrograd's recursion cannot walk by default."""
    return "x = 0.5\n" + "(" * depth + "x" + "+1)" * depth


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def micrograd_run(g, output: int) -> tuple[Callable[[], object], Callable[[], object], dict]:
    """Build (forward) and backward closures for micrograd on our graph's function, and the
    dict where forward leaves its Values."""
    from micrograd.engine import Value

    op, a, b, k, value = g.op, g.a, g.b, g.k, g.value
    ADD, MUL, POWK, RELU = (OP_INDEX[n] for n in ("add", "mul", "powk", "relu"))
    LEAF = {OP_INDEX["input"], OP_INDEX["const"], OP_INDEX["literal"]}
    state: dict[str, object] = {}

    def forward() -> None:
        vals: list = []
        push = vals.append
        for i in range(len(op)):
            o = op[i]
            if o in LEAF:
                push(Value(value[i]))
            elif o == ADD:
                push(vals[a[i]] + vals[b[i]])
            elif o == MUL:
                push(vals[a[i]] * vals[b[i]])
            elif o == POWK:
                push(vals[a[i]] ** k[i])
            elif o == RELU:
                push(vals[a[i]].relu())
            else:
                raise ValueError(f"micrograd has no op {o}")
        state["vals"] = vals

    def backward() -> None:
        state["vals"][output].backward()

    return forward, backward, state


def measure(name: str, text: str, repeat: int, with_micrograd: bool) -> None:
    t0 = clock()
    prog = parse(text)
    parse_ns = (clock() - t0) / len(prog.graph) * 1e9
    g, out = prog.graph, prog.output
    n = len(g)
    fwd = best(g.forward, repeat)
    bwd = best(lambda: g.backward(out), repeat)
    ours_f, ours_b = fwd / n * 1e9, bwd / n * 1e9
    print(f"{name}: {n} nodes (parsing built them once: {parse_ns:,.0f} ns/node, not counted "
          f"below; the passes then run on the flat arrays as often as needed)")
    print(f"  ours       forward {ours_f:7.1f} ns/node   backward {ours_b:7.1f} ns/node   "
          f"backward/forward {ours_b / ours_f:4.2f} (target <= {TARGET_RATIO})")
    if not with_micrograd:
        return
    try:
        import micrograd.engine  # noqa: F401
    except ImportError:
        print("  micrograd  not installed (pip install '.[bench]')")
        return
    old = sys.getrecursionlimit()
    limit = 4 * n + 1000  # micrograd's topological sort recurses once per level of depth
    sys.setrecursionlimit(max(old, limit))
    m_fwd, m_bwd, state = micrograd_run(g, out)
    figures = {}
    try:
        # micrograd's closures make reference cycles, so the collector runs during its build:
        # part of its real cost (gc on, the default), but also shown with gc off.
        for gc_on in (True, False):
            mf = mb = float("inf")
            for _ in range(repeat):
                state.clear()
                gc.collect()  # the previous build's cycles, outside the timed region
                if not gc_on:
                    gc.disable()
                t0 = clock()
                m_fwd()
                t1 = clock()
                m_bwd()  # micrograd accumulates: one backward per fresh build
                t2 = clock()
                gc.enable()
                mf, mb = min(mf, t1 - t0), min(mb, t2 - t1)
            figures[gc_on] = (mf / n * 1e9, mb / n * 1e9)
    finally:
        gc.enable()
        sys.setrecursionlimit(old)
    # Same function, same graph: micrograd's input gradients must match ours.
    g.forward()
    g.backward(out)
    worst = max(abs(state["vals"][i].grad - g.grad[i]) / max(1.0, abs(g.grad[i]))
                for _, i in prog.inputs())
    if worst > 1e-9:
        print(f"  WARNING: micrograd's gradients differ from ours by up to {worst:.3g}")
    for gc_on, (mg_f, mg_b) in figures.items():
        speedup = (mg_f + mg_b) / (ours_f + ours_b)
        print(f"  micrograd  forward {mg_f:7.1f} ns/node   backward {mg_b:7.1f} ns/node   "
              f"gc {'on ' if gc_on else 'off'}  ours {speedup:4.1f}x faster "
              f"(target >= {TARGET_SPEEDUP}x)")
    print(f"  (micrograd's forward is building its Values; its recursion limit was raised to "
          f"{limit} for its topological sort)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}, default recursion limit {sys.getrecursionlimit()}; "
          f"CPU time, best of {args.repeat}")
    measure("mixed DAG (add/mul/powk/relu), operands among the last 64 statements",
            mixed_program(args.nodes, reach=64), args.repeat, True)
    measure("mixed DAG (add/mul/powk/relu), operands anywhere", mixed_program(args.nodes),
            args.repeat, True)
    measure("deep chain ((x+1)+1)…", chain_program(args.nodes // 2), args.repeat, True)


if __name__ == "__main__":
    main()
