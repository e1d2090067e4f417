"""Replay files: reading lines, :load expansion, and the :say/:pause/:expect/:load commands."""

from __future__ import annotations

import math

import pytest
from replay_helpers import run_script

from backprop_tui.commands.replaying import EXPECT_ATOL, EXPECT_RTOL
from backprop_tui.events import Error, Expect, Load, Pause, Say
from backprop_tui.registry import COMMANDS
from backprop_tui.render_text import text as event_text
from backprop_tui.replay import ReplayError, iter_lines, iter_text
from backprop_tui.session import Session

SEED = ["x = 2", "y = 3", "x^2 + 3x*y + 1"]


def run(lines: list[str]) -> tuple[Session, list]:
    s = Session()
    events = []
    for n, text in enumerate(lines, 1):
        events.append(s.run_line(text, line=n, file="t.bp"))
    return s, events


def only(events: list, cls: type):
    found = [e for e in events if isinstance(e, cls)]
    assert len(found) == 1, events
    return found[0]


# ---------------------------------------------------------------------- reading files

def test_lines_skip_blanks_and_comments_and_keep_numbers(tmp_path):
    f = tmp_path / "a.bp"
    f.write_text("# title\n\nx = 2\r\n   \n  # indented comment\n:step\n", encoding="utf-8")
    got = [(sl.file, sl.line, sl.text) for sl in iter_lines(str(f))]
    assert got == [(str(f), 3, "x = 2"), (str(f), 6, ":step")]


def test_load_expands_in_place_relative_to_the_including_file(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "inputs.bp").write_text("x = 2\n:load more.bp\n", encoding="utf-8")
    (tmp_path / "lib" / "more.bp").write_text("y = 3\n", encoding="utf-8")
    main = tmp_path / "main.bp"
    main.write_text(":load lib/inputs.bp\nx*y\n", encoding="utf-8")
    lines = list(iter_lines(str(main)))
    texts = [(sl.text, sl.depth, sl.load) for sl in lines]
    assert texts == [(":load lib/inputs.bp", 0, str(tmp_path / "lib" / "inputs.bp")),
                     ("x = 2", 1, None),
                     (":load more.bp", 1, str(tmp_path / "lib" / "more.bp")),
                     ("y = 3", 2, None),
                     ("x*y", 0, None)]
    s = Session()
    tally = run_script(s, lines)
    assert s.summary().output["value"] == 6.0
    assert tally.unexpected == [] and tally.failed == 0


def test_include_cycle_is_an_error_line_not_a_hang(tmp_path):
    (tmp_path / "a.bp").write_text("x = 1\n:load b.bp\n", encoding="utf-8")
    (tmp_path / "b.bp").write_text(":load a.bp\n", encoding="utf-8")
    lines = list(iter_lines(str(tmp_path / "a.bp")))
    err = [sl for sl in lines if sl.error]
    assert len(err) == 1
    assert "include cycle" in err[0].error and "a.bp → " in err[0].error
    assert err[0].file.endswith("b.bp") and err[0].line == 1


def test_self_load_is_a_cycle(tmp_path):
    (tmp_path / "a.bp").write_text(":load a.bp\n", encoding="utf-8")
    (sl,) = list(iter_lines(str(tmp_path / "a.bp")))
    assert "include cycle" in sl.error


def test_missing_load_becomes_an_error_that_expect_error_can_account_for(tmp_path):
    f = tmp_path / "a.bp"
    f.write_text(":load nope.bp\n:expect error cannot load nope.bp: no such file\n", encoding="utf-8")
    s = Session()
    tally = run_script(s, iter_lines(str(f)))
    assert tally.passed == 1 and tally.failed == 0 and tally.unexpected == []


