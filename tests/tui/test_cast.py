"""backprop-tui cast: an asciinema v2 file rendered from a replay, frame per line, timed by
the narration and :pause, identical run to run; `asciinema cat` parses it, and its last
frame, replayed into a screen, shows the seed's final state."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_tui.replay import reading_time
from backprop_tui.tui import cast as cast_mod
from backprop_tui.tui.player import SHORT_RUN, STEP

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "demos" / "seed.bp"
_SEQ = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def screen(data: str, width: int, height: int) -> list[str]:
    """Play ANSI output into a width × height grid: the sequences the app writes (cursor
    position, erase, colours, cursor visibility); anything else fails the test."""
    grid = [[" "] * width for _ in range(height)]
    row = col = 0
    pos = 0
    while pos < len(data):
        if data[pos] == "\x1b":
            m = _SEQ.match(data, pos)
            assert m, f"unexpected escape {data[pos:pos + 10]!r}"
            params, cmd = m.groups()
            if cmd == "H":
                r, _, c = params.partition(";")
                row, col = (int(r) - 1 if r else 0), (int(c) - 1 if c else 0)
            elif cmd == "J":
                grid = [[" "] * width for _ in range(height)]
            else:
                assert cmd in "mlh", f"unexpected sequence {m.group(0)!r}"
            pos = m.end()
            continue
        ch = data[pos]
        pos += 1
        if ch == "\n":
            row, col = row + 1, 0
            continue
        if 0 <= row < height and 0 <= col < width:
            grid[row][col] = ch
        col += 1
    return ["".join(r) for r in grid]


@pytest.fixture(scope="module")
def seed_cast(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cast") / "seed.cast"
    run = subprocess.run([sys.executable, "-m", "backprop_tui", "cast", str(SEED), "-o", str(out),
                          "--size", "100x30"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"wrote {out}: ")
    return out


def read(path: Path) -> tuple[dict, list[list]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return json.loads(lines[0]), [json.loads(x) for x in lines[1:]]


def test_cast_is_asciicast_v2_with_frames_in_time_order(seed_cast):
    header, events = read(seed_cast)
    assert header["version"] == 2 and (header["width"], header["height"]) == (100, 30)
    assert all(kind == "o" and isinstance(data, str) for _, kind, data in events)
    times = [t for t, _, _ in events]
    assert times[0] == 0 and times == sorted(times)
    assert len(events) > 20  # one frame per line that changed the screen (65 lines in the seed)


def test_frames_are_timed_by_narration_and_pauses(seed_cast):
    """The cast's length is what timed TUI playback would wait (tui/player.py's rule): a
    narration its reading time, a :pause its seconds, an :expect nothing, another line 0.5 s
    unless more than SHORT_RUN lines follow before the next narration, nothing after the last
    line. Computed here from the file itself."""
    _, events = read(seed_cast)
    lines = [t.strip() for t in SEED.read_text(encoding="utf-8").splitlines()]
    lines = [t for t in lines if t and not t.startswith("#")]
    expected = 0.0
    for k, line in enumerate(lines):
        run = next((j for j in range(k + 1, len(lines)) if lines[j].startswith(":say")),
                   len(lines)) - k - 1
        if line.startswith(":pause"):
            expected += float(line.split()[1])
        elif k == len(lines) - 1 or line.startswith(":expect"):
            continue
        elif line.startswith(":say"):
            expected += reading_time(line[len(":say"):])
        elif run <= SHORT_RUN:
            expected += STEP
    assert events[-1][0] == pytest.approx(expected, abs=0.01)


def test_the_last_frame_shows_the_seeds_final_screen(seed_cast):
    header, events = read(seed_cast)
    last = "".join(data for _, _, data in events)  # each frame clears and redraws the screen
    rows = screen(last, header["width"], header["height"])
    text = "\n".join(rows)
    assert "done: backward 7/7" in text  # the status bar after the last :backward
    table = {r.split()[1]: r.split() for r in rows if re.match(r"\W*#\d+ ", r.strip("│ "))}
    assert table["x"][2:4] == ["2", "13"] and table["y"][2:4] == ["3", "6"]
    assert table["x²+3xy+1"][2] == "23"


def test_the_same_file_gives_the_same_cast(tmp_path):
    """Run to run, in another process (its own hash seed) and in this one: the same bytes.
    A short file (the seed's first lines: a statement, steps, narration and a pause) keeps
    this test to a few frames; the seed's whole cast is checked by the tests above."""
    short = tmp_path / "short.bp"
    short.write_text("\n".join(SEED.read_text(encoding="utf-8").splitlines()[:12]) + "\n",
                     encoding="utf-8")
    first, again = tmp_path / "first.cast", tmp_path / "again.cast"
    run = subprocess.run([sys.executable, "-m", "backprop_tui", "cast", str(short), "-o",
                          str(first), "--size", "100x30"], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert cast_mod.main([str(short), "-o", str(again), "--size", "100x30"]) == 0
    assert again.read_bytes() == first.read_bytes()
    assert len(read(first)[1]) >= 3


ASCIINEMA = shutil.which("asciinema", path=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")


@pytest.mark.skipif(ASCIINEMA is None, reason="asciinema is not installed (pip install asciinema)")
def test_asciinema_parses_the_cast(seed_cast):
    exe = ASCIINEMA
    assert exe is not None
    run = subprocess.run([exe, "cat", str(seed_cast)], capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", run.stdout.decode("utf-8"))
    assert "done: backward 7/7" in text and "x²+3xy+1" in text


def test_bad_arguments(tmp_path, capsys):
    assert cast_mod.main([str(tmp_path / "missing.bp"), "-o", str(tmp_path / "x.cast")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert cast_mod.main([str(SEED), "-o", str(tmp_path / "x.cast"), "--size", "10x3"]) == 2
    assert "a size from 20x8" in capsys.readouterr().err
    assert cast_mod.main([str(SEED), "-o", str(tmp_path / "no" / "x.cast")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_the_cast_is_written_as_files_py_writes(tmp_path, capsys):
    """The cast goes through files.write_text: a folder or a named pipe in the way is
    refused with the reason, after rendering, without blocking or a traceback."""
    small = tmp_path / "small.bp"
    small.write_text("x = 2\nx^2\n:step\n", encoding="utf-8")
    folder = tmp_path / "taken.cast"
    folder.mkdir()
    assert cast_mod.main([str(small), "-o", str(folder)]) == 2
    assert f"cannot write {folder}: is a directory, not a regular file" in capsys.readouterr().err
    if hasattr(os, "mkfifo"):
        pipe = tmp_path / "pipe.cast"
        os.mkfifo(pipe)
        assert cast_mod.main([str(small), "-o", str(pipe)]) == 2
        assert "is a named pipe (FIFO), not a regular file" in capsys.readouterr().err
