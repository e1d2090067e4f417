"""Tools to find the wrong gradient: conditional breakpoints, watches, /TEXT and :find,
:filter, :top, :sort, :path, and :check all as a diagnosis."""

from __future__ import annotations

import json
import math

import pytest

from backprop_tui import conditions
from backprop_tui.events import BreakHit, Check, Error, Info, Step
from backprop_tui.events_search import Found, PathEvent, Sorted, Top, Watch
from backprop_tui.language import parse
from backprop_tui.render_text import text as event_text
from backprop_tui.session import MAX_WATCH, Session


def session(text: str) -> Session:
    s = Session()
    for line in text.split("\n"):
        events = s.run_line(line)
        assert not [e for e in events if isinstance(e, Error)], events
    return s


def hits(events) -> list[BreakHit]:
    return [e for e in events if isinstance(e, BreakHit)]


def one_error(events) -> str:
    (err,) = [e for e in events if isinstance(e, Error)]
    return err.message


# ---------------------------------------------------------------- conditions

@pytest.mark.parametrize("text, value, grad, expected", [
    ("nan", 1.0, math.nan, True), ("nan", math.inf, None, True), ("inf", 1.0, 2.0, False),
    ("|grad| > 1e3", 1.0, -2000.0, True), ("|grad| > 1e3", 1.0, 999.0, False),
    ("grad > 1e3", 1.0, -2000.0, False), ("abs(value) <= 2", -2.0, None, True),
    ("grad < 0", 1.0, None, False),  # no gradient yet: a comparison with it is false
    ("not nan", 1.0, 2.0, True), ("value < 0 and not nan", -1.0, math.nan, False),
    ("value < 0 or grad == 4", 1.0, 4.0, True), ("(value > 0 or nan) and grad != 0", 2.0, 0.0, False),
    ("not value > 1 and grad >= 2", 0.5, 2.0, True),  # not binds tighter than and
])
def test_conditions_evaluate_as_written(text, value, grad, expected):
    assert conditions.parse(text).test(value, grad) is expected


@pytest.mark.parametrize("text, message", [
    ("", "expected a condition such as nan"),
    ("grad >", "expected a number after '>' at the end"),
    ("grad 3", "expected a comparison (> >= < <= == !=) after 'grad' at '3'"),
    ("foo > 1", "expected a condition such as nan, grad > 1e3, |value| < 1e-9 or not nan at 'foo > 1'"),
    ("nan and", "at the end"), ("(nan", "unclosed '(' at '(nan'"), ("nan)", "unmatched ')'"),
    ("nan nan", "expected 'and', 'or' or the end of the condition at 'nan'"),
    ("grad > 1e999", "too large"),
    ("__import__('os')", "expected a condition such as"),
    ("x" * 300, "the limit is 200"),
])
def test_malformed_conditions_say_what_was_expected_where(text, message):
    with pytest.raises(conditions.ConditionError) as info:
        conditions.parse(text)
    assert message in str(info.value)


def test_a_deeply_nested_condition_parses_without_recursion():
    cond = conditions.parse("(" * 90 + "nan" + ")" * 90)
    assert cond.test(math.nan, None) and not cond.test(1.0, 1.0)


# ---------------------------------------------------------------- conditional breakpoints

def test_break_when_nan_stops_at_the_step_where_a_value_becomes_nan():
    s = session("x = 1000; y = 2; a = exp(x) * 0; b = a + y; b * y")
    assert "breakpoint when nan on any node" in s.run_line(":break when nan")[0].message
    (hit,) = hits(s.run_line(":continue"))  # nan or inf: exp(1000) overflows first
    assert hit.node == "exp(x)" and "the value of exp(x) became inf" in hit.reason
    (hit,) = hits(s.run_line(":continue"))
    assert hit.node == "a" and "the value of a became nan" in hit.reason
    assert s.current() == s.prog.bindings["a"]
    (hit,) = hits(s.run_line(":continue"))  # b = a + y is nan too: it becomes nan there
    assert hit.node == "b"


def test_break_when_grad_is_large_stops_at_the_push_that_makes_it_so():
    s = session("x = 3; y = x*x*100; z = y*20; z + x")
    s.run_line(":break when |grad| > 1e3")
    s.run_line(":forward")
    (hit,) = hits(s.run_line(":continue"))
    # ∂f/∂y = 20 and ∂f/∂(x·x) = 2000: the push from x·x·100 makes it so.
    assert "became 2000" in hit.reason
    step = s.current_step()
    assert step is not None and step.phase == "backward" and step.node == "y"


