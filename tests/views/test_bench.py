"""`backprop-tui bench --quick`: structure, trends, printing and the CLI dispatch."""

from __future__ import annotations

import io
import json
import time

import pytest
from rich.console import Console

from backprop_tui import bench
from backprop_tui.cli import main


@pytest.fixture(scope="module")
def quick():
    t0 = time.perf_counter()
    data = bench.run_bench(quick=True)
    data["_wall"] = time.perf_counter() - t0
    return data


def test_quick_bench_is_quick(quick):
    assert quick["_wall"] < 10.0


def test_structure(quick):
    assert quick["quick"] is True
    assert [r["n"] for r in quick["scaling"]] == list(bench.QUICK_SIZES)
    for r in quick["scaling"]:
        for key in ("forward_s", "backward_s", "backprop_s", "fd_s", "fd_over_backprop",
                    "backward_over_forward", "op_nodes", "fd_evals", "fd_estimated"):
            assert key in r
        assert r["fd_evals"] == r["n"] + 1
        assert r["op_nodes"] == 5 * r["n"] - 3  # 5 per input; the last has no cross term
        assert r["fd_max_rel_error"] < 1e-4  # the FD it ran agrees with backprop
        assert r["fm_passes"] == r["n"] and 1 <= r["fm_passes_timed"] <= r["n"]
        assert r["fm_estimated"] == (r["fm_passes_timed"] < r["n"])
        assert r["fm_max_rel_error"] < 1e-12  # forward mode is exact: backprop's gradient
    assert [r["n"] for r in quick["logistic"]] == list(bench.QUICK_LOGISTIC)
    json.dumps({k: v for k, v in quick.items() if k != "_wall"}, allow_nan=False)


def test_fd_cost_grows_faster_than_backprop(quick):
    rows = quick["scaling"]
    fd = [r["fd_s"] for r in rows]
    bp = [r["backprop_s"] for r in rows]
    ratio = [r["fd_over_backprop"] for r in rows]
    assert fd == sorted(fd) and bp == sorted(bp)
    assert ratio == sorted(ratio)
    # n grows ×10 per row: FD (n+1 passes of an O(n) function) far more than backprop.
    assert fd[-1] / fd[0] > 10 * (bp[-1] / bp[0])


def test_forward_mode_grows_with_n_where_reverse_mode_does_not(quick):
    rows = quick["scaling"]
    fm = [r["fm_s"] for r in rows]
    bp = [r["backprop_s"] for r in rows]
    assert fm == sorted(fm)
    # n ×10 per row: n tangent passes of an O(n) function against one forward + one backward.
    assert fm[-1] / fm[0] > 10 * (bp[-1] / bp[0])
    assert [r["fm_over_backprop"] for r in rows][-1] > 10
    # One tangent pass is about one forward evaluation (loose here: the 2× figure on 1e5
    # nodes is measured in tests/benchmarks/bench_derivs.py, not asserted on a busy machine).
    assert all(r["fm_pass_over_forward"] < 5 for r in rows)


def test_logistic_sizes(quick):
    rows = quick["logistic"]
    tree = [r["tree_size"] for r in rows]
    dag = [r["dag_size"] for r in rows]
    assert all(b > 2 * a for a, b in zip(tree[1:], tree[2:], strict=False))
    steps = {b - a for a, b in zip(dag[1:], dag[2:], strict=False)}
    assert len(steps) == 1  # linear: the same number of new nodes every iteration
    for r in rows:
        assert abs(r["symbolic_value"] - r["backprop_value"]) <= 1e-9 * max(1, abs(r["backprop_value"]))


def test_print_and_cli_dispatch(quick, monkeypatch, capsys):
    data = {k: v for k, v in quick.items() if k != "_wall"}
    console = Console(record=True, width=130, file=io.StringIO())
    bench.print_bench(data, console)
    text = console.export_text()
    assert "finite differences" in text and "logistic" in text and "tree nodes" in text
    assert "forward mode vs reverse mode" in text and "tangent pass" in text

    monkeypatch.setattr(bench, "run_bench", lambda quick=False: data)
    assert main(["bench", "--json", "--quick"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(data))
    assert main(["bench"]) == 0
    assert "FD / backprop" in capsys.readouterr().out
