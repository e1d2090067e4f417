"""Every recording replays (issue 16, closing the class): hypothesis runs random sessions —
statements, commands, failing lines, odd whitespace and characters, :set, :load, and a
:record started at a random point — records them, and replays each recording headless. The
replay exits 0 (2 only when the session's own output is not finite, which headless mode calls
an error) and reaches the same state: the same summary, stepping position, output,
breakpoints and values.

The ``ci`` profile (tests/conftest.py) runs 60 sessions in a few seconds; ``-m fuzz`` 2,000.
"""

from __future__ import annotations

import io
import json
import math
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from backprop_tui import headless
from backprop_tui.graph import EvalError
from backprop_tui.replay import Tally, iter_lines, run_line
from backprop_tui.session import Session

pytestmark = pytest.mark.fuzz

NAMES = ["x", "y", "z", "a", "ｘ", unicodedata.normalize("NFD", "é"), "गति", "x₁"]
NUMBERS = ["2", "0", "-1", ".5", "3e2", "2e−3", "1e308", "0.1"]
GAPS = ["", " ", "  ", "\t", " \f", "\r"]
COMMENTS = ["", " # note", " # form\ffeed", " # line\u2028sep", " # ∑ ünï", " # \x85nel",
            " # nul\x00"]


@st.composite
def expressions(draw, depth: int = 0) -> str:
    """Small expressions over NAMES (some unbound: a failing line), every operator and
    reading the grammar has: implicit products, x^2y, x/2y, calls, superscripts."""
    gap = draw(st.sampled_from(GAPS))
    if depth >= 2 or draw(st.booleans()):
        return draw(st.sampled_from(NAMES + NUMBERS[:5] + ["pi", "e"]))
    left, right = draw(expressions(depth + 1)), draw(expressions(depth + 1))
    form = draw(st.sampled_from([
        "{l}{g}+{g}{r}", "{l}{g}-{g}{r}", "{l}*{r}", "{l}{g}/{g}{r}", "{l}^2", "{l}²",
        "2{l}", "{l}^2y", "{l}/2y", "sin({l})", "log({l})", "sqrt({r})", "tan({l})",
        "pow({l},{g}{r})", "-{l}", "({l}{g}+{g}{r})", "{l}^{r}"]))
    return form.format(l=left, r=right, g=gap)


@st.composite
def statements(draw) -> str:
    kind = draw(st.sampled_from(["input", "named", "plain", "several"]))
    gap = draw(st.sampled_from(GAPS))
    comment = draw(st.sampled_from(COMMENTS))
    name = draw(st.sampled_from(NAMES))
    if kind == "input":
        text = f"{name}{gap}={gap}{draw(st.sampled_from(NUMBERS))}"
    elif kind == "named":
        text = f"{name} = {draw(expressions())}"
    elif kind == "several":
        text = f"{name} = {draw(st.sampled_from(NUMBERS))};{gap}{draw(expressions())}"
    else:
        text = draw(expressions())
    return draw(st.sampled_from(GAPS)) + text + comment


FAILING = ["x +", "q + 1", "log(0)", "x(y\t+ 1)", ":bogus  x  =  3", ":step x", ":expect value",
           "1e999", "x = 1\x00", ":set nope = 1", "2 ∗ 3", "a→b = 1", ":show #99999",
           "x\u2028= 2", ":goto   q", ")"]


def commands(lib: str, missing: str) -> st.SearchStrategy[str]:
    name = st.sampled_from(NAMES)
    return st.one_of(
        st.sampled_from([":step", ":step 3", ":s 50", ":back", ":back 2", ":reset", ":forward",
                         ":backward", ":continue", ":break op:mul", ":break op:add", ":unbreak",
                         ":check", ":check all", ":check mode=forward", ":nodes", ":graph",
                         ":say  hello\tthere", ":pause 0", ":output #1", ":output #0",
                         ":set #0 = 2", ":hsweep", f":load {lib}", f":load {missing}",
                         ":help step", ":step\t2", ":goto x", ":goto #2", ":break #2",
                         ":output x", ":export dot"]),
        name.map(lambda n: f":show {n}"),
        st.tuples(name, st.sampled_from(NUMBERS + ["1e−3", "nan"])).map(
            lambda t: f":set {t[0]} = {t[1]}"),
        name.map(lambda n: f":break {n}"),
    )


LIB = ("a = 2\nb = a*3 + x₁\nlog(-a)\n:expect error log needs\n:say from the library\n"
       ":load inner.bp\n:load gone.bp\n:expect error no such file\nb^2\n")
INNER = "c = 3  # included by lib.bp\nc*a\n:step 2\n"


def _summary(s: Session) -> dict | None:
    try:
        return json.loads(json.dumps(s.summary(nodes=True).to_dict()))
    except EvalError:  # f cannot be evaluated; headless mode prints an empty summary
        return None


def _state(s: Session) -> dict:
    g = s.prog.graph
    return {"summary": _summary(s), "pos": s.pos,
            "output": s.output, "breaks": sorted(s.breaks), "break_ops": sorted(s.break_ops),
            "values": [repr(v) for v in g.value], "grads": [repr(v) for v in g.grad]}


def _replay_in_process(path: Path) -> tuple[Session, Tally]:
    s = Session()
    tally = Tally()
    for sl in iter_lines(str(path)):
        tally.feed(sl, run_line(s, sl))
    tally.finish()
    return s, tally


def json_float(x: float | str) -> float:
    return float(x)  # the JSON form writes inf and nan as strings


@given(data=st.data())
def test_every_recording_replays_to_the_same_state(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lib, missing, rec = root / "lib.bp", root / "missing.bp", root / "rec.bp"
        lib.write_text(LIB, encoding="utf-8")
        (root / "inner.bp").write_text(INNER, encoding="utf-8")
        line = st.one_of(statements(), statements(), commands(str(lib), str(missing)),
                         st.sampled_from(FAILING))
        lines = data.draw(st.lists(line, min_size=1, max_size=14), label="lines")
        start = data.draw(st.integers(0, len(lines)), label="record before line")
        s = Session()
        for k, text in enumerate(lines + [""]):
            if k == start:
                s.run_line(f":record {rec}")
                if data.draw(st.booleans(), label="load the recording"):
                    s.run_line(f":load {rec}")
            if text:
                s.run_line(text)
        s.run_line(":record stop")
        recorded = rec.read_text(encoding="utf-8")
        note(recorded)
        want = _state(s)
        out, err = io.StringIO(), io.StringIO()
        code = headless.run([("file", str(rec))], headless.Options(json=True), out, err)
        summary = want["summary"]
        output = summary["output"] if summary is not None else None
        finite = output is None or math.isfinite(json_float(output["value"]))
        assert code == (0 if finite else 2), err.getvalue()
        if finite:
            assert err.getvalue() == ""
        got = json.loads(out.getvalue().splitlines()[-1])
        assert got == (summary or {"event": "summary", "output": None, "inputs": [],
                                   "nodes": [], "outside": 0})
        again, tally = _replay_in_process(rec)
        assert tally.failed == 0 and tally.unexpected == []
        assert _state(again) == want