def test_break_on_one_node_when_ignores_the_others():
    s = session("x = 2; y = 3; x^2 + 3x*y + 1")
    s.run_line(":break x when grad > 5")
    s.run_line(":break y when grad < 0")  # never true
    s.run_line(":forward")
    (hit,) = hits(s.run_line(":continue"))
    # ∂f/∂x: 0, then 9 (from 3x, pushed first), then 13: true from 9 on
    assert "∂f/∂x became 9" in hit.reason and hit.node == "3x"
    assert not hits(s.run_line(":continue"))  # to the end: nothing else
    assert s.pos == s.steps_total


def test_a_condition_that_is_already_true_does_not_stop_again():
    s = session("x = 3; y = x*x*100; z = y*20; z + x")
    s.run_line(":break when |value| > 100")
    (hit,) = hits(s.run_line(":continue"))
    assert "the value of y became 900" in hit.reason
    (hit,) = hits(s.run_line(":continue"))  # z = 18000 becomes true at z, not y again
    assert "the value of z became 18000" in hit.reason


def test_break_when_in_forward_mode_reads_values_and_tangents():
    s = session("x = 2; y = 3; x*y*1000 + y")
    s.run_line(":mode forward")
    s.run_line(":break when grad > 1e3")  # grad: the tangent ∂node/∂seed in forward mode
    (hit,) = hits(s.run_line(":continue"))
    assert "the tangent of xy·1000 became 3000" in hit.reason


def test_break_when_errors_and_listing():
    s = session("x = 2; x*x")
    assert "bad condition: expected a number after '>'" in one_error(s.run_line(":break when grad >"))
    assert "no node 'q'" in one_error(s.run_line(":break q when nan"))
    message = one_error(s.run_line(":break x when value > 1"))
    assert "its value never changes while stepping" in message
    s.run_line(":break when nan")
    s.run_line(":break x when |grad| > 3")
    (info,) = s.run_line(":breaks")
    assert "when nan" in info.message and "#0 x when |grad| > 3" in info.message
    (info,) = s.run_line(":unbreak when")
    assert "removed 1 condition on any node" in info.message
    (info,) = s.run_line(":unbreak x")
    assert "and 1 condition" in info.message
    assert "none" in s.run_line(":breaks")[0].message


def test_conditions_are_not_evaluated_as_python():
    s = session("x = 2; x*x")
    message = one_error(s.run_line(":break when __import__('os').system('true') > 0"))
    assert message.startswith("bad condition: expected a condition such as")
    assert s.break_when == []


# ---------------------------------------------------------------- watches

def test_watch_prints_the_watched_nodes_after_every_step_and_after_back():
    s = session("x = 2; y = 3; x^2 + 3x*y + 1")
    events = s.run_line(":watch x 3x")
    assert isinstance(events[-1], Watch)
    events = s.run_line(":step 3")
    kinds = [type(e).__name__ for e in events]
    assert kinds.count("Watch") == 3 and kinds.index("Watch") == kinds.index("Step") + 1
    w = [e for e in s.run_line(":backward") if isinstance(e, Watch)]
    assert len(w) == 1  # a quiet run: once, at its end
    assert [(r.node, r.value, r.grad, r.state) for r in w[0].rows] == [
        ("x", 2.0, 13.0, "final"), ("3x", 6.0, 3.0, "final")]
    assert event_text(w[0]) == "watch: x = 2, ∂f 13 final; 3x = 6, ∂f 3 final"
    back = s.run_line(":back 20")
    assert isinstance(back[-1], Watch) and back[-1].rows[1].value is None
    assert event_text(back[-1]) == "watch: x = 2; 3x = ·"
    assert isinstance(s.run_line(":continue")[-1], Watch)
    s.run_line(":unwatch all")
    assert not any(isinstance(e, Watch) for e in s.run_line(":step"))


def test_watch_refuses_too_many_nodes():
    s = Session(parse("\n".join(f"x{i} = {i}" for i in range(150)) + "\n"
                      + " + ".join(f"x{i}" for i in range(150))))
    message = one_error(s.run_line(":watch " + " ".join(f"x{i}" for i in range(150))))
    assert f"at most {MAX_WATCH}" in message and "150" in message
    assert s.watches == []
    s.run_line(":watch " + " ".join(f"x{i}" for i in range(MAX_WATCH)))
    assert "too many" in one_error(s.run_line(":watch x120"))


