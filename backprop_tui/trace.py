"""f's evaluation trace in Baydin et al.'s layout ("Automatic differentiation in machine
learning: a survey", 2018, Tables 2–3), as plain data for every view and exporter.

Primal rows: v₁₋ₙ … v₀ for f's n inputs (in creation order), then v₁ … v_l for its
operations in the order the session's forward steps evaluate them, each with its formula
in v-terms, the same with numbers, and the value; last, y = v_l. Beside it, either

- the forward tangent trace for one seed input (ẋ = 1, the other inputs 0): one row per
  primal row, v̇ᵢ = Σ ∂vᵢ/∂vⱼ·v̇ⱼ, ending with ẏ = ∂f/∂x; or
- the reverse adjoint trace: v̄_l = ȳ = 1, then one accumulation per edge, operations
  visited from v_l down to v₁ (the backward steps' order), v̄ⱼ = v̄ⱼ + v̄ᵢ·∂vᵢ/∂vⱼ, ending
  with x̄ = v̄ for each input: every partial from one sweep.

Literals and constants appear inline in the formulas (they carry no tangent or adjoint).
Everything is computed by full passes on scratch copies: a session's stepping state is
never touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from .dual import dual_pass
from .gradcheck import reference, scratch
from .graph import Graph
from .labels import apply_text, fmt_num, fmt_val, label, local_text, numbers
from .ops import INPUT
from .reports import Trace, TraceRow

_SUB = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")
DOT, BAR = "\u0307", "\u0304"  # combining dot (tangent) and macron (adjoint)


def v(index: int, mark: str = "") -> str:
    """Baydin's v₋₁, v̇₂, v̄₀."""
    return "v" + mark + str(index).translate(_SUB)


def marked(name: str, mark: str) -> str:
    """ẋ1, x̄1: the mark over the name's first character."""
    return name[:1] + mark + name[1:] if name else name


def trace(g: Graph, output: int, seed: int | None = None) -> Trace:
    """The primal trace with the tangent trace for input `seed`, or (seed None) with the
    adjoint trace. Raises EvalError when f cannot be evaluated."""
    ref = reference(g, output)
    order = g.step_order(output)[0]
    cone = g.cone(output)
    inputs = [i for i in range(output + 1) if cone[i] and g.op[i] == INPUT]
    index = {x: k - len(inputs) + 1 for k, x in enumerate(inputs)}
    index.update({i: k + 1 for k, i in enumerate(order)})

    def operand(j: int) -> str:
        """An operand in v-terms: vⱼ, or a literal or constant written inline."""
        if j in index:
            return v(index[j])
        text = g.names.get(j) or fmt_num(ref.value[j])
        return f"({text})" if text.startswith("-") else text

    def operands(i: int) -> tuple[str, str]:
        ops = g.operands(i)
        return operand(ops[0]), operand(ops[1]) if len(ops) > 1 else ""

    primal = [TraceRow(index[x], x, label(g, x), f"{v(index[x])} = {g.names.get(x, '')}", "",
                       ref.value[x]) for x in inputs]
    for i in order:
        a, b = operands(i)
        primal.append(TraceRow(index[i], i, label(g, i),
                               f"{v(index[i])} = {apply_text(g.op[i], g.k[i], a, b)}",
                               numbers(ref, i), ref.value[i]))
    last = index.get(output, 0)
    primal.append(TraceRow(last, output, label(g, output), f"y = {v(last)}", "", ref.value[output]))
    ev = Trace("forward" if seed is not None else "reverse", label(g, output), ref.value[output],
               primal)
    if seed is not None:
        ev.seed = g.names.get(seed, label(g, seed))
        ev.tangent = _tangent_rows(g, ref, output, seed, inputs, order, index, operands)
        ev.derivatives = {ev.seed: ev.tangent[-1].value}
    else:
        ev.adjoint = _adjoint_rows(g, ref, output, inputs, order, index, operands)
        ev.derivatives = {r.label: r.value for r in ev.adjoint[len(ev.adjoint) - len(inputs):]}
    return ev


