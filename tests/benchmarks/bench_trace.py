"""Tracing benchmark: the Python API builds a 1e5-node graph without parsing anything.

Run: python tests/benchmarks/bench_trace.py [--nodes N] [--repeat R]
(named bench_*.py so that pytest does not collect it: a measurement, not a test).

The same function three ways, median CPU time of R runs in one process: traced with
backprop_tui.Var (nodes appended and evaluated as Python runs), parsed from the equivalent
program text (the language), and built by micrograd 0.1.0 (its forward is building its
Values; the `bench`/`test` extras install it). The function is a random-ish chain mixing
add, mul, powk and tanh over 100 inputs, each node evaluated once.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import backprop_tui as bt  # noqa: E402
from backprop_tui.language import parse  # noqa: E402

clock = time.process_time


def trace(nodes: int, inputs: int = 100, seed: int = 1) -> bt.Var:
    rng = random.Random(seed)
    xs = [bt.Var(rng.uniform(-1, 1), f"x{j}") for j in range(inputs)]
    acc = xs[0]
    made = inputs
    while made < nodes:  # each step: literal, two products, a sum (or a tanh): ~4 nodes
        x = xs[rng.randrange(inputs)]
        if rng.random() < 0.25:
            acc = bt.tanh(acc) + x * 0.01
            made += 4
        else:
            acc = acc + x * acc * 0.01
            made += 4
    return acc


def program(nodes: int, inputs: int = 100, seed: int = 1) -> str:
    """The same function as text (the same random choices, so the same graph)."""
    rng = random.Random(seed)
    lines = [f"x{j} = {rng.uniform(-1, 1)!r}" for j in range(inputs)]
    acc = "x0"
    made = inputs
    t = 0
    while made < nodes:
        x = f"x{rng.randrange(inputs)}"
        if rng.random() < 0.25:
            lines.append(f"t{t} = tanh({acc}) + {x}*0.01")
        else:
            lines.append(f"t{t} = {acc} + {x}*{acc}*0.01")
        acc = f"t{t}"
        t += 1
        made += 4
    lines.append(acc)
    return "\n".join(lines)


def micrograd(nodes: int, inputs: int = 100, seed: int = 1) -> object:
    from micrograd.engine import Value

    rng = random.Random(seed)
    xs = [Value(rng.uniform(-1, 1)) for _ in range(inputs)]
    acc = xs[0]
    made = inputs
    while made < nodes:
        x = xs[rng.randrange(inputs)]
        if rng.random() < 0.25:
            acc = acc.relu() + x * 0.01  # micrograd 0.1.0 has no tanh: relu stands in
        else:
            acc = acc + x * acc * 0.01
        made += 4
    return acc


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        out = None
        gc.collect()
        t0 = clock()
        out = fn()
        times.append(clock() - t0)
    return statistics.median(times), out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    n, r = args.nodes, args.repeat
    t_trace, f = timed(lambda: trace(n), r)
    size = len(bt.session(f).bwd)
    t_back, _ = timed(lambda: f.backward(), r)
    print(f"trace     {size:>8,} nodes  {t_trace * 1e3:8.1f} ms  ({t_trace / size * 1e9:5.0f} ns/node)"
          f"   backward {t_back * 1e3:6.1f} ms")
    text = program(n)
    t_parse, prog = timed(lambda: parse(text), max(1, r // 2))
    print(f"parse     {len(prog.graph):>8,} nodes  {t_parse * 1e3:8.1f} ms  "
          f"({t_parse / len(prog.graph) * 1e9:5.0f} ns/node)   parse/trace = {t_parse / t_trace:.1f}x")
    try:
        t_mg, _ = timed(lambda: micrograd(n), r)
        print(f"micrograd {'':>8}        {t_mg * 1e3:8.1f} ms  (its build; relu for tanh)  "
              f"micrograd/trace = {t_mg / t_trace:.2f}x")
    except ImportError:
        print("micrograd not installed (pip install micrograd==0.1.0): skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
