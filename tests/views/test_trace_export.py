"""The evaluation trace (Baydin et al. 2018, Tables 2–3) and its Markdown, LaTeX, CSV and
HTML writers: goldens for the seed, the rows' numbers, escaping, and :export trace."""

from __future__ import annotations

import csv
import html.parser
import io
import os
import re
from pathlib import Path

import pytest

from backprop_tui.events import Error, Exported
from backprop_tui.handout.formats import tex_bar, tex_math, to_csv, to_html, to_latex, to_markdown
from backprop_tui.handout.model import bar, trace, v_name
from backprop_tui.language import parse
from backprop_tui.session import Session

SEED = "x = 2; y = 3; x^2 + 3x*y + 1"
GOLDEN = Path(__file__).resolve().parent.parent / "golden"


def seed() -> Session:
    return Session(parse(SEED))


@pytest.mark.parametrize("ext, writer", [("md", to_markdown), ("tex", to_latex), ("csv", to_csv)])
def test_seed_trace_matches_golden(ext, writer):
    """Regenerate deliberately: UPDATE_GOLDEN=1 pytest tests/views/test_trace_export.py -k golden."""
    text = writer(trace(seed()))
    path = GOLDEN / f"seed-trace.{ext}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_primal_rows_follow_baydins_numbering_and_the_forward_steps():
    s = seed()
    t = trace(s)
    assert [(r.index, r.label) for r in t.primal] == [
        (-1, "x"), (0, "y"), (1, "x²"), (2, "3x"), (3, "3xy"), (4, "x²+3xy"), (5, "x²+3xy+1")]
    assert [r.node for r in t.primal if r.kind == "op"] == list(s.fwd)  # the forward steps' order
    assert t.primal[2].formula == "x² = 2² = 4" and t.primal[3].formula == "3x = 3 × 2 = 6"
    assert t.primal[-1].value == 23
    assert t.value == 23 and t.complete and [(i.name, i.grad) for i in t.inputs] == [("x", 13), ("y", 6)]


def test_adjoint_rows_accumulate_with_numbers():
    t = trace(seed())
    rows = [(a.step, a.label, a.kind, a.formula) for a in t.adjoint]
    # a long label's adjoint goes by its index (v̄₅), a short one's over the label (3̅x̅)
    assert rows[0] == (1, "x²+3xy+1", "seed", "v\u0304₅ = 1 (the seed: ∂f/∂f = 1)")
    assert rows[1][3] == "v\u0304₄ = v\u0304₅·1 = 1·1 = 1"
    x_rows = [r for r in rows if r[1] == "x"]
    # backward steps reverse the forward order: 3x pushes to x (step 4) before x² does (5)
    assert x_rows == [(4, "x", "assign", "x̄ = 3̅x̅·3 = 3·3 = 9"),
                      (5, "x", "accumulate", "x̄ = x̄ + x̅²̅·2x = 9 + 4 = 13")]
    last_x = [a for a in t.adjoint if a.label == "x"][-1]
    parts = (last_x.before, last_x.upstream, last_x.local, last_x.contribution, last_x.value)
    assert parts == (9, 1, 4, 4, 13)
    # literals (3, 1) take no gradient: no step pushes to them and no row names them
    assert not {"1", "3"} & {a.label for a in t.adjoint}
    # every push's numbers add up: before + upstream·local = after
    for a in t.adjoint[1:]:
        assert a.before + a.upstream * a.local == a.value


