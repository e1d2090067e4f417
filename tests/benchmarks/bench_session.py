"""Per-step cost of the session on a 100k-node graph: forward one step at a time, backward
one step at a time, then back again. Prints ns/step by position bucket: flat means O(1)
per step whatever the position (time travel never replays from the start).

Run: python tests/benchmarks/bench_session.py [NODES]
"""

from __future__ import annotations

import sys
import time

from backprop_tui.language import parse
from backprop_tui.session import Session

BUCKETS = 5


def program(n_terms: int) -> str:
    """A sum of n_terms products tanh(w_i * x) plus a bias: about 4 nodes per term."""
    lines = ["x = 0.5", "b = 0.1"]
    lines += [f"w{i} = {((i * 37) % 101) / 101 - 0.5:.4f}" for i in range(n_terms)]
    lines.append(" + ".join(f"tanh(w{i}*x)" for i in range(n_terms)) + " + b")
    return "\n".join(lines)


def timed(label: str, fn, total: int) -> None:
    """Run fn() total times; print ns per call for each fifth of the run."""
    size = max(1, -(-total // BUCKETS))  # ceil: exactly BUCKETS buckets
    out = []
    done = 0
    while done < total:
        k = min(size, total - done)
        t = time.perf_counter_ns()
        for _ in range(k):
            fn()
        out.append((time.perf_counter_ns() - t) / k)
        done += k
    print(f"{label:<34}" + "".join(f"{x:>9.0f}" for x in out) + f"   (ns/step, {total} steps)")


def main() -> None:
    n_nodes = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t = time.perf_counter()
    prog = parse(program(n_nodes // 3))
    s = Session(prog)
    print(f"graph: {len(prog.graph)} nodes, {len(s.fwd)} forward and {len(s.bwd)} backward steps "
          f"(built in {time.perf_counter() - t:.2f} s)")
    print(f"{'':<34}" + "".join(f"{'fifth ' + str(i + 1):>9}" for i in range(BUCKETS)))
    timed("engine step forward (_advance)", s._advance, len(s.fwd))
    timed("engine step backward (_advance)", s._advance, len(s.bwd))
    timed("step back through both (_undo)", s._undo, s.steps_total)
    # The same through the command line, building each step's event (labels, formula).
    timed(":step forward with its event", lambda: s.run_line(":step"), len(s.fwd))
    timed(":step backward with its event", lambda: s.run_line(":step"), len(s.bwd))
    timed(":back with its event", lambda: s.run_line(":back"), s.steps_total)


if __name__ == "__main__":
    main()
