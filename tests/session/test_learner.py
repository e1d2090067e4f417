"""Issue 11: the learner's own expression — a clean workspace, f's graph only, verdicts about
what is on screen, the chain rule at every node, program order, and the text fixes."""

from __future__ import annotations

import json

import pytest

from backprop_tui import events, records
from backprop_tui.cli import main as cli_main
from backprop_tui.events import (
    Error,
    HSweep,
    Info,
    NewSession,
    Nodes,
    Phase,
    ShowNode,
    Statement,
    Step,
)
from backprop_tui.gradcheck import reference
from backprop_tui.graph import Graph
from backprop_tui.records import ChainTerm
from backprop_tui.render_text import text
from backprop_tui.session import QUIT_HELP, Session
from backprop_tui.session_queries import CHOSEN, LAST_STATEMENT

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


def run(*lines: str) -> tuple[Session, list[list[events.Event]]]:
    s = Session()
    return s, [s.run_line(line) for line in lines]


def one(evs: list[events.Event], kind: type) -> events.Event:
    found = [e for e in evs if isinstance(e, kind)]
    assert len(found) == 1, evs
    return found[0]


def show(s: Session, ref: str) -> str:
    return text(one(s.run_line(f":show {ref}"), ShowNode))


def labels(s: Session, nodes: list[int]) -> list[str]:
    return [s.node_info(i).label for i in nodes]


# ---------------------------------------------------------------------- 1. a clean workspace

def test_new_starts_an_empty_session_and_clear_is_its_alias():
    for word in (":new", ":clear"):
        s, _ = run(SEED, ":break x²", ":break op:mul", ":backward", ":check")
        assert s.last_check is not None and s.breaks and s.break_ops
        listeners = list(s.listeners)
        ev = one(s.run_line(word), NewSession)
        assert "empty" in text(ev)
        assert len(s.prog.graph) == 0 and s.prog.bindings == {} and s.output is None
        assert (list(s.fwd), list(s.bwd), s.pos, s.last_check) == ([], [], 0, None)
        assert not s.breaks and not s.break_ops and s.listeners == listeners
        err = one(s.run_line(":step"), Error)
        assert "no program yet" in err.message
        err = one(s.run_line("x^2"), Error)  # the old names are gone
        assert "unknown name 'x'" in err.message
        (st,) = s.run_line("x = 5; x^3")
        assert isinstance(st, Statement) and (st.nodes, st.inputs, st.outside) == (2, 1, 0)
    assert one(s.run_line(":new now"), Error).message == "usage: :new (it takes no arguments)"


def test_unbreak_keeps_its_own_names_without_clear():
    s, _ = run(SEED, ":break x²")
    assert one(s.run_line(":ub"), Info).message == "removed 1 breakpoint"
    s.run_line(":break x²")
    assert one(s.run_line(":unbreak"), Info).message == "removed 1 breakpoint"
    s.run_line(":break x²")
    s.run_line(":clear")  # :clear is :new now: the breakpoint goes with the program
    assert not s.breaks and s.output is None


def test_a_recording_with_new_replays(tmp_path):
    path = tmp_path / "rec.bp"
    s = Session()
    s.run_line(f":record {path}")
    for line in (SEED, ":backward", ":new", "a = 3; a^2", ":backward"):
        s.run_line(line)
    s.run_line(":record stop")
    replayed = Session()
    for line in path.read_text(encoding="utf-8").splitlines():
        replayed.run_line(line)
    assert replayed.summary(nodes=True).to_dict() == s.summary(nodes=True).to_dict()
    assert [r["name"] for r in replayed.summary().inputs] == ["a"]


