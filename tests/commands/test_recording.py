"""Recording: :record / --record append every line, flushed; the file replays to the same state."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from replay_helpers import run_script

from backprop_tui import cli
from backprop_tui.commands.record import recorder_of, start_recording, stop_recording
from backprop_tui.replay import iter_lines
from backprop_tui.session import Session

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = [
    "x = 2", "y = 3", "x^2 + 3x*y + 1",
    ":step 3", ":back", "xy + 1",  # a typo: it fails and leaves the program as it was
    ":break 3xy", ":break op:add", ":set y = 4", ":continue", ":step 2",
    ":say narration is recorded too", ":check", ":expect check pass",
    ":show x", ":goto 3x",
]


def state(s: Session) -> dict:
    return {"summary": s.summary(nodes=True).to_dict(), "pos": s.pos, "progress": s.progress_text(),
            "current": s.current(), "output": s.output, "breaks": sorted(s.breaks),
            "break_ops": sorted(s.break_ops),
            "grads": list(s.prog.graph.grad), "values": [repr(v) for v in s.prog.graph.value]}


def replay(path: Path) -> tuple[Session, object]:
    s = Session()
    tally = run_script(s, iter_lines(str(path)))
    return s, tally


def test_round_trip_reaches_the_same_state(tmp_path):
    rec = tmp_path / "session.bp"
    s = Session()
    start_recording(s, rec)
    for line in SCRIPT:
        s.run_line(line)
    s.run_line(":record stop")
    s.run_line(":step")  # after stop: not recorded
    s.back(1)
    want = state(s)
    text = rec.read_text(encoding="utf-8")
    assert ":record" not in text
    assert "xy + 1\n:expect error unknown name 'xy'; did you mean x*y?\n" in text
    r, tally = replay(rec)
    assert state(r) == want
    assert tally.failed == 0 and tally.unexpected == []  # replays headless with exit 0


def test_recording_started_mid_session_begins_with_the_state(tmp_path):
    rec = tmp_path / "late.bp"
    s = Session()
    for line in ["a = 1", "b = 2", "c = a*b + sin(a)", "d = c^2", ":set a = 0.5",
                 ":output c", ":break op:sin", ":step 2"]:
        s.run_line(line)
    s.run_line(f":record {rec}")
    for line in [":step", ":expect value c = 1.479425538604203"]:
        s.run_line(line)
    want = state(s)
    s.run_line(":record stop")
    r, tally = replay(rec)
    assert state(r) == want
    assert tally.passed == 1 and tally.failed == 0 and tally.unexpected == []


def test_record_cli_flag_headless(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    rec = tmp_path / "r.bp"
    assert cli.main(["--headless", "-q", "--record", str(rec), "demos/neuron.bp"]) == 0
    original, _ = capsys.readouterr()
    assert cli.main(["--headless", "-q", str(rec)]) == 0
    again, _ = capsys.readouterr()
    assert again == original == "14 passed, 0 failed\n"  # the same expectations, replayed


def test_record_to_an_unwritable_place_is_a_clear_error(tmp_path):
    s = Session()
    (ev,) = s.run_line(f":record {tmp_path}/no/such/dir/r.bp")
    assert ev.kind == "error" and "cannot record to" in ev.message
    assert recorder_of(s) is None


def test_a_new_recording_closes_the_old_one(tmp_path):
    s = Session()
    start_recording(s, tmp_path / "a.bp")
    first = recorder_of(s)
    s.run_line("x = 1")
    s.run_line(f":record {tmp_path / 'b.bp'}")
    assert not first.recording and recorder_of(s) is not first
    s.run_line("x^2")
    assert stop_recording(s) == str(tmp_path / "b.bp")
    assert "x^2" not in (tmp_path / "a.bp").read_text(encoding="utf-8")
    assert (tmp_path / "b.bp").read_text(encoding="utf-8").splitlines()[-1] == "x^2"


def test_interactive_load_is_recorded_as_the_lines_it_ran(tmp_path, monkeypatch):
    """A :load is inlined (issue 16, item 17): the recording replays to the same state even
    when the loaded file has changed or gone since, and never refers to a file that may be
    the recording itself."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lib.bp").write_text("x = 2\nx^2\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    s = Session()
    start_recording(s, tmp_path / "out" / "rec.bp")
    s.run_line(":load lib.bp")
    s.run_line(":backward")
    stop_recording(s)
    lines = (tmp_path / "out" / "rec.bp").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == ["# :load lib.bp (its lines, inlined)", "x = 2", "x^2", ":backward"]
    (tmp_path / "lib.bp").unlink()
    monkeypatch.chdir(ROOT)
    r, tally = replay(tmp_path / "out" / "rec.bp")
    assert tally.unexpected == [] and r.summary().inputs[0]["grad"] == 4.0


class _Lines:
    """Reads a pipe on a thread so the test can wait with a timeout."""

    def __init__(self, stream) -> None:
        self.q: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in iter(stream.readline, b""):
            self.q.put(line)

    def wait_for_line_event(self, n: int, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                rec = json.loads(self.q.get(timeout=max(0.01, end - time.monotonic())))
            except queue.Empty:
                break
            if rec.get("line") == n:
                return
        raise AssertionError(f"no event for line {n} within {timeout} s")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_loses_no_line_entered(tmp_path):
    rec = tmp_path / "killed.bp"
    entered = ["x = 2", "y = 3", "x^2 + 3x*y + 1", ":step 3", "oops +", ":say still here",
               ":back", ":show x"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop_tui", "--headless", "--json", "--record", str(rec), "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        reader = _Lines(proc.stdout)
        for n, line in enumerate(entered, 1):
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
            reader.wait_for_line_event(n)  # the session has run it
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    recorded = [t for t in rec.read_text(encoding="utf-8").splitlines() if not t.startswith("#")]
    assert [t for t in recorded if not t.startswith(":expect error")] == entered
    assert recorded[recorded.index("oops +") + 1].startswith(":expect error unknown name 'oops'")
