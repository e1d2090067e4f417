"""The stepping page: one self-contained HTML file that steps through the session in a browser.

The page holds everything it needs (inline CSS and JavaScript, no network): the graph laid
out here with layout.py's layered layout and drawn by the page as SVG, every forward and
backward step of f with its formula and adjoint accumulations (model.py's rows), the
narration of the replay file at the step where it was said, and the finite-difference
verdicts of every gradient. Buttons and ← → (Home, End) step; ``page.html#step=5`` opens at
step 5, so a link can point at one step.

Safety: the data travels as JSON inside ``<script type="application/json">`` with every
``<``, ``>`` and ``&`` written as a \\u escape (so no ``</script>`` or ``<!--`` can appear), and
the page's script inserts user text with textContent only. The title is html.escape'd.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from .. import files, gradcheck
from ..graph import EvalError, Graph
from ..labels import fmt_val, label
from ..layout import LayoutTooLarge, layout
from ..ops import CONST, INPUT, LITERAL, OPS
from ..session import Session
from .model import Trace, Walk, trace, v_name, walk

MAX_PAGE_NODES = 400  # nodes of f's graph the page draws (and checks one by one)
CHAR_W = 7.8  # px per character of the page's 13px monospace node text
BOX_H, ROW_H, GAP, MARGIN = 58, 80, 104, 24


class PageError(ValueError):
    """The page cannot be made (too large a graph): str() says why and what to do."""


def _kind(g: Graph, i: int) -> str:
    """input, const, literal, or the op's name (with its symbol for an operator): mul ·."""
    o = g.op[i]
    if o in (INPUT, CONST, LITERAL):
        return OPS[o].name
    op = OPS[o]
    return op.name if op.kind == "call" else f"{op.name} {op.symbol}"


