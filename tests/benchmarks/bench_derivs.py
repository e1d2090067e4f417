"""Forward mode and second order against the engine's passes, on ~100k-node graphs.

Run: python tests/benchmarks/bench_derivs.py [--nodes N] [--repeat R]
(named bench_*.py so that pytest does not collect it; it is a measurement, not a test).

Figures are medians over R rounds, in one process; each round runs every pass once, one
after the other, and a ratio is the median of the per-round ratios, so a drift in the
machine's load (it is shared) hits both sides of a ratio alike. Targets (issue 13): one
forward-mode pass (values and tangents, dual.dual_pass) ≤ 2× Graph.forward; one
Hessian-vector product (hessian.hvp: a dual pass and a backward pass carrying tangents) a
small constant times Graph.backward.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import mixed_program  # noqa: E402

from backprop_tui.bench import generated_function  # noqa: E402
from backprop_tui.dual import dual_pass, tangent_sweep  # noqa: E402
from backprop_tui.graph import Graph  # noqa: E402
from backprop_tui.hessian import hvp  # noqa: E402
from backprop_tui.language import parse  # noqa: E402

clock = time.process_time
TARGET_DUAL = 2.0  # dual pass / forward
TARGET_HVP = 6.0  # HVP / backward


def timed(fn: Callable[[], object]) -> float:
    t0 = clock()
    fn()
    return clock() - t0


def measure(name: str, g: Graph, out: int, seed: int, repeat: int) -> None:
    n = len(g)
    gc.collect()
    gc.freeze()  # keep the cyclic GC from walking the big lists mid-measurement
    g.forward()
    passes: dict[str, Callable[[], object]] = {
        "Graph.forward": g.forward,
        "dual pass (values + tangents)": lambda: dual_pass(g, out, seed),
        "tangent sweep (values known)": lambda: tangent_sweep(g, out, seed),
        "Graph.backward": lambda: g.backward(out),
        "Hessian-vector product": lambda: hvp(g, out, {seed: 1.0}),
    }
    rounds = [{label: timed(fn) for label, fn in passes.items()} for _ in range(repeat)]
    gc.unfreeze()

    def ratio(a: str, b: str) -> float:
        return statistics.median(r[a] / r[b] for r in rounds)

    print(f"{name}: {n:,} nodes, median of {repeat} rounds")
    for label in passes:
        t = statistics.median(r[label] for r in rounds)
        print(f"  {label:<32} {t * 1e3:9.2f} ms  {t / n * 1e9:7.1f} ns/node")
    dual, hv = ratio("dual pass (values + tangents)", "Graph.forward"), ratio(
        "Hessian-vector product", "Graph.backward")
    ok_dual = "ok" if dual <= TARGET_DUAL else "ABOVE TARGET"
    ok_hvp = "ok" if hv <= TARGET_HVP else "ABOVE TARGET"
    print(f"  dual pass / forward   {dual:5.2f}  (target ≤ {TARGET_DUAL}: {ok_dual})")
    print(f"  tangent sweep / fwd   {ratio('tangent sweep (values known)', 'Graph.forward'):5.2f}")
    print(f"  HVP / backward        {hv:5.2f}  (target ≤ {TARGET_HVP}: {ok_hvp})")
    print(f"  HVP / forward         {ratio('Hessian-vector product', 'Graph.forward'):5.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    g, out, xs = generated_function(max(1, args.nodes // 7))  # 7 nodes per input
    measure("f = Σ tanh(wᵢxᵢ) + Σ xᵢxᵢ₊₁ (add, mul, tanh)", g, out, xs[0], args.repeat)
    prog = parse(mixed_program(args.nodes))
    assert prog.output is not None
    seed = prog.inputs()[0][1]
    measure("mixed DAG (add, mul, powk, relu; fan-out)", prog.graph, prog.output, seed, args.repeat)


if __name__ == "__main__":
    main()