def test_only_fs_graph_is_listed_and_the_rest_is_counted():
    s, (_, (st,)) = run(SEED, "x = 5; x^3")
    assert isinstance(st, Statement)
    assert (st.nodes, st.inputs, st.outside, st.forward_steps, st.backward_steps) == (2, 1, 9, 1, 2)
    assert text(st) == ("f = x³ = 125   (2 nodes, 1 input; 1 forward step and 2 backward "
                        "steps; 9 nodes outside f)")
    nodes = one(s.run_line(":nodes"), Nodes)
    assert [(i.id, i.label) for i in nodes.nodes] == [(9, "x"), (10, "x³")]  # one x row
    assert text(nodes).splitlines()[-1] == "9 nodes outside f (:nodes all lists them)"
    graph = text(s.run_line(":graph")[0])
    assert "x²" not in graph and "9 nodes outside f (:graph all shows them)" in graph
    summary = s.summary(nodes=True)  # every node only when asked (issue 15)
    assert summary.inputs == [{"name": "x", "value": 5.0, "grad": 75.0}]
    assert [n["id"] for n in summary.nodes] == [9, 10] and summary.outside == 9
    info = s.output_info()
    assert info is not None and (info.nodes, info.inputs, info.outside) == (2, 1, 9)


def test_nodes_all_marks_the_outside_never_with_stale_values_or_verdicts():
    s, _ = run(SEED, ":backward", ":check all", "x = 5; x^3")
    assert s.last_check is None  # it judged another f
    rows = one(s.run_line(":nodes all"), Nodes)
    assert rows.all and len(rows.nodes) == 11
    outside = [i for i in rows.nodes if not i.in_f]
    assert [i.id for i in outside] == list(range(9))
    ref = reference(s.graph, 8)  # the seed's f, at the inputs it reads
    for i in outside:
        assert i.grad is None and i.verdict is None
        # Every node outside f shows its full-pass value (issue 16: never a stale number).
        assert i.value == ref.value[i.id]
    lines = text(rows).splitlines()
    assert lines[1].split() == ["0", "x", "(earlier)", "input", "2", "—", "(outside", "f)"]
    # Outside f, a node shows its full-pass value (issue 16), never a gradient or verdict.
    assert lines[9].split() == ["8", "x²+3xy+1", "add", "23", "—", "(outside", "f)"]
    assert "pass" not in text(rows)
    assert lines[-1] == "9 nodes outside f, marked: f does not use them"
    shown = show(s, "#8").splitlines()
    assert shown[0].endswith("(not part of f)")
    assert shown[1:3] == ["  value 23", "  not part of f = x³; its value is from a full forward pass"]
    assert "  ∂f/∂(x²+3xy+1): no gradient (not part of f)" in shown