def _terms(parts: list[tuple[str, str, str, str, str]]) -> tuple[str, str]:
    """In symbols and in numbers, Baydin's style: 'v̇₋₁·v₀ + v̇₂ − v̇₃ + v̇₄/v₋₁'. Each part is
    (local derivative text, tangent or adjoint symbol, its number, the local derivative's
    number, the operand's value for a local derivative 1/u); a unit factor is left out and
    1/u is written as a division."""
    sym = num = ""
    for local, s, s_num, d_num, u_num in parts:
        sign = "+"
        if local == "1":
            term, term_num = s, _paren(s_num)
        elif local == "-1":
            term, term_num, sign = s, _paren(s_num), "−"
        elif local.startswith("1/") and not any(c in local[2:] for c in "+-·/^() "):
            term, term_num = f"{s}/{local[2:]}", f"{_paren(s_num)}/{_paren(u_num)}"
        else:
            term, term_num = f"{s}·{local}", f"{_paren(s_num)}·{_paren(d_num)}"
        join = f" {sign} " if sym else ("−" if sign == "−" else "")
        sym += join + term
        num += join + term_num
    return sym or "0", num or "0"


def _tangent_rows(g: Graph, ref: Graph, output: int, seed: int, inputs: list[int],
                  order: Sequence[int], index: dict[int, int], operands) -> list[TraceRow]:
    s = scratch(ref)
    t = dual_pass(s, output, seed)
    rows = [TraceRow(index[x], x, label(g, x),
                     f"{v(index[x], DOT)} = {marked(g.names.get(x, ''), DOT)}", "", t[x])
            for x in inputs]
    for i in order:
        a, b = operands(i)
        derivs = s.local_derivs(i)
        ops = g.operands(i)
        parts = [(local_text(g.op[i], g.k[i], slot, a, b), v(index[j], DOT), fmt_val(t[j]),
                  fmt_val(derivs[slot]), fmt_val(s.value[ops[0]]))
                 for slot, j in enumerate(ops) if j in index]  # inputs and operations
        sym, num = _terms(parts)
        rows.append(TraceRow(index[i], i, label(g, i), f"{v(index[i], DOT)} = {sym}", num, t[i]))
    last = index.get(output, 0)
    rows.append(TraceRow(last, output, label(g, output), f"ẏ = {v(last, DOT)}", "", t[output]))
    return rows


def _adjoint_rows(g: Graph, ref: Graph, output: int, inputs: list[int], order: Sequence[int],
                  index: dict[int, int], operands) -> list[TraceRow]:
    last = index.get(output, 0)
    adj = {output: 1.0}
    rows = [TraceRow(last, output, label(g, output), f"{v(last, BAR)} = ȳ", "", 1.0)]
    for i in reversed(order):
        a, b = operands(i)
        derivs = ref.local_derivs(i)
        vi, up = index[i], adj.get(i, 0.0)
        ops = g.operands(i)
        for slot, j in enumerate(ops):
            if j not in index:  # a literal or a constant: no adjoint
                continue
            vj = v(index[j], BAR)
            local = local_text(g.op[i], g.k[i], slot, a, b)
            chain, product = _terms([(local, v(vi, BAR), fmt_val(up), fmt_val(derivs[slot]),
                                      fmt_val(ref.value[ops[0]]))])
            generic = f"{v(vi, BAR)}·∂{v(vi)}/∂{v(index[j])}"
            if j in adj:
                formula = f"{vj} = {vj} + {generic} = {vj} + {chain}"
                nums = f"{fmt_val(adj[j])} + {product}"
                adj[j] += up * derivs[slot]
            else:
                formula = f"{vj} = {generic} = {chain}"
                nums = product
                adj[j] = up * derivs[slot]
            rows.append(TraceRow(index[j], j, label(g, j), formula, nums, adj[j]))
    for x in inputs:
        rows.append(TraceRow(index[x], x, label(g, x),
                             f"{marked(g.names.get(x, ''), BAR)} = {v(index[x], BAR)}", "",
                             adj.get(x, 0.0)))
    return rows


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text