def test_baydins_example_gives_baydins_numbers():
    """Baydin et al. 2018, Tables 2-3: y = ln x₁ + x₁x₂ - sin x₂ at (2, 5)."""
    t = trace(Session(parse("x₁ = 2; x₂ = 5; log(x₁) + x₁*x₂ - sin(x₂)")))
    # Program order, left to right: v₁ = ln v₋₁ and v₂ = v₋₁v₀ as in the survey; the sum is
    # computed before sin x₂ (the survey evaluates sin first), so its v₃ and v₄ trade places.
    assert [(r.index, r.label) for r in t.primal] == [
        (-1, "x₁"), (0, "x₂"), (1, "log(x₁)"), (2, "x₁·x₂"), (3, "log(x₁)+x₁·x₂"), (4, "sin(x₂)"),
        (5, "log(x₁)+x₁·x₂-sin(x₂)")]
    assert f"{t.value:.3f}" == "11.652"
    assert {i.name: f"{i.grad:.3f}" for i in t.inputs} == {"x₁": "5.500", "x₂": "1.716"}
    # The adjoints arrive in Table 3's order: v̄₋₁ = 5 then 5.5, v̄₀ = -0.284 then 1.716.
    x1 = [a for a in t.adjoint if a.label == "x₁"]
    assert [a.formula for a in x1] == ["x\u0304₁ = v\u0304₂·x₂ = 1·5 = 5",
                                       "x\u0304₁ = x\u0304₁ + v\u0304₁·1/x₁ = 5 + 0.5 = 5.5"]
    x2 = [a for a in t.adjoint if a.label == "x₂"]
    assert [a.formula for a in x2] == [
        "x\u0304₂ = v\u0304₄·cos(x₂) = (-1)·0.283662 = -0.283662",
        "x\u0304₂ = x\u0304₂ + v\u0304₂·x₁ = -0.283662 + 2 = 1.71634"]
    sin_row = next(a for a in t.adjoint if a.label == "sin(x₂)")
    assert sin_row.formula == "v\u0304₄ = v\u0304₅·(-1) = 1·(-1) = -1"  # a - b: ∂/∂b = -1


def test_walking_leaves_the_session_where_it_was():
    s = seed()
    s.run_line(":step 7")
    before = (s.pos, list(s.prog.graph.value), list(s.prog.graph.grad), s.current())
    trace(s)
    assert (s.pos, list(s.prog.graph.value), list(s.prog.graph.grad), s.current()) == before


def test_a_node_used_twice_by_one_operation_gets_two_rows():
    t = trace(Session(parse("a = 3; a*a")))
    pushes = [a for a in t.adjoint if a.kind != "seed"]
    assert [(a.kind, a.before, a.value) for a in pushes] == [("assign", 0, 3), ("accumulate", 3, 6)]
    a_bar, aa_bar = "a\u0304", "a\u0305a\u0305"  # the label of a*a is aa
    assert pushes[1].formula == f"{a_bar} = {a_bar} + {aa_bar}·a = 3 + 3 = 6"


def test_a_trace_that_cannot_finish_says_why():
    s = Session(parse("x = 0; log(x) + 1"))
    t = trace(s)
    assert not t.complete and "log" in t.error and t.value is None
    assert "stops early" in to_markdown(t) and "stops early" in to_latex(t)


def test_negative_numbers_are_parenthesised_in_products():
    x_bar, three_x_bar = "x\u0304", "3\u0305x\u0305"
    t = trace(Session(parse("x = 2; -3x")))  # -(3x): the upstream gradient is -1
    assert next(a for a in t.adjoint if a.label == "x").formula == f"{x_bar} = {three_x_bar}·3 = (-1)·3 = -3"
    t = trace(Session(parse("x = 2; x - 3x")))
    last = [a for a in t.adjoint if a.label == "x"][-1]
    assert last.formula.endswith("= 1 + (-3) = -2") and last.kind == "accumulate"


def test_bars_and_indices():
    assert bar("x") == "x\u0304" and bar("x₁") == "x\u0304₁" and bar("3x") == "3\u0305x\u0305"
    assert v_name(-1) == "v₋₁" and v_name(12) == "v₁₂"


def test_latex_turns_labels_into_math_and_escapes_specials():
    assert tex_math("x²+3xy") == "x^{2}+3xy"
    assert tex_math("3 × 2") == "3 \\times 2" and tex_math("w·x₁") == "w\\cdot x_{1}"
    assert tex_math("tanh(α)") == "\\tanh(\\alpha )" and tex_math("sigmoid(x)") == "\\mathrm{sigmoid}(x)"
    assert tex_math("1.5e-08") == "1.5\\times 10^{-8}" and tex_math("x^(-1.5)") == "x^{(-1.5)}"
    assert tex_math("a_b & c%#$") == "a\\_b \\& c\\%\\#\\$"
    assert tex_bar("x") == "\\bar{x}" and tex_bar("3x") == "\\overline{3x}"
    doc = to_latex(trace(seed()))
    assert doc.count("\\begin{tabular}") == doc.count("\\end{tabular}") == 2
    for line in doc.splitlines():
        if line.endswith("\\\\"):
            assert line.count("$") % 2 == 0, line  # math opened is closed
            body = re.sub(r"\\[{}]", "", line)
            assert body.count("{") == body.count("}"), line


