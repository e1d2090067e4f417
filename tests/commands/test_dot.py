"""Graphviz DOT export and the :export command (works headless)."""

from __future__ import annotations

import re
import subprocess
import sys

from backprop_tui.dot import _quote, to_dot
from backprop_tui.events import Error, Exported
from backprop_tui.language import parse
from backprop_tui.ops import OPS
from backprop_tui.session import Session

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"


def node_lines(dot: str) -> dict[int, str]:
    return {int(m.group(1)): m.group(0) for m in re.finditer(r"^  n(\d+) \[.*\];$", dot, re.M)}


def test_seed_dot_has_labels_values_gradients_and_the_output():
    s = Session(parse(SEED))
    dot = to_dot(s)
    assert dot.startswith("digraph backprop {") and dot.rstrip().endswith("}")
    assert "rankdir=LR;" in dot
    nodes = node_lines(dot)
    assert len(nodes) == 9
    x, y, out = s.prog.bindings["x"], s.prog.bindings["y"], s.output
    assert '"x\\ninput\\nvalue 2\\n∂f 13"' in nodes[x]
    assert "∂f 6" in nodes[y]
    assert "x²+3xy+1" in nodes[out] and "value 23" in nodes[out] and "peripheries=2" in nodes[out]
    assert sum("peripheries=2" in line for line in nodes.values()) == 1
    assert "powk ^2" in dot and "mul ·" in dot and "add +" in dot
    assert "∂f" not in next(line for line in nodes.values() if '"1\\nliteral' in line)
    edges = re.findall(r"^  n(\d+) -> n(\d+)", dot, re.M)
    g = s.prog.graph
    assert sorted((int(a), int(b)) for a, b in edges) == sorted(
        (j, i) for i in range(len(g)) for j in g.operands(i))


def test_op_names_come_from_the_op_table():
    s = Session(parse("a = 1; b = 2; exp(a) - b/a + sin(a)^b + relu(b) * tanh(a)"))
    dot = to_dot(s)
    used = {OPS[o].name for o in s.prog.graph.op if OPS[o].arity > 0}
    for name in used:
        assert f"\\n{name}" in dot, name
    # operand order of sub, div, pow: the wire's label starts with its slot
    assert re.search(r'\[label="a: ', dot) and re.search(r'\[label="b: ', dot)


def test_state_export_follows_stepping():
    s = Session(parse(SEED))
    dot = to_dot(s, full=False)
    assert "value ·" in dot and "∂f 0…" in dot
    s.run_line(":step 3")  # x², 3x, 3xy
    dot = to_dot(s, full=False)
    cur = node_lines(dot)[s.current()]
    assert "filled" in cur and "value 18" in cur


def edge_labels(dot: str) -> dict[tuple[int, int], list[str]]:
    out: dict[tuple[int, int], list[str]] = {}
    for m in re.finditer(r'^  n(\d+) -> n(\d+) \[label="(.*)"\];$', dot, re.M):
        out.setdefault((int(m.group(1)), int(m.group(2))), []).append(m.group(3))
    return out


def test_wires_carry_values_forward_and_contributions_back():
    s = Session(parse(SEED))
    g = s.prog.graph
    x, y = s.prog.bindings["x"], s.prog.bindings["y"]
    x2, three_x = (next(i for i in range(len(g)) if s.node_info(i).label == lab) for lab in ("x²", "3x"))
    wires = edge_labels(to_dot(s))
    # x → x²: carries 2; ∂(x²)/∂x = 2x = 4; adds ∂f/∂(x²)·4 = 1·4 = 4 to ∂f/∂x
    assert wires[x, x2] == ["2\\n∂ 2x = 4\\nadds 1·4 = 4"]
    # x → 3x: ∂(3x)/∂x = 3 (no "= 3" twice); adds 3·3 = 9: the two add up to ∂f/∂x = 13
    assert wires[x, three_x] == ["2\\n∂ 3\\nadds 3·3 = 9"]
    lit3 = g.operands(three_x)[0]
    assert wires[lit3, three_x] == ["3"]  # a literal gets no gradient: its wire carries a value
    assert "adds 1·6 = 6" in next(v[0] for (j, _), v in wires.items() if j == y)


def test_state_wires_show_only_what_has_happened():
    s = Session(parse(SEED))
    wires = edge_labels(to_dot(s, full=False))
    x = s.prog.bindings["x"]
    assert all("adds" not in v for vs in wires.values() for v in vs)
    g = s.prog.graph
    x2 = next(i for i in range(len(g)) if s.node_info(i).label == "x²")
    assert wires[x, x2] == ["2"]  # x's value is known; x² is not computed: no ∂ yet
    # Backward steps reverse program order: 3x pushes to x (backward 4/7) before x² (5/7).
    s.run_line(":step 9")  # the forward pass and backward steps up to 3x's (it pushes 9 to x)
    wires = edge_labels(to_dot(s, full=False))
    three_x = next(i for i in range(len(g)) if s.node_info(i).label == "3x")
    assert wires[x, three_x] == ["2\\n∂ 3\\nadds 3·3 = 9"]
    assert wires[x, x2] == ["2\\n∂ 2x = 4"]  # x² has not pushed yet
    s.run_line(":step")  # x²'s backward step: it pushes 4 to x
    wires = edge_labels(to_dot(s, full=False))
    assert wires[x, x2] == ["2\\n∂ 2x = 4\\nadds 1·4 = 4"]


def test_export_command(tmp_path):
    s = Session()
    path = tmp_path / "seed.dot"
    assert isinstance(s.run_line(f":export dot {path}")[0], Error)  # no program yet
    s.run_line(SEED)
    ev = s.run_line(f":export dot {path}")
    assert isinstance(ev[0], Exported) and "wrote" in ev[0].message and ev[0].path == str(path)
    assert path.read_text(encoding="utf-8") == to_dot(s)
    s.run_line(f":export dot {tmp_path / 'state.dot'} state")
    assert "value ·" in (tmp_path / "state.dot").read_text(encoding="utf-8")
    for bad, words in ((f":export png {path}", "formats are dot, trace and html"), (":export", "usage"),
                       (":export dot", "which file"), (f":export dot {path} sideways", "unexpected"),
                       (f":export dot {tmp_path / 'no' / 'such' / 'dir.dot'}", "cannot write")):
        err = s.run_line(bad)[0]
        assert isinstance(err, Error) and words in err.message, bad


def test_export_in_headless_mode(tmp_path):
    path = tmp_path / "out.dot"
    prog = f"{SEED}\n:export dot {path}\n"
    run = subprocess.run([sys.executable, "-m", "backprop_tui", "--headless", "-"], input=prog,
                         capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "digraph backprop" in path.read_text(encoding="utf-8")


def test_quoting():
    assert _quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_layout_and_dot_never_import_textual():
    code = ("import sys, backprop_tui.layout, backprop_tui.dot, backprop_tui.session; "
            "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "False", run.stderr
