"""Graphviz DOT export of the node graph (the :export command is in commands/export.py).

Node text comes from the labels module and op names from the op table, so the export
reads exactly what every other view reads.
"""

from __future__ import annotations

import math

from .gradcheck import reference
from .graph import EvalError
from .labels import deriv_text, fmt_num, fmt_val, label
from .ops import CONST, INPUT, LITERAL, OPS
from .session import Session

FORMATS = ("dot",)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _num(x: float) -> str:
    return fmt_val(x) if not math.isnan(x) else "nan"


def to_dot(session: Session, full: bool = True) -> str:
    """The whole graph as DOT, left to right, the output drawn with a double border.

    full=True shows the values and gradients of complete forward and backward passes;
    full=False shows the stepping state: "·" for values not yet computed, "…" after
    gradients that are not final, and the current node filled.
    """
    g = session.prog.graph
    out = session.output
    n = len(g)
    values, grads = g.value, g.grad
    ref = g
    if full and out is not None:
        try:
            ref = reference(g, out)
            values, grads = ref.value, ref.grad
        except EvalError:
            full = False  # the stepping state is all there is
    current = None if full else session.current()
    lines = [
        "digraph backprop {",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [color="#777777", fontname="Helvetica", fontsize=10];',
    ]
    for i in range(n):
        o = g.op[i]
        op = OPS[o]
        in_cone = session.in_cone(i)
        kind = "input" if o == INPUT else "const" if o == CONST else (
            "literal" if o == LITERAL else f"{op.name} ^{fmt_num(g.k[i])}" if op.kind == "powk"
            else f"{op.name} {op.symbol}".rstrip())
        text = [label(g, i), kind]
        if full or session.computed(i):
            text.append(f"value {_num(values[i])}")
        else:
            text.append("value ·")
        if in_cone and g.takes_grad(i):
            grad = f"∂f {_num(grads[i])}"
            if not full and not session.final(i):
                grad += "…"
            text.append(grad)
        attrs = [f"label={_quote(chr(10).join(text))}"]
        if i == out:
            attrs.append("peripheries=2")
            attrs.append('xlabel="f"')
        if i == current:
            attrs.append('style="rounded,filled"')
            attrs.append('fillcolor="#ffe08a"')
        elif o in (CONST, LITERAL):
            attrs.append('color="#999999"')
        if not in_cone:
            attrs.append('fontcolor="#999999"')
            attrs.append('style="rounded,dashed"')
        lines.append(f"  n{i} [{', '.join(attrs)}];")
    derivs_of = ref.local_derivs if full and out is not None else g.local_derivs
    for i in range(n):
        ops_ = g.operands(i)
        if not ops_:
            continue
        # Wire labels: the value the wire carries forward; going back, the local derivative
        # ∂i/∂j and the contribution ∂f/∂i · ∂i/∂j it adds to ∂f/∂j (once i's step pushed it).
        known = full or (session.computed(i) and all(session.computed(j) for j in ops_))
        derivs = derivs_of(i) if known else ()
        pushed = session.in_cone(i) and (full or session.final(i))
        for slot, j in enumerate(ops_):
            # Slot names only where operand order matters (a - b, a / b, a ^ b, user ops).
            tag = "ab"[slot] + ": " if len(ops_) == 2 and not OPS[g.op[i]].commutative else ""
            text = [tag + (_num(values[j]) if full or session.computed(j) else "·")]
            if derivs and g.takes_grad(j):
                sym, d = deriv_text(g, i, slot), derivs[slot]
                text.append(f"∂ {sym}" + ("" if sym == _num(d) else f" = {_num(d)}"))
                if pushed:
                    text.append(f"adds {_num(grads[i])}·{_num(d)} = {_num(grads[i] * d)}")
            lines.append(f"  n{j} -> n{i} [label={_quote(chr(10).join(text))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
