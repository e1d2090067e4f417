"""The tools that find the wrong gradient, on a big graph: how long each command takes at
10k and 100k nodes (medians of repeats), and what a conditional breakpoint and a watch add
to a :continue. Each tool is one pass over the graph (a sort: n log n), so the 100k figures
should be ~10× the 10k ones, and a condition a constant per step.

Run: python tests/benchmarks/bench_search.py [NODES...]
"""

from __future__ import annotations

import statistics
import sys
import time

from backprop_tui import commands  # noqa: F401  registers the :commands
from backprop_tui.language import parse
from backprop_tui.session import Session

REPEATS = 5


def program(n_terms: int) -> str:
    """A sum of tanh(w_i * x) terms and an exp: about 4 nodes per term."""
    lines = ["x = 0.5", "b = 0.1"]
    lines += [f"w{i} = {((i * 37) % 101) / 101 - 0.5:.4f}" for i in range(n_terms)]
    lines.append(" + ".join(f"tanh(w{i}*x)" for i in range(n_terms)) + " + exp(b*8)")
    return "\n".join(lines)


def median_ms(s: Session, line: str, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        s.run_line(line)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def run(n_nodes: int) -> None:
    s = Session(parse(program(n_nodes // 4)))
    n = len(s.prog.graph)
    print(f"\n{n:,} nodes")
    for line in ("/tanh(w7", ":find w1", ":top 10 grad", ":sort grad", ":filter nan",
                 ":filter op:tanh", ":filter in:w3", ":path x"):
        print(f"  {line:<20} {median_ms(s, line):>9.1f} ms")
    plain = continue_ns(s)
    s.run_line(":break when nan or |grad| > 1e300")  # never true: every push is tested
    cond = continue_ns(s)
    s.run_line(":watch x b")
    watched = continue_ns(s)
    print(f"  :continue over {len(s.bwd):,} backward steps: {plain:.0f} ns/step plain, "
          f"{cond:.0f} with a condition on any node ({cond / plain:.2f}×), {watched:.0f} with "
          "it and 2 watches")


def continue_ns(s: Session) -> float:
    """Median ns per backward step of :continue through the whole backward pass."""
    times = []
    for _ in range(3):
        s.run_line(":reset")
        s.run_line(":forward")
        t = time.perf_counter()
        events = s.run_line(":continue")
        times.append(time.perf_counter() - t)
        assert s.pos == s.steps_total, events[:3]
    return statistics.median(times) * 1e9 / len(s.bwd)


def main() -> None:
    for n in [int(a) for a in sys.argv[1:]] or [10_000, 100_000]:
        run(n)


if __name__ == "__main__":
    main()