def test_deep_load_chain_runs_without_recursion(tmp_path):
    for k in range(30):
        (tmp_path / f"f{k}.bp").write_text(f"v{k} = {k}\n:load f{k + 1}.bp\n", encoding="utf-8")
    (tmp_path / "f30.bp").write_text("v0 + v29\n", encoding="utf-8")
    s = Session()
    tally = run_script(s, iter_lines(str(tmp_path / "f0.bp")))
    assert tally.unexpected == []
    assert s.summary().output["value"] == 29.0


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\n  \n", "the file is empty"),
    (b"# only a comment\n", "only comments"),
    (b"x = 2\n\x00\x01\x02", "binary file"),
    (bytes(range(256)), "binary file"),
    (b"x = 2\ny = \xff\xfe\n", "not valid UTF-8 (byte 0xff on line 2)"),
])
def test_hostile_files_raise_a_clear_error(tmp_path, content, message):
    f = tmp_path / "bad.bp"
    f.write_bytes(content)
    with pytest.raises(ReplayError) as info:
        iter_lines(str(f))
    assert message in str(info.value)
    assert str(info.value).startswith(str(f) + ": ")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ReplayError, match="no such file"):
        iter_lines(str(tmp_path / "nope.bp"))
    with pytest.raises(ReplayError, match="is a directory"):
        iter_lines(str(tmp_path))


def test_utf8_bom_is_ignored(tmp_path):
    f = tmp_path / "bom.bp"
    f.write_bytes("\ufeffx = 2\n".encode())
    assert [sl.text for sl in iter_lines(str(f))] == ["x = 2"]


def test_stdin_is_streamed_and_a_bad_line_is_an_error_line(monkeypatch):
    import io

    stream = io.BytesIO(b"x = 2\nbad \xff\nx^2\n")
    lines = list(iter_lines("-", stdin=stream))
    assert [(sl.file, sl.line) for sl in lines] == [("<stdin>", 1), ("<stdin>", 2), ("<stdin>", 3)]
    assert lines[1].error and "not valid UTF-8" in lines[1].error
    with pytest.raises(ReplayError, match="empty input"):
        list(iter_lines("-", stdin=io.BytesIO(b"")))


def test_iter_text_for_dash_e():
    assert [sl.text for sl in iter_text("x = 2\n\nx^2")] == ["x = 2", "x^2"]


# ---------------------------------------------------------------------- commands

def test_commands_are_registered_in_the_one_table():
    for name in ("say", "pause", "expect", "load", "record"):
        assert name in COMMANDS
    s = Session()
    (info,) = s.run_line(":help")
    for name in ("say", "pause", "expect", "load", "record"):
        assert f":{name}" in info.message


def test_say_and_pause():
    s, ev = run([":say Hello,   world", ":pause 1.5", ":pause -1", ":pause soon"])
    assert only(ev[0], Say).message == "Hello, world"
    assert only(ev[1], Pause).seconds == 1.5
    assert "between 0 and 3600" in only(ev[2], Error).message
    assert "expected a number" in only(ev[3], Error).message


def test_expect_value_before_and_after_stepping():
    s, ev = run([*SEED, ":expect value 3x = 6", ":step 2", ":expect value 3x = 6",
                 ":expect value x = 2", ":expect value 3x = 7"])
    before = only(ev[3], Expect)
    assert not before.passed and "not yet computed" in before.got
    assert only(ev[5], Expect).passed
    assert only(ev[6], Expect).passed  # inputs hold their values from the start
    wrong = only(ev[7], Expect)
    assert not wrong.passed and wrong.expected == 7.0 and wrong.actual == 6.0
    assert event_text(wrong) == "✗ t.bp:8: expected value of 3x = 7, got 6"
    assert (wrong.file, wrong.at_line) == ("t.bp", 8)


def test_expect_grad_follows_accumulation():
    # Backward: f, x²+3xy, 3xy, 3x (x gets 9), x² (x gets 4 more), y, x.
    s, ev = run([*SEED, ":forward", ":expect grad x = 0", ":step 4", ":expect grad x = 9",
                 ":step 3", ":expect grad x = 13", ":expect grad 3 = 0", ":expect grad y = 6"])
    e0 = only(ev[4], Expect)
    assert e0.passed and "backward pass has not started" in e0.got
    e4 = only(ev[6], Expect)
    assert e4.passed and "so far" in e4.got
    assert only(ev[8], Expect).passed
    const = only(ev[9], Expect)
    assert not const.passed and "constant" in const.got
    assert only(ev[10], Expect).passed


