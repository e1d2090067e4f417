"""The headless entry point as a user runs it: `python -m backprop_tui --headless FILE`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SEED = "x = 2; y = 3; x^2 + 3x*y + 1\n"
SEED_LABELS = ["x", "3", "y", "1", "3x", "3xy", "x²", "x²+3xy", "x²+3xy+1"]


def cli(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "backprop_tui", *args], input=stdin,
                          capture_output=True, timeout=60, cwd=cwd)
    # The promise of the headless mode: whatever the input, never a traceback.
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    return proc


def strict_json(line: str):
    """json.loads that rejects NaN and Infinity, which are not JSON."""
    def bad(token: str):
        raise ValueError(f"not JSON: {token}")
    return json.loads(line, parse_constant=bad)


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "seed.bp"
    path.write_text(SEED, encoding="utf-8")
    return path


def test_headless_prints_the_output_and_the_input_table(seed_file):
    proc = cli("--headless", str(seed_file))
    assert proc.returncode == 0
    out = proc.stdout.decode()
    assert re.search(r"x²\+3xy\+1 = 23\b", out)
    assert re.search(r"^\W*x\W+2\W+13\W*$", out, re.M), out
    assert re.search(r"^\W*y\W+3\W+6\W*$", out, re.M), out


def test_dash_reads_stdin():
    proc = cli("--headless", "-", stdin=SEED.encode())
    assert proc.returncode == 0
    assert re.search(r"^\W*x\W+2\W+13\W*$", proc.stdout.decode(), re.M)


def test_json_ends_with_the_summary_object(seed_file):
    proc = cli("--headless", "--json", str(seed_file))
    assert proc.returncode == 0
    lines = proc.stdout.decode().splitlines()
    events = [strict_json(line) for line in lines]  # every line is one JSON value
    summary = events[-1]
    assert list(summary) == ["event", "output", "inputs", "nodes", "outside"]
    assert summary["outside"] == 0
    assert summary["event"] == "summary"
    assert summary["output"] == {"label": "x²+3xy+1", "value": 23.0}
    assert summary["inputs"] == [{"name": "x", "value": 2.0, "grad": 13.0},
                                 {"name": "y", "value": 3.0, "grad": 6.0}]
    nodes = summary["nodes"]
    assert all(list(n) == ["id", "label", "op", "value", "grad", "operands"] for n in nodes)
    assert [n["id"] for n in nodes] == list(range(9))
    assert sorted(n["label"] for n in nodes) == sorted(SEED_LABELS)
    by_label = {n["label"]: n for n in nodes}
    assert by_label["x"] == {"id": by_label["x"]["id"], "label": "x", "op": "input",
                             "value": 2.0, "grad": 13.0, "operands": []}
    assert by_label["3"]["op"] == "literal" and by_label["3"]["grad"] is None
    three_x = by_label["3x"]
    assert three_x["op"] == "mul" and three_x["value"] == 6.0 and three_x["grad"] == 3.0
    assert [nodes[i]["label"] for i in three_x["operands"]] == ["3", "x"]
    assert by_label["x²"]["op"] == "powk" and by_label["x²"]["grad"] == 1.0
    # Operands come first: ids are a topological order.
    assert all(j < n["id"] for n in nodes for j in n["operands"])


def test_json_stays_json_when_values_overflow(tmp_path):
    path = tmp_path / "inf.bp"
    path.write_text("x = 1000\nexp(x) - exp(x)\n", encoding="utf-8")
    proc = cli("--headless", "--json", str(path))
    for line in proc.stdout.decode().splitlines():
        strict_json(line)
    assert strict_json(proc.stdout.decode().splitlines()[-1])["event"] == "summary"


def test_parse_error_exits_2_with_file_line_column(tmp_path):
    path = tmp_path / "bad.bp"
    path.write_text("x = 2\ny = x +* 3\n", encoding="utf-8")
    proc = cli("--headless", str(path))
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert f"{path}:2:8: error: unexpected '*'" in err


def test_evaluation_error_exits_2_with_file_line_column(tmp_path):
    path = tmp_path / "div.bp"
    path.write_text("x = 0\ny = 1/x\n", encoding="utf-8")
    proc = cli("--headless", str(path))
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert f"{path}:2:5: error:" in err and "division by zero" in err


def test_invalid_utf8_is_an_error_not_a_traceback():
    proc = cli("--headless", "-", stdin=b"x = 2\n\xff\xfe y\n")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "<stdin>:" in err and "UTF-8" in err


@pytest.mark.parametrize("stdin", [
    b"x = 1 +\x00 2\n",  # NUL byte
    b"(" * 5000 + b"1",  # unfinished, deeply nested
    b"x = 1e999\n",
    b"sin(1, 2)\n",
    b"q\n",
])
def test_bad_input_is_reported_on_stderr_with_exit_2(stdin):
    proc = cli("--headless", "-", stdin=stdin)
    assert proc.returncode == 2
    assert re.search(r"<stdin>:\d+:\d+: error: ", proc.stderr.decode())


def test_missing_file_is_an_error_not_a_traceback(tmp_path):
    proc = cli("--headless", str(tmp_path / "nope.bp"))
    assert proc.returncode == 2
    assert "nope.bp" in proc.stderr.decode()