def page_data(s: Session) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data (numbers pre-formatted as text)."""
    out = s.require_program()
    g = s.prog.graph
    cone = [i for i in range(out + 1) if s.in_cone(i)]
    if len(cone) > MAX_PAGE_NODES:
        raise PageError(f"f's graph has {len(cone):,} nodes; the page draws at most "
                        f"{MAX_PAGE_NODES}: :export trace FILE.html writes its trace instead")
    w = walk(s)
    t = trace(s, w)
    return {
        "title": t.output_label,
        "source": t.source,
        "total": len(s.fwd) + len(s.bwd),
        "forward_steps": len(s.fwd),
        "start": w.start,
        **_graph(s, cone, {r.node: r.index for r in t.primal}),
        "steps": _steps(g, w, t),
        "narration": _narration(s, len(s.fwd) + len(s.bwd)),
        "check": _check(s, out),
        "result": {"value": None if t.value is None else fmt_val(t.value),
                   "inputs": [{"name": i.name, "grad": None if i.grad is None else fmt_val(i.grad)}
                              for i in t.inputs]},
        "error": t.error,
    }


def _graph(s: Session, cone: list[int], idx: dict[int, int]) -> dict[str, Any]:
    g = s.prog.graph
    values = {i: g.value[i] for i in cone}
    widths = {i: max(len(label(g, i)), 12, len(_kind(g, i))) for i in cone}
    try:
        lay = layout(cone, g.operands, lambda i: label(g, i),
                     pull={i for i in cone if g.op[i] in (CONST, LITERAL)}, max_items=4 * MAX_PAGE_NODES)
    except LayoutTooLarge as exc:
        raise PageError(f"the graph is too tangled to draw ({exc}); :export trace FILE.html "
                        "writes its trace instead") from None
    layers = max((b.layer for b in lay.boxes.values()), default=0) + 1
    colw = [0.0] * layers
    for i, b in lay.boxes.items():
        colw[b.layer] = max(colw[b.layer], widths[i] * CHAR_W + 18)
    xs = [float(MARGIN)] * layers
    for k in range(1, layers):
        xs[k] = xs[k - 1] + colw[k - 1] + GAP
    nodes = []
    for i in cone:
        b = lay.boxes[i]
        leaf = g.is_leaf(i)
        nodes.append({
            "id": i, "label": label(g, i), "kind": _kind(g, i),
            "v": v_name(idx[i]) if i in idx else "",
            "x": round(xs[b.layer]), "y": MARGIN + b.row * ROW_H, "w": round(colw[b.layer]),
            "h": BOX_H, "grad": g.takes_grad(i), "output": i == s.output,
            # The state at step 0: leaves hold their values, operations are not computed.
            "value0": fmt_val(values[i]) if leaf else None,
        })
    edges = []
    for i in cone:
        ops_ = g.operands(i)
        for slot, j in enumerate(ops_):
            edges.append({"from": j, "to": i, "slot": slot, "slots": len(ops_),
                          "tag": "ab"[slot] if len(ops_) == 2 and OPS[g.op[i]].name in
                          ("sub", "div", "pow") else ""})
    width = round(xs[-1] + colw[-1] + MARGIN)
    height = MARGIN * 2 + (max((b.row for b in lay.boxes.values()), default=0)) * ROW_H + BOX_H
    return {"nodes": nodes, "edges": edges, "width": width, "height": height}


def _steps(g: Graph, w: Walk, t: Trace) -> list[dict[str, Any]]:
    by_step: dict[int, list[Any]] = {}
    for a in t.adjoint:
        by_step.setdefault(a.step, []).append(a)
    primal = {r.node: r for r in t.primal}
    steps: list[dict[str, Any]] = []
    for st in w.steps:
        if st.phase == "forward":
            steps.append({"phase": "forward", "node": st.id, "n": st.step, "of": st.total,
                          "value": fmt_val(st.value), "text": st.formula,
                          "v": v_name(primal[st.id].index)})
            continue
        rows = [a for a in by_step.get(st.step, []) if a.kind != "seed"]
        # Pushes come in operand order, skipping operands without a gradient: their slots.
        slots = [k for k, j in enumerate(g.operands(st.id)) if g.takes_grad(j)]
        steps.append({
            "phase": "backward", "node": st.id, "n": st.step, "of": st.total,
            "grad": None if st.grad is None else fmt_val(st.grad), "seeded": st.seeded,
            "kink": st.kink,
            "pushes": [{"to": a.node, "slot": slot, "before": fmt_val(a.before),
                        "after": fmt_val(a.value), "add": fmt_val(a.contribution),
                        "local": a.local_text, "text": a.formula}
                       for a, slot in zip(rows, slots, strict=True)],
            "seed": next((a.formula for a in by_step.get(st.step, []) if a.kind == "seed"), ""),
        })
    return steps


def _narration(s: Session, total: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pos, text in s.narration:
        out.setdefault(str(min(pos, total)), []).append(text)
    return out


def _check(s: Session, out: int) -> dict[str, Any] | None:
    g = s.prog.graph
    nodes = [i for i in reversed(s.bwd) if g.takes_grad(i)]
    try:
        rows, evals, _ = gradcheck.check(g, out, nodes, "central")
    except EvalError:
        return None
    atol, rtol = gradcheck.TOLERANCES["central"]
    return {"mode": "central", "atol": f"{atol:g}", "rtol": f"{rtol:g}", "evals": evals,
            "rows": [{"node": r.id, "label": label(g, r.id), "analytic": fmt_val(r.analytic),
                      "numeric": f"{r.numeric:.10g}", "rel": f"{r.rel_err:.2e}",
                      "verdict": r.verdict} for r in rows]}


# ---------------------------------------------------------------------- the HTML text

_PLACEHOLDER = re.compile(r"@@(TITLE|DATA)@@")


def script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element: no <, > or & survives literally (so no
    </script>, <!-- or entity can form) and the JS line terminators are escaped too."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def to_page(s: Session) -> str:
    """The whole page as one HTML document."""
    data = page_data(s)
    template = files.read_text(Path(__file__).with_name("page.html"))
    fills = {"TITLE": html.escape(f"f = {data['title']} — backprop, step by step"),
             "DATA": script_json(data)}
    # One pass: a filled value is never scanned again (a name may well be @@DATA@@-like).
    return _PLACEHOLDER.sub(lambda m: fills[m.group(1)], template)
