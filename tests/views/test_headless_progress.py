"""Headless mode (issue 16, the closing items): --json reports a non-finite output as a JSON
error event; a long :check shows progress on a terminal's stderr, and Ctrl+C cancels it
cleanly (exit 130, what ran so far printed, no traceback)."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backprop_tui import headless

ROOT = Path(__file__).resolve().parents[2]
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="ptys and signals are POSIX")


def test_json_reports_a_non_finite_output_as_an_error_event():
    """Regression: with --json a non-finite output was said on stderr only."""
    out, err = io.StringIO(), io.StringIO()
    code = headless.run([("text", "x = 1e308\nx*10")], headless.Options(json=True), out, err)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert code == 2
    errors = [r for r in records if r["event"] == "error"]
    assert len(errors) == 1 and "not a finite number" in errors[0]["message"]
    assert errors[0]["at_line"] == errors[0]["line"] == 2 and records[-1]["event"] == "summary"
    assert "not a finite number" in err.getvalue()


def _slow_check_file(tmp_path: Path, n: int = 2500) -> Path:
    """A sum of n inputs: checking each re-evaluates what follows it, O(n²) in all."""
    names = [f"x{k}" for k in range(n)]
    body = "; ".join(f"{v} = 1" for v in names) + "\n" + "+".join(names) + "\n:check\n"
    path = tmp_path / "slow.bp"
    path.write_text(body + ":say after the check\n", encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT), "TERM": "xterm",
            "COLUMNS": "100"}


@POSIX
def test_check_progress_on_a_terminal_and_ctrl_c_cancels_it(tmp_path):
    path = _slow_check_file(tmp_path)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "backprop_tui", "--headless", str(path)],
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
                            env=_env(), cwd=tmp_path)
    os.close(slave)
    seen = b""
    try:
        end = time.monotonic() + 60
        while b"Ctrl+C cancels" not in seen and time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                seen += os.read(master, 4096)
        assert b":check" in seen and b"Ctrl+C cancels" in seen, seen[-500:]
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=60)
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 130
    text = stdout.decode()
    assert "— cancelled" in text and "f = " in text  # the rows so far, then the summary
    assert "after the check" not in text  # the run stopped there
    assert b"interrupted at" in seen and b"Traceback" not in seen


@POSIX
def test_no_progress_when_stderr_is_not_a_terminal_and_ctrl_c_still_exits_130(tmp_path):
    path = _slow_check_file(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "backprop_tui", "--headless", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=_env(), cwd=tmp_path)
    try:
        statements = 0
        while statements < 1:  # the sum's line (f = the sum of 2,500 inputs): the check is next
            line = proc.stdout.readline()
            assert line, "the run ended early"
            statements += b"2,500 inputs" in line
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert b"interrupted" in stderr and b"Traceback" not in stderr
    assert b"Ctrl+C cancels" not in stderr  # no progress bar on a pipe
