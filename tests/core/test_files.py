"""files.py: every file the tool opens goes through one function that refuses non-regular
files and bounds the read (issue 16, item 3 and its class); the :load budget (item 4); closed
stdin (item 7)."""

from __future__ import annotations

import ast
import io
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from backprop_tui import files, replay
from backprop_tui.language import MAX_SOURCE_CHARS
from backprop_tui.replay import ReplayError, iter_lines
from backprop_tui.session import Session

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "backprop_tui"
POSIX = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev are POSIX")


def test_the_byte_limits_follow_the_language_limit():
    """The longest line the language takes (MAX_SOURCE_CHARS characters) fits in any UTF-8."""
    assert files.MAX_FILE_BYTES == files.MAX_LINE_BYTES == 4 * MAX_SOURCE_CHARS


def test_reads_a_regular_file(tmp_path):
    f = tmp_path / "a.bp"
    f.write_bytes("\ufeffx = 2\n".encode())
    assert files.read_bytes(f) == "\ufeffx = 2\n".encode()
    assert files.read_text(f) == "x = 2\n"


@POSIX
@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "directory", "socket"])
def test_refuses_what_is_not_a_regular_file_at_once(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
        want = "named pipe"
    elif kind == "dev_zero":
        path, want = Path("/dev/zero"), "character device"
    elif kind == "directory":
        path, want = tmp_path, "directory"
    else:
        import socket

        path = tmp_path / "sock"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        want = "socket"
    t0 = time.perf_counter()
    with pytest.raises(files.FileError) as info:
        files.read_bytes(path)  # a FIFO with no writer would block a plain open() forever
    assert want in info.value.reason and "not a regular file" in info.value.reason
    assert time.perf_counter() - t0 < 5.0  # refused at once, not after a blocking open()
    with pytest.raises(files.FileError):
        files.open_append(path)


def test_a_sparse_file_is_refused_by_its_size_without_reading_it(tmp_path, monkeypatch):
    big = tmp_path / "sparse.bp"
    with open(big, "wb") as fh:
        fh.truncate(1 << 30)  # 1 GB, no blocks on disk
    reads = []
    real_read = os.read
    monkeypatch.setattr(files.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(files.FileError) as info:
        files.read_bytes(big)
    assert "1,073,741,824 bytes; the limit is 16,000,000" in info.value.reason
    assert reads == []


def test_a_file_that_grows_past_the_limit_is_cut_off(tmp_path, monkeypatch):
    """st_size can be stale (a growing log, /proc files say 0): the read loop is bounded."""
    f = tmp_path / "grows.bp"
    f.write_bytes(b"x" * 5000)
    real_fstat = os.fstat

    def stale(fd):
        st = list(real_fstat(fd))
        st[6] = 0  # st_size, as /proc reports it
        return os.stat_result(st)

    monkeypatch.setattr(files.os, "fstat", stale)
    with pytest.raises(files.FileError) as info:
        files.read_bytes(f, limit=1000)
    assert "over the limit of 1,000 bytes" in info.value.reason
    assert files.read_bytes(f, limit=5000) == b"x" * 5000


def test_missing_and_unreadable(tmp_path):
    with pytest.raises(files.FileError) as info:
        files.read_bytes(tmp_path / "nope.bp")
    assert info.value.reason == "no such file"
    bad = tmp_path / "bad.bp"
    bad.write_bytes(b"x = \xff\n")
    with pytest.raises(files.FileError) as info:
        files.read_text(bad)
    assert "not valid UTF-8 (byte 0xff on line 1)" in info.value.reason


def test_stream_lines_bound_a_line_without_holding_it():
    """A line over the limit raises after reading at most limit + one chunk of it."""

    class Endless(io.RawIOBase):
        def __init__(self) -> None:
            self.served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:
            b[:] = b"\0" * len(b)
            self.served += len(b)
            return len(b)

    raw = Endless()
    stream = io.BufferedReader(raw)
    lines = files.stream_lines(stream, limit=1 << 20)
    with pytest.raises(files.LineTooLong):
        next(lines)
    assert raw.served < (1 << 20) + 4 * files.CHUNK + io.DEFAULT_BUFFER_SIZE


def test_stream_lines_keep_every_line_and_the_last_without_newline():
    data = b"a\n\nbb\r\nccc"
    assert list(files.stream_lines(io.BytesIO(data), limit=10)) == [b"a\n", b"\n", b"bb\r\n",
                                                                      b"ccc"]
    long = b"x" * 25 + b"\n"  # longer than a chunk, within the limit: one line
    assert list(files.stream_lines(io.BytesIO(long), limit=100)) == [long]


# ------------------------------------------------------------------ the one reader, everywhere


_OPENERS = {"open", "fdopen", "read_text", "read_bytes", "write_text", "write_bytes"}


def _calls(tree: ast.AST) -> list[tuple[str, int]]:
    """open(...), os.open/fdopen, Path.read_text/… — not files.X or replay.read_text, which
    are the one reader and its replay-file wrapper."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id == "open":
            found.append(("open", node.lineno))
        elif isinstance(f, ast.Attribute) and f.attr in _OPENERS and not (
                isinstance(f.value, ast.Name) and f.value.id in ("files", "replay")):
            found.append((f.attr, node.lineno))
    return found


def test_no_module_opens_a_file_but_files_py():
    """The class of bug: every read (and write) goes through backprop_tui/files.py."""
    known_tui: set[str] = set()
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "files.py" or rel in known_tui:
            continue
        source = path.read_text(encoding="utf-8")
        for _name, line in _calls(ast.parse(source)):
            text = source.splitlines()[line - 1]
            if rel == "cli.py" and "os.devnull" in text:
                continue  # silencing stdout after a broken pipe: no file is read or written
            offenders.append(f"{rel}:{line}: {text.strip()}")
    assert offenders == []


@POSIX
def test_load_of_a_fifo_does_not_block(tmp_path):
    """Regression: `:load FIFO` blocked forever in open()."""
    pipe = tmp_path / "pipe.bp"
    os.mkfifo(pipe)
    s = Session()
    done: list = []
    t = threading.Thread(target=lambda: done.append(s.run_line(f":load {pipe}")), daemon=True)
    t.start()
    t.join(5)
    assert done, ":load of a FIFO blocked"
    (ev,) = done[0]
    assert ev.kind == "error" and "named pipe (FIFO), not a regular file" in ev.message
    main = tmp_path / "main.bp"
    main.write_text(f":load {pipe}\n:expect error named pipe\n", encoding="utf-8")
    lines = list(iter_lines(str(main)))
    assert "named pipe" in (lines[0].error or "")


# ------------------------------------------------------------------ headless, as a user runs it


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def _headless(*args: str, stdin=None, cwd=ROOT) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "backprop_tui", "--headless", *args],
                          stdin=stdin, capture_output=True, timeout=60, env=env, cwd=cwd,
                          preexec_fn=_limits)


@POSIX
@pytest.mark.parametrize("target", ["/dev/zero", "stdin_dev_zero", "load_dev_zero", "sparse"])
def test_headless_reads_are_bounded(tmp_path, target):
    """Regression: `--headless /dev/zero` grew to 8 GB, `:load /dev/zero` to 7 GB, stdin from
    /dev/zero to 6 GB, a 1 GB sparse file was read whole. Now each is refused under a 1 GB
    address-space limit, at once, with exit 2 and a message."""
    stdin = None
    if target == "/dev/zero":
        args, want = ["/dev/zero"], b"/dev/zero: is a character device, not a regular file"
    elif target == "stdin_dev_zero":
        stdin = open("/dev/zero", "rb")  # noqa: SIM115
        args, want = ["-"], b"a line is longer than the limit of 16,000,000 bytes"
    elif target == "load_dev_zero":
        (tmp_path / "l.bp").write_text(":load /dev/zero\n", encoding="utf-8")
        args, want = [str(tmp_path / "l.bp")], b"cannot load /dev/zero: is a character device"
    else:
        with open(tmp_path / "sparse.bp", "wb") as fh:
            fh.truncate(1 << 30)
        args, want = [str(tmp_path / "sparse.bp")], b"the limit is 16,000,000 bytes"
    t0 = time.perf_counter()
    try:
        proc = _headless(*args, stdin=stdin)
    finally:
        if stdin is not None:
            stdin.close()
    assert time.perf_counter() - t0 < 30
    assert proc.returncode == 2 and want in proc.stderr, proc.stderr[-500:]
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr


@POSIX
def test_closed_stdin_is_a_clear_error():
    """Regression (item 7): `exec 0<&-; backprop-tui --headless -` was an internal error
    (AttributeError: 'NoneType' object has no attribute 'buffer')."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(["sh", "-c", f"exec 0<&-; exec {sys.executable} -m backprop_tui "
                                       "--headless -"],
                          capture_output=True, timeout=60, env=env, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr == b"backprop-tui: <stdin>: stdin is closed: nothing to read (give a " \
                          b"FILE, or -e PROGRAM)\n"


def test_stdin_over_long_line_stops_with_an_error_after_the_lines_before(monkeypatch):
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1000)
    stream = io.BytesIO(b"x = 2\n" + b"1" * 5000 + b"\nx^2\n")
    lines = list(iter_lines("-", stdin=stream))
    assert [sl.text for sl in lines[:1]] == ["x = 2"]
    assert "longer than the limit of 1,000 bytes; stopped reading stdin" in (lines[1].error or "")
    assert len(lines) == 2  # what follows cannot be told apart from the rest of that line