def test_watch_in_headless_text_and_json_lines(tmp_path, capsys):
    from backprop_tui import cli

    path = tmp_path / "w.bp"
    path.write_text("x = 2; y = 3; x*y + y\n:watch x\n:step\n:backward\n")
    assert cli.main(["--headless", "--no-color", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("watch: x = 2") == 3  # :watch itself, after the step, after :backward
    assert "watch: x = 2, ∂f 3 final" in out
    assert cli.main(["--json", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    watches = [r for r in rows if r["event"] == "watch"]
    assert len(watches) == 3 and watches[-1]["rows"][0]["grad"] == 3.0


def test_recording_rebuilds_conditions_and_watches():
    from backprop_tui.commands.record import preamble

    s = session("x = 2; y = 3; x*y + y")
    s.run_line(":break when |grad| > 2")
    s.run_line(":break x when grad > 1")
    s.run_line(":watch x y")
    lines = preamble(s)
    assert ":break when |grad| > 2" in lines and ":break #0 when grad > 1" in lines
    assert ":watch #0 #1" in lines
    again = Session()
    for line in lines:
        assert not [e for e in again.run_line(line) if isinstance(e, Error)], line
    assert [c.text for _, c in again.break_when] == ["|grad| > 2", "grad > 1"]
    assert again.watches == [0, 1]


# ---------------------------------------------------------------- :find, /TEXT

def test_find_matches_names_and_labels_and_says_when_nothing_does():
    s = session("w1 = 2; w2 = 3; t = tanh(w1*w2); t + w1")
    (found,) = s.run_line(":find w1")
    assert isinstance(found, Found)
    assert found.labels == ["w1", "w1·w2", "t+w1"]  # names and labels; spaces and · ignored
    (found,) = s.run_line(":find W1 * w2")
    assert found.labels == ["w1·w2"]
    (same,) = s.run_line("/w1*w2")  # a line /TEXT searches, as in less
    assert same.ids == found.ids
    (none,) = s.run_line("/zzz")
    assert none.ids == [] and event_text(none).startswith("no node matches 'zzz'")
    assert event_text(s.run_line(":find w1")[0]).startswith("3 nodes match 'w1': #0 w1, ")


def test_find_alone_goes_to_the_next_match_and_wraps():
    s = session("w1 = 2; w2 = 3; t = tanh(w1*w2); t + w1")
    (hint,) = s.run_line(":find")
    assert isinstance(hint, Info) and "/TEXT" in hint.message
    (first,) = s.run_line("/w1")
    seen = []
    for _ in range(len(first.ids)):
        (nxt,) = s.run_line(":find")
        seen.append(nxt.ids[0])
    assert seen == first.ids[1:] + first.ids[:1]
    assert event_text(nxt).startswith(f"match 1 of 3 for 'w1': #{first.ids[0]} w1")


# ---------------------------------------------------------------- :top, :sort, :filter, :path

def test_top_ranks_by_full_pass_gradients_independent_of_stepping():
    s = session("a = 1; b = 2; c = 3; a*100 + b*b + c")
    (top,) = s.run_line(":top 3 grad")
    assert isinstance(top, Top)
    assert [(r.node, r.grad) for r in top.rows] == [("a", 100.0), ("b", 4.0), (top.rows[2].node, 1.0)]
    assert s.pos == 0  # full passes: stepping untouched
    (top,) = s.run_line(":top value")
    assert top.rows[0].value == 107.0
    assert "top 3 of" in event_text(s.run_line(":top 3 grad")[0])
    assert "usage: :top" in one_error(s.run_line(":top 3 size"))
    assert "no :check has run yet" in one_error(s.run_line(":top error"))
    s.run_line(":check all")
    (top,) = s.run_line(":top 2 error")
    assert len(top.rows) == 2 and top.rows[0].key >= top.rows[1].key


def test_top_puts_nan_and_inf_first():
    s = session("x = 0; y = 2; sqrt(x) * y + y*y")
    (top,) = s.run_line(":top 1 grad")
    assert math.isinf(top.rows[0].grad) and top.rows[0].node == "x"


def test_sort_orders_and_cycles():
    s = session("a = 1; b = 2; c = 3; a*100 + b*b + c")
    (srt,) = s.run_line(":sort grad")
    assert isinstance(srt, Sorted) and [r.node for r in srt.rows[:2]] == ["a", "b"]
    (srt,) = s.run_line(":sort op")
    ops = [r.op for r in srt.rows]
    assert ops == sorted(ops)
    keys = [s.run_line(":sort")[0].key for _ in range(4)]  # no check yet: error is skipped
    assert keys == ["id", "grad", "value", "op"]
    s.run_line(":check all")  # now the error order is offered too
    assert [s.run_line(":sort")[0].key for _ in range(4)] == ["id", "grad", "value", "error"]
    assert "usage: :sort" in one_error(s.run_line(":sort size"))


def test_filters_pick_nodes_and_say_when_none_match():
    s = session("x = 0; y = -1; a = relu(x); b = exp(y*1000); c = sqrt(x); a + b + c*y")
    g = s.prog.graph
    (kinks,) = s.run_line(":filter kink")
    assert kinks.ids == [s.prog.bindings["a"]]
    (bad,) = s.run_line(":filter nan")
    assert s.prog.bindings["x"] in bad.ids  # sqrt'(0) = inf reaches x's gradient
    (muls,) = s.run_line(":filter op:mul")
    assert muls.ids and all(g.op[i] == g.op[muls.ids[0]] for i in muls.ids)
    (sub,) = s.run_line(":filter in:b")
    assert sub.ids[-1] == s.prog.bindings["b"] and s.prog.bindings["y"] in sub.ids
    assert s.prog.bindings["x"] not in sub.ids
    assert "unknown filter 'blue'" in one_error(s.run_line(":filter blue"))
    assert "unknown operation 'cube'" in one_error(s.run_line(":filter op:cube"))
    assert "no :check has run yet" in one_error(s.run_line(":filter fail"))
    assert event_text(kinks) == "1 node at a kink: #2 a"
    assert event_text(s.run_line(":filter op:tanh")[0]) == "no node using tanh"
    s.run_line(":check all")
    assert event_text(s.run_line(":filter fail")[0]) == "no node failed the last :check"
    assert event_text(s.run_line(":filter off")[0]).startswith("filter off")


def test_path_from_an_input_to_f():
    s = session("x = 2; y = 3; a = x*y; b = a + x; c = y*y; b*a + c")
    (p,) = s.run_line(":path x")
    assert isinstance(p, PathEvent)
    names = {v: k for k, v in s.prog.bindings.items()}
    assert {names.get(i) for i in p.ids} >= {"x", "a", "b"} and s.prog.bindings["c"] not in p.ids
    # f = (b·a) + c: x→a→b·a→f, x→b→b·a→f, x→a→b→b·a→f; a shortest has 4 nodes
    assert p.paths == 3 and len(p.shortest) == 4 and p.shortest[0] == 0
    assert p.shortest[-1] == s.output
    assert "lie on the 3 paths from x to" in event_text(p)
    (none,) = s.run_line(":path c a")
    assert none.ids == [] and "no path" in event_text(none)
    assert "usage: :path" in one_error(s.run_line(":path"))


def test_path_on_a_long_chain_is_elided_and_counts_saturate():
    s = Session(parse("x = 1\ns = x\n" + "s = s*0.5 + 1\n" * 50 + "s"))
    (p,) = s.run_line(":path x")
    assert p.paths == 1 and len(p.shortest) == 101 == len(p.ids)
    text = event_text(p)
    assert "x → " in text and "… 90 nodes …" in text and len(text) < 600
    s = Session(parse("x = 1.0001\ns = x\n" + "s = s*s\n" * 80 + "s"))
    (p,) = s.run_line(":path x")  # 2^80 paths: saturated, said so
    assert p.paths == 10**18 and "at least 10^18 paths" in event_text(p)


def test_tools_say_so_before_a_program():
    s = Session()
    for line in (":find x", ":top grad", ":sort grad", ":path x", ":watch x", ":break when nan"):
        assert "no program yet" in one_error(s.run_line(line)), line


# ---------------------------------------------------------------- :check all as a diagnosis

def big_sum(n: int) -> Session:
    return Session(parse("\n".join(f"x{i} = {0.1 + i / n}" for i in range(n)) + "\n"
                         + " + ".join(f"tanh(x{i})*relu(x{i} - 0.5)" for i in range(n))))


def test_check_all_on_a_big_graph_summarises_and_lists_only_failures():
    s = big_sum(30)
    (chk,) = s.run_line(":check all")
    assert isinstance(chk, Check) and len(chk.rows) > 20
    text = event_text(chk)
    counts = {v: sum(r.verdict == v for r in chk.rows) for v in ("pass", "fail", "kink")}
    assert (f"{len(chk.rows)} nodes: {counts['pass']} pass, {counts['fail']} fail, "
            f"{counts['kink']} not differentiable here") in text
    assert "worst errors:" in text and ":check all verbose" in text
    assert text.count("\n") < 12  # not one line per node
    (verbose,) = s.run_line(":check all verbose")
    assert event_text(verbose).count("\n") > len(verbose.rows)


def test_a_check_that_passes_or_covers_only_inputs_names_no_origin():
    s = session("x = 2; y = 3; x^2 + 3x*y + 1")
    assert [type(e) for e in s.run_line(":check all")] == [Check]
    (chk,) = s.run_line(":check")
    assert chk.all_pass


def test_steps_still_come_first_when_nothing_is_watched():
    s = session("x = 2; y = x*x; y + 1")
    events = s.run_line(":step")
    assert isinstance(events[0], Step) and len(events) == 1


def test_watch_in_forward_mode_shows_the_tangent():
    s = session("x = 2; y = 3; x*y + y")
    s.run_line(":mode forward")
    s.run_line(":watch xy")
    events = s.run_line(":step")
    (w,) = [e for e in events if isinstance(e, Watch)]
    assert w.rows[0].state == "none" and w.rows[0].grad == 3.0  # ∂(xy)/∂x with x seeded
    assert event_text(w) == "watch: xy = 6, tangent 3"