def test_expect_tolerances():
    rel = 13 * EXPECT_RTOL
    s, ev = run([*SEED, ":backward",
                 f":expect grad x = {13 + rel * 0.5!r}",  # inside the default band
                 f":expect grad x = {13 + rel * 3!r}",  # outside it
                 ":expect grad x = 13.4 ± 0.5", ":expect grad x = 13.4 +- 0.5",
                 ":expect grad x = 13.6 ± 0.5", ":expect value x²+3xy+1 = 23 ± 0"])
    verdicts = [only(e, Expect).passed for e in ev[4:]]
    assert verdicts == [True, False, True, True, False, True]
    assert only(ev[6], Expect).tol == 0.5
    assert EXPECT_ATOL == 1e-12 and EXPECT_RTOL == 1e-9


def test_expect_nan_matches_only_nan():
    s, ev = run(["x = -1", "y = 0", "pow(x, y) + 1", ":backward", ":expect grad y = nan",
                 ":expect grad x = nan"])
    assert only(ev[4], Expect).passed
    assert not only(ev[5], Expect).passed


def test_expect_unknown_node_is_a_failure_naming_it():
    s, ev = run([*SEED, ":expect value q = 1"])
    e = only(ev[3], Expect)
    assert not e.passed and "no node 'q'" in e.got


@pytest.mark.parametrize("line", [":expect", ":expect value x", ":expect value x = abc",
                                  ":expect value x = 1 ± -1", ":expect value x = 1 ±",
                                  ":expect colour x = 1",
                                  ":expect check maybe"])
def test_malformed_expect_is_an_error(line):
    s, ev = run([*SEED, line])
    assert only(ev[3], Error)


def test_expect_check():
    s, ev = run([*SEED, ":expect check pass", ":check", ":expect check pass",
                 ":expect check x pass", ":expect check x kink"])
    nocheck = only(ev[3], Expect)
    assert not nocheck.passed and "no :check" in nocheck.got
    assert only(ev[5], Expect).passed and only(ev[6], Expect).passed
    assert not only(ev[7], Expect).passed
    s, ev = run(["x = 0", "relu(x)", ":check", ":expect check pass", ":expect check x kink"])
    kink = only(ev[3], Expect)
    assert not kink.passed and "not differentiable here" in kink.got
    assert only(ev[4], Expect).passed


def test_expect_error_looks_at_the_line_before_and_expects_do_not_clear_it():
    s, ev = run(["x = 2", "x +", ":expect error unfinished input", ":expect error expected a number",
                 ":expect error nonsense", "x", ":expect error unfinished"])
    assert only(ev[2], Expect).passed
    assert only(ev[3], Expect).passed  # a second :expect still sees the same error
    bad = only(ev[4], Expect)
    assert not bad.passed and "unfinished input" in bad.got
    ok = only(ev[6], Expect)
    assert not ok.passed and ok.got == "the previous line succeeded"


def test_interactive_load_runs_the_file_and_restores_position(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seed.bp").write_text("\n".join(SEED) + "\n:backward\n:expect grad x = 13\n",
                                      encoding="utf-8")
    s = Session()
    s.run_line("z = 5", line=1)
    events = s.run_line(":load seed.bp", line=2)
    assert any(isinstance(e, Expect) and e.passed and e.at_line == 5 for e in events)
    assert all(e.line == 2 for e in events)  # reported at the :load line
    assert (s.file, s.line) == ("<input>", 2)
    assert s.summary().output["value"] == 23.0
    err = s.run_line(":load missing.bp", line=3)
    assert "cannot load missing.bp: no such file" in only(err, Error).message


def test_run_script_tally_accounts_for_expected_errors():
    lines = list(iter_text("x = 2\nx +\n:expect error unfinished\nx +\nx^2\n:expect value x = 3"))
    tally = run_script(Session(), lines)
    assert tally.passed == 1 and tally.failed == 1
    assert [e.at_line for e in tally.unexpected] == [4]
    assert math.isclose(tally.failures[0].actual, 2.0)


def test_load_marker_events():
    lines = list(iter_text(":load nowhere.bp"))
    s = Session()
    tally = run_script(s, lines)
    assert len(tally.unexpected) == 1 and "no such file" in tally.unexpected[0].message
    assert event_text(Load("a.bp")) == "loading a.bp"