def test_headless_summary_and_json_show_only_fs_graph(tmp_path, capsys):
    path = tmp_path / "two.bp"
    path.write_text("x = 2\ny = 3\nx^2 + 3x*y + 1\nx = 5\nx^3\n", encoding="utf-8")
    assert cli_main(["--headless", "--no-color", str(path)]) == 0
    out = capsys.readouterr().out
    table = out[out.rindex("f = x³"):].splitlines()
    assert table[0] == "f = x³ = 125"
    assert [line.split() for line in table[3:4]] == [["x", "5", "75"]]
    assert "y" not in "".join(table[1:]) and table[4] == "  (9 nodes of the program outside f: not shown)"
    assert cli_main(["--headless", "--json", str(path)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    last_statement = [r for r in records if r["event"] == "statement"][-1]
    assert (last_statement["nodes"], last_statement["inputs"], last_statement["outside"]) == (2, 1, 9)
    summary = records[-1]
    assert summary["inputs"] == [{"name": "x", "value": 5.0, "grad": 75.0}]
    assert [n["label"] for n in summary["nodes"]] == ["x", "x³"] and summary["outside"] == 9


def test_a_rebound_name_shows_one_row_and_an_earlier_binding_f_uses_is_marked():
    s, _ = run("x = 2", "x = 5", "x^3")
    assert labels(s, [i.id for i in one(s.run_line(":nodes"), Nodes).nodes]) == ["x", "x³"]
    s, _ = run("c = 1; c = c + c + 1")
    rows = one(s.run_line(":nodes"), Nodes).nodes
    assert [(i.label, i.shadowed) for i in rows] == [("c", True), ("c+c", False), ("1", False),
                                                    ("c", False)]
    assert "c (earlier)" in text(Nodes(rows))


def test_the_session_says_which_node_f_is_and_why():
    s, (_, (st,)) = run("x = 2", "x2 = 3x")
    assert isinstance(st, Statement) and st.name == "x2"
    assert text(st).startswith("x2 = 6; f = x2 (the last statement)")
    info = s.output_info()
    assert info is not None and (info.label, info.name, info.chosen) == ("x2", "x2", False)
    assert info.reason == LAST_STATEMENT == "the last statement; :output NODE picks another"
    msg = one(s.run_line(":output x"), Info).message
    assert msg == ("now differentiating f = x (chosen with :output): 0 forward steps and "
                   "1 backward step")
    info = s.output_info()
    assert info is not None and info.chosen and info.reason == CHOSEN and info.label == "x"
    s.run_line("x2 + 1")  # a new statement is f again
    info = s.output_info()
    assert info is not None and not info.chosen and info.label == "x2+1"
    assert Session().output_info() is None


# ---------------------------------------------------------------------- 2. verdicts

def test_a_verdict_applies_only_once_the_gradient_it_judged_is_on_screen():
    s, _ = run(SEED, ":check")
    x, y = s.resolve("x"), s.resolve("y")
    v = s.check_verdict(x)
    assert v is not None and v.verdict == "pass" and v.analytic == 13.0 and not v.applies
    s.run_line(":forward")
    s.run_line(":step 3")  # f, x²+3xy, 3xy: y has its 6 (all of it), x nothing yet
    assert s.grad_complete(y) and not s.grad_complete(x)
    nodes = {i.id: i for i in one(s.run_line(":nodes"), Nodes).nodes}
    assert nodes[y].verdict is not None and nodes[y].verdict.applies
    assert nodes[x].verdict is not None and not nodes[x].verdict.applies
    table = text(Nodes([nodes[x], nodes[y]])).splitlines()
    assert table[1].split()[-5:] == ["0…", "pending", "(pass", "at", "13)"]
    # y's 6 is complete (its one consumer pushed) although its own row comes later: no "…".
    assert table[2].split()[-2:] == ["6", "pass"] and not s.final(y)
    pending = show(s, "x")
    assert "check: pending here — it judged the final gradient 13: pass" in pending
    s.run_line(":step")  # 3x: 9 of x's 13
    assert "now 9 so far" in show(s, "x")
    s.run_line(":step")  # x²: the 13 is complete, before x's own row
    assert s.check_verdict(x).applies and not s.final(x)  # type: ignore[union-attr]
    assert "check: pass (finite differences 13 vs backprop 13; central" in show(s, "x")


@pytest.mark.parametrize("change", [":set x = 3", "x + 1", ":output 3x", ":new"])
def test_a_check_is_dropped_when_what_it_judged_changes(change):
    s, _ = run(SEED, ":check")
    assert s.last_check is not None
    s.run_line(change)
    assert s.last_check is None
    if s.output is not None:
        assert all(s.node_info(i).verdict is None for i in range(len(s.prog.graph)))


# ---------------------------------------------------------------------- 3. the chain rule

def test_chain_term_lives_in_the_records_and_show_carries_terms():
    import backprop_tui.session_queries as queries

    assert queries.ChainTerm is records.ChainTerm and not hasattr(Session, "ChainTerm")
    s, _ = run(SEED, ":backward")
    node = one(s.run_line(":show x"), ShowNode)
    assert [(t.consumer_label, t.local_text, t.local, t.upstream, t.product, t.arrived)
            for t in node.terms] == [("x²", "2x", 4.0, 1.0, 4.0, True),
                                     ("3x", "3", 3.0, 3.0, 9.0, True)]
    data = json.loads(json.dumps(node.to_dict()))
    assert data["terms"] == [
        {"consumer": 2, "consumer_label": "x²", "local": 4.0, "local_text": "2x", "upstream": 1.0,
         "product": 4.0, "arrived": True},
        {"consumer": 4, "consumer_label": "3x", "local": 3.0, "local_text": "3", "upstream": 3.0,
         "product": 9.0, "arrived": True}]


def test_show_writes_the_gradient_as_the_sum_over_consumers():
    s, _ = run(SEED)
    assert show(s, "x").splitlines()[2] == (
        "  ∂f/∂x = ∂f/∂x²·2x + ∂f/∂3x·3: the backward pass computes each term")
    s.run_line(":forward")
    s.run_line(":step 4")  # through 3x's step: its 9 has arrived, x²'s 4 has not
    lines = show(s, "x").splitlines()
    assert lines[2] == "  ∂f/∂x = ∂f/∂x²·2x + ∂f/∂3x·3 = ?·4 + 3·3 = ? + 9: 9 so far"
    assert lines[3] == "    · from x²: ∂f/∂x²·2x (pending: x²'s backward step comes later)"
    assert lines[4] == "    ✓ from 3x: ∂f/∂3x·3 = 3·3 = 9 (arrived)"
    s.run_line(":backward")
    lines = show(s, "x").splitlines()
    assert lines[2] == "  ∂f/∂x = ∂f/∂x²·2x + ∂f/∂3x·3 = 1·4 + 3·3 = 4 + 9 = 13 (final)"
    assert lines[3] == "    ✓ from x²: ∂f/∂x²·2x = 1·4 = 4 (arrived)"
    # One term: no repeated "= 1 = 1"; labels that are sums get parentheses.
    assert "  ∂f/∂(x²+3xy) = ∂f/∂(x²+3xy+1)·1 = 1·1 = 1 (final)" in show(s, "x²+3xy").splitlines()
    assert "∂f/∂(x²+3xy+1) = 1: it is f, the seed ∂f/∂f = 1 (final)" in show(s, "x²+3xy+1")
    assert "∂f/∂3: no gradient (a number in the program)" in show(s, "3")


def test_chain_terms_with_two_edges_a_negative_local_and_many_consumers():
    s, _ = run("u = 3; w = u*u - 2*u", ":backward")
    lines = show(s, "u").splitlines()
    # u·u reads u twice: two terms from one consumer; ∂(2u)/∂u = 2 reaches u through -1.
    assert lines[2] == ("  ∂f/∂u = ∂f/∂uu·u + ∂f/∂uu·u + ∂f/∂2u·2 = 1·3 + 1·3 + (-1)·2 "
                        "= 3 + 3 + (-2) = 4 (final)")
    terms = " + ".join(f"x*{k}" for k in range(1, 13))
    s, _ = run(f"x = 1; {terms}", ":backward")
    lines = show(s, "x").splitlines()
    assert lines[2].count("∂f/∂") == 9 and "+ … (4 more terms)" in lines[2]
    assert lines[2].endswith("= 78 (final)")
    assert lines[-1] == "    … and 4 more terms (0 pending)"
    node = one(s.run_line(":show x"), ShowNode)
    assert (len(node.terms), node.more_terms, node.more_pending) == (8, 4, 0)
    s.run_line(":reset")
    s.run_line(":forward")
    s.run_line(":step 3")  # the last sum, x*12, the sum before: only x*12 has pushed to x
    node = one(s.run_line(":show x"), ShowNode)
    assert [t.arrived for t in node.terms] == [False] * 8
    assert (node.more_terms, node.more_pending) == (4, 3)
    assert text(node).splitlines()[-1] == "    … and 4 more terms (3 pending)"


def test_chain_sum_matches_the_gradient_for_every_node():
    s, _ = run("a = 0.5; b = -1.5; c = a*b + tanh(a); d = c*c + sin(b)/exp(a) - a; d*a + relu(c)",
               ":backward")
    g = s.prog.graph
    for i in s.bwd:
        if i == s.output:
            assert s.chain_terms(i) == []
            continue
        terms = s.chain_terms(i)
        assert terms and all(t.arrived for t in terms)
        assert sum(t.product for t in terms if t.product is not None) == pytest.approx(g.grad[i])


# ---------------------------------------------------------------------- 4. program order

def test_seed_steps_follow_the_program_and_backward_is_the_exact_reverse():
    s, _ = run(SEED)
    assert labels(s, s.fwd) == ["x²", "3x", "3xy", "x²+3xy", "x²+3xy+1"]
    assert labels(s, s.bwd) == ["x²+3xy+1", "x²+3xy", "3xy", "3x", "x²", "y", "x"]
    ops = [i for i in s.bwd if not s.prog.graph.is_leaf(i)]
    assert ops == list(s.fwd)[::-1]
    assert not any(s.prog.graph.op[i] == 2 for i in s.bwd)  # no literal gets a step


@pytest.mark.parametrize("lines", [
    ["x = 1; y = x*2", "x = y + 1", "x*y + sin(x)"],  # rebinding across lines
    ["a = 2\nb = a^2\nc = b*a - 3", "c/b + a"],  # a multi-line program in one chunk
    ["c = 1; c = c + c + 1"],
    ["w = 0.5; x1 = 2; h = tanh(w*x1 + 1); k: const = 2; o = k*h*h - pi"],
])
def test_creation_order_is_program_order_and_every_gradient_is_final_at_its_step(lines):
    s, _ = run(*lines)
    g = s.prog.graph
    cone = g.cone(s.output)
    assert list(s.fwd) == [i for i in range(len(cone)) if cone[i] and not g.is_leaf(i)]
    assert [i for i in s.bwd if not g.is_leaf(i)] == list(s.fwd)[::-1]
    assert all(g.takes_grad(i) for i in s.bwd)
    for i in s.fwd:  # operands are computed before the operation
        assert all(s.forward_step_of(j) < s.forward_step_of(i) for j in g.operands(i)
                   if not g.is_leaf(j))
    s.run_line(":forward")
    while s.pos < s.steps_total:
        i = s.bwd[s.pos - len(s.fwd)]
        assert all(s.final(c) for c in s.consumers(i))  # every term is in before its row
        s.run_line(":step")
    ref = Graph.__new__(Graph)
    ref.__dict__.update(g.__dict__)
    ref.value = list(g.value)
    ref.backward(s.output)
    assert [g.grad[i] for i in s.bwd] == [ref.grad[i] for i in s.bwd]  # the same order: exact


def test_literals_and_constants_have_no_step_and_say_why():
    s, _ = run("k: const = 2; x = 3; k*x + 1")
    assert labels(s, s.bwd) == ["kx+1", "kx", "x"]
    err = one(s.run_line(":goto 1"), Error)
    assert err.message == ("1 is a literal: it holds its value from the start and takes no "
                           "gradient, so it has no step")
    err = one(s.run_line(":goto k"), Error)
    assert err.message.startswith("k is a constant: it holds its value")
    err = one(s.run_line(":break 1"), Error)
    assert "a breakpoint there would never stop" in err.message
    s, _ = run("3")
    assert (list(s.fwd), list(s.bwd)) == ([], [])
    assert one(s.run_line(":step"), Info).message == ("nothing to step: f is a constant (it "
                                                      "takes no gradient)")


# ---------------------------------------------------------------------- 5. text fixes

def test_show_names_the_node_after_the_partial_and_parenthesises_local_labels():
    s, _ = run(SEED, ":forward")
    shown = show(s, "x²")
    assert "∂f/∂node" not in shown and "∂f/∂x² = ∂f/∂(x²+3xy)·1" in shown
    local = show(s, "x²+3xy+1")
    assert "∂(x²+3xy+1)/∂(x²+3xy) = 1" in local
    assert "/∂1" not in local  # no derivative with respect to a number in the program
    assert "∂3x/∂x = 3" in show(s, "3x") and "∂3x/∂3" not in show(s, "3x")


def test_negative_upstream_is_parenthesised_in_a_product():
    s, _ = run("w = 2; h1 = 3; p = w*h1; -p", ":forward", ":step")  # the seed at -p
    (step,) = [e for e in s.run_line(":step") if isinstance(e, Step)]
    assert step.node == "p"
    assert "∂f/∂w gets h1·(-1) = 3·(-1) = -3 (0 → -3)" in text(step)


def test_derivative_text_of_a_call_has_one_pair_of_parentheses():
    s, _ = run("w1 = 1; x1 = 2; w2 = 0.5; x2 = -1; b = 0.5; tanh(w1*x1 + w2*x2 + b)", ":forward")
    shown = show(s, "tanh(w1·x1+w2·x2+b)")
    assert "1-tanh(w1·x1+w2·x2+b)²" in shown and "((" not in shown


def test_an_output_named_f_is_not_f_equals_f(tmp_path, capsys):
    s, (_, (st,)) = run("x = 2", "f = x^2")
    assert text(st).startswith("f = 4 (the last statement)")
    phase = [e for e in s.run_line(":forward") if isinstance(e, Phase)][0]
    assert phase.message == "forward pass done: f = 4; next, the backward pass"
    assert text(s.summary()).splitlines()[0] == "f = 4"
    path = tmp_path / "f.bp"
    path.write_text("x = 2\nf = x^2\n", encoding="utf-8")
    assert cli_main(["--headless", "--no-color", str(path)]) == 0
    out = capsys.readouterr().out
    assert "f = f" not in out and "\nf = 4\n" in out


def test_lines_typed_in_a_session_say_the_statement_not_a_position():
    s, _ = run("x = 2", "y = 3", SEED.split("; ")[-1])
    shown = show(s, "3x")
    assert shown.splitlines()[0] == "#4 3x  [mul] in x^2 + 3x*y + 1" and " at " not in shown
    assert one(s.run_line(":show x"), ShowNode).info.statement == "x = 2"
    s, _ = run("a = 1; b = a + 2; c = b*b")
    assert show(s, "b").splitlines()[0] == "#2 b  [add] in b = a + 2"
    assert text(one(s.run_line(":frobnicate"), Error)).startswith("error: unknown command")
    f = Session()
    f.run_line("x = 2; y = 3; x^2 + 3x*y + 1", file="seed.bp", line=4)
    assert f.node_info(f.resolve("3x")).span == "4:21-22" and "at 4:21-22" in show(f, "3x")
    assert f.node_info(f.resolve("3x")).statement == ""


def test_step_counts_are_pluralised():
    s, ((st,),) = run("x = 2; x^2 + x")
    assert "2 forward steps and 3 backward steps" in text(st)
    s, ((st,),) = run("x = 2; x^2")
    assert "1 forward step and 2 backward steps" in text(st)
    assert one(s.run_line(":forward"), Info).message == "ran 1 step: now forward 1/1"


def test_hsweep_best_h_reads_as_a_step_size_with_its_error():
    s, _ = run("x = 1; exp(x)*sin(x)")
    ev = one(s.run_line(":hsweep x"), HSweep)
    last = text(ev).splitlines()[-1]
    assert last.startswith(f"best step size: h = {ev.best_forward:.1e} (error ")
    assert f"for forward differences, h = {ev.best_central:.1e} (error " in last
    assert "best h: forward" not in last


# ---------------------------------------------------------------------- help and quit

def test_help_and_quit_typed_as_statements():
    s, (helped, one_cmd, quitting, bad) = run("help", "help step", "quit", "help me")
    assert text(helped[0]).startswith("Type a statement") and isinstance(helped[0], Info)
    assert text(one_cmd[0]).startswith(":step [N]")
    assert quitting == [Info(QUIT_HELP, line=3)] and "Ctrl+Q" in QUIT_HELP
    assert isinstance(bad[0], Error)  # 'help me' is neither a command nor a statement
    assert s.output is None
    s, (bound, used, q) = run("help = 3", "help + 1", "exit = 2")
    assert isinstance(bound[0], Statement) and isinstance(used[0], Statement)
    assert isinstance(q[0], Statement)
    assert isinstance(s.run_line("exit")[0], Statement)  # a bound name is a statement
    assert one(s.run_line("quit"), Info).message == QUIT_HELP


def test_chain_term_is_a_plain_event_dataclass():
    t = ChainTerm(1, "x²", 2.0, "2x", None, None, False)
    assert json.loads(json.dumps(ShowNode(records.NodeInfo(0, "x", "input", 2.0, None, False, [],
                                                          ""), terms=[t]).to_dict()))["terms"] == [
        {"consumer": 1, "consumer_label": "x²", "local": 2.0, "local_text": "2x", "upstream": None,
         "product": None, "arrived": False}]