def test_latex_rows_have_as_many_cells_as_their_table_has_columns():
    doc = to_latex(trace(Session(parse("w = 0.5; b = -1; x = 2; tanh(w*x + b)^2"))))
    tables = re.findall(r"\\begin\{tabular\}\{(\w+)\}(.*?)\\end\{tabular\}", doc, re.S)
    assert len(tables) == 2
    for spec, body in tables:
        rows = [r for r in body.splitlines() if r.endswith("\\\\")]
        assert rows and all(r.replace("\\&", "").count("&") == len(spec) - 1 for r in rows)


def test_csv_holds_both_traces_at_full_precision():
    t = trace(Session(parse("x = 0.1; y = 0.2; x*y + x")))
    rows = list(csv.DictReader(io.StringIO(to_csv(t))))
    assert {r["trace"] for r in rows} == {"primal", "adjoint"}
    mul = next(r for r in rows if r["trace"] == "primal" and r["label"] == "xy")
    assert float(mul["value"]) == 0.1 * 0.2  # repr, not 6 digits
    last = [r for r in rows if r["trace"] == "adjoint" and r["label"] == "x"][-1]
    assert float(last["value"]) == 0.2 + 1.0 and last["kind"] == "accumulate"


class _Cells(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.cells.append(data)


def test_html_trace_escapes_what_the_user_typed():
    s = Session()
    s.run_line('x = 2  # <script>alert("&")</script>')
    s.run_line("x^2")
    page = to_html(trace(s))
    assert "<script>" not in page and "&lt;script&gt;" in page
    p = _Cells()
    p.feed(page)
    assert "script" not in p.tags and "x² = 2² = 4" in p.cells


def test_export_trace_by_extension(tmp_path):
    s = seed()
    for ext, needle in ((".md", "| v₋₁ | x | x = 2 | 2 |"), (".tex", "\\begin{tabular}"),
                        (".csv", "trace,step,v,node"), (".html", "<table>")):
        path = tmp_path / f"t{ext}"
        (ev,) = s.run_line(f":export trace {path}")
        assert isinstance(ev, Exported) and ev.path == str(path), ev
        assert needle in path.read_text(encoding="utf-8")
    (err,) = s.run_line(f":export trace {tmp_path / 't.pdf'}")
    assert isinstance(err, Error) and ".csv, .htm, .html, .markdown, .md, .tex" in err.message
    (ev,) = s.run_line(f':export trace "{tmp_path / "with space.md"}"')
    assert isinstance(ev, Exported) and (tmp_path / "with space.md").exists()


def test_a_recorded_export_writes_the_same_file_when_replayed(tmp_path, monkeypatch):
    from backprop_tui import cli

    work, rec_dir, elsewhere = tmp_path / "work", tmp_path / "rec", tmp_path / "elsewhere"
    for d in (work, rec_dir, elsewhere):
        d.mkdir()
    monkeypatch.chdir(work)
    s = Session()
    s.run_line(f":record {rec_dir / 'r.bp'}")
    s.run_line(SEED)
    s.run_line(":export trace 'my notes.md'")
    s.run_line(":export dot g.dot state")
    s.run_line(":record stop")
    (work / "my notes.md").unlink()
    (work / "g.dot").unlink()
    text = (rec_dir / "r.bp").read_text(encoding="utf-8")
    assert ":export trace '../work/my notes.md'" in text and ":export dot ../work/g.dot state" in text
    monkeypatch.chdir(elsewhere)
    assert cli.main(["--headless", "-q", str(rec_dir / "r.bp")]) == 0
    assert (work / "my notes.md").exists() and "value ·" in (work / "g.dot").read_text()
    assert not list(elsewhere.iterdir())