# ------------------------------------------------------------------ the :load budget (item 4)


def _fan_out(tmp_path: Path, levels: int, leaf: str) -> Path:
    for i in range(levels):
        (tmp_path / f"l{i}.bp").write_text(f":load l{i + 1}.bp\n:load l{i + 1}.bp\n",
                                           encoding="utf-8")
    (tmp_path / f"l{levels}.bp").write_text(leaf + "\n", encoding="utf-8")
    return tmp_path / "l0.bp"


def test_load_fan_out_is_bounded_by_a_total_budget(tmp_path):
    """Regression: files l0…l29 each loading the next twice (2^30 lines, ~9 h) were within
    the depth limit and had no cycle. Now the run stops loading after MAX_LOADS files."""
    top = _fan_out(tmp_path, 29, ":say leaf")
    t0 = time.perf_counter()
    lines = list(iter_lines(str(top)))
    assert time.perf_counter() - t0 < 30
    loads = [sl for sl in lines if sl.load is not None]
    errors = [sl.error for sl in lines if sl.error]
    assert len(loads) == replay.MAX_LOADS
    assert errors and all(f"already loaded {replay.MAX_LOADS:,} files" in e for e in errors)
    assert len(errors) <= 2 * 29  # the remaining :load lines of the open files, no more


def test_load_budget_counts_lines_too(tmp_path, monkeypatch):
    monkeypatch.setattr(replay, "MAX_LOAD_LINES", 250)
    (tmp_path / "lib.bp").write_text("# comment\n" * 99 + ":say lib\n", encoding="utf-8")
    (tmp_path / "main.bp").write_text(":load lib.bp\n" * 3, encoding="utf-8")
    lines = list(iter_lines(str(tmp_path / "main.bp")))
    assert [sl.load is not None for sl in lines if sl.text.startswith(":load")] == [True, True,
                                                                                     False]
    assert "bring the lines loaded in this run to 303; the limit is 250" in lines[-1].error


def test_interactive_load_has_the_same_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(replay, "MAX_LOADS", 50)
    top = _fan_out(tmp_path, 10, ":say leaf")
    s = Session()
    events = s.run_line(f":load {top}")
    assert sum(e.kind == "load" for e in events) == 49  # the top file is the 50th
    assert any(e.kind == "error" and "already loaded 50 files" in e.message for e in events)
    with pytest.raises(ReplayError):  # the top file itself is still checked first
        iter_lines(str(tmp_path / "nope.bp"), loaded=True)
