"""The evaluation trace written out: Markdown, LaTeX (tabular), CSV or HTML.

Every writer takes a model.Trace and returns text. User text (labels, names, the program)
is escaped for each format: Markdown punctuation, LaTeX specials (labels become math:
x² → x^{2}, 3x → 3x, σ → \\sigma), CSV quoting by the csv module, HTML by html.escape.
"""

from __future__ import annotations

import csv
import html
import io
import re

from ..labels import fmt_val
from ..ops import FUNCTIONS
from .model import SHORT_LABEL, AdjointRow, Trace, v_name

TRACE_FORMATS = {".md": "markdown", ".markdown": "markdown", ".tex": "latex", ".csv": "csv",
                 ".html": "html", ".htm": "html"}

_ADJOINT_NOTE = ("Each row pushes a node's adjoint v̄ = ∂f/∂v to one operand: the adjoint times "
                 "the local derivative; a node used twice accumulates (v̄ = v̄ + …).")


def _result(t: Trace) -> str:
    if t.value is None:
        return "f could not be evaluated"
    grads = [f"∂f/∂{i.name} = {fmt_val(i.grad)}" for i in t.inputs if i.grad is not None]
    return f"f = {fmt_val(t.value)}" + (f"; {', '.join(grads)}" if grads else "")


# ---------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\|*_`<>\[\]#])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _fence(lines: list[str]) -> str:
    body = "\n".join(lines)
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return f"{ticks}text\n{body}\n{ticks}"


def to_markdown(t: Trace) -> str:
    out = [f"# Evaluation trace of f = {_md(t.output_label)}", "", _fence(t.source), "",
           "## Primal trace (forward pass)", "", "| v | node | formula | value |",
           "| --- | --- | --- | ---: |"]
    for r in t.primal:
        out.append(f"| {v_name(r.index)} | {_md(r.label)} | {_md(r.formula)} | {fmt_val(r.value)} |")
    if t.constants:
        out += ["", "Constants: " + ", ".join(f"{_md(n)} = {fmt_val(v)}" for n, v in t.constants)]
    out += ["", "## Adjoint trace (backward pass)", "", _ADJOINT_NOTE, "",
            "| step | v̄ | node | accumulation | v̄ |", "| ---: | --- | --- | --- | ---: |"]
    for a in t.adjoint:
        out.append(f"| {a.step} | {_bar_v(a.index)} | {_md(a.label)} | {_md(a.formula)} | "
                   f"{fmt_val(a.value)} |")
    out += ["", f"Result: {_md(_result(t))}."]
    if not t.complete:
        out += ["", f"The trace stops early: {_md(t.error or 'the passes did not finish')}."]
    return "\n".join(out) + "\n"


def _bar_v(index: int) -> str:
    name = v_name(index)
    return name[0] + "\u0304" + name[1:]


# ---------------------------------------------------------------------- LaTeX

_GREEK = {ch: "\\" + name for ch, name in zip(
    "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ",
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
    "tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
    strict=True)}
_SUPER = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+", strict=True))
_SUBS = dict(zip("₀₁₂₃₄₅₆₇₈₉₋", "0123456789-", strict=True))
_SYMBOLS = {"×": "\\times ", "·": "\\cdot ", "−": "-", "…": "\\ldots ", "∂": "\\partial ",
            "→": "\\to ", "±": "\\pm ", "#": "\\#", "$": "\\$", "%": "\\%", "&": "\\&",
            "_": "\\_", "{": "\\{", "}": "\\}", "~": "\\sim ", "\\": "\\backslash "}
_FUNCS = {"exp": "\\exp", "log": "\\log", "sin": "\\sin", "cos": "\\cos", "tan": "\\tan",
          "tanh": "\\tanh"}
_NAMES = sorted({*FUNCTIONS, "sign", "step"}, key=len, reverse=True)  # tanh before tan
_TOKEN = re.compile(r"(?P<sci>\d+(?:\.\d+)?)e(?P<exp>[-+]\d+)|(?P<fn>" + "|".join(_NAMES) +
                    r")\(|\^(?P<pow>\([^()]*\)|[-\w.]+)|(?P<nan>\bnan\b|\binf\b)")


def tex_math(text: str) -> str:
    """Label or formula text as LaTeX math (without the $…$)."""
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        out.append(_tex_chars(text[pos:m.start()]))
        if m.group("sci"):
            out.append(f"{m.group('sci')}\\times 10^{{{int(m.group('exp'))}}}")
        elif m.group("fn"):
            name = m.group("fn")
            out.append((_FUNCS.get(name) or f"\\mathrm{{{name}}}") + "(")
        elif m.group("pow"):
            out.append("^{" + tex_math(m.group("pow")) + "}")
        else:
            out.append("\\infty " if m.group("nan") == "inf" else "\\mathrm{nan}")
        pos = m.end()
    out.append(_tex_chars(text[pos:]))
    return re.sub(r" {2,}", " ", "".join(out)).strip()  # math mode ignores spaces anyway


def _tex_chars(text: str) -> str:
    out: list[str] = []
    k = 0
    while k < len(text):
        ch = text[k]
        for table, mark in ((_SUPER, "^"), (_SUBS, "_")):
            if ch in table:
                run = ""
                while k < len(text) and text[k] in table:
                    run += table[text[k]]
                    k += 1
                out.append(f"{mark}{{{run}}}")
                break
        else:
            if ch in _SYMBOLS:
                out.append(_SYMBOLS[ch])
            elif ch in _GREEK:
                out.append(_GREEK[ch] + " ")
            elif ch == "\u0304" or ch == "\u0305":
                pass  # bars are written with \bar / \overline by the caller
            elif ord(ch) < 128:
                out.append(ch)
            else:
                out.append(f"\\text{{{ch}}}")
            k += 1
    return "".join(out)


def tex_bar(label: str) -> str:
    """\\bar{x} for a one-letter label, \\overline{3x} for a longer one."""
    body = tex_math(label)
    single = len(label) == 1 or (label[0].isalpha() and all(c in _SUBS for c in label[1:]))
    return f"\\bar{{{body}}}" if single else f"\\overline{{{body}}}"


def tex_adjoint(label: str, index: int | None) -> str:
    """The LaTeX of model.adjoint: \\overline over a short label, else \\bar v_{i}."""
    if len(label) <= SHORT_LABEL or index is None:
        return tex_bar(label)
    return f"\\bar v_{{{index}}}"


def _tex_num(x: float) -> str:
    s = tex_math(fmt_val(x))
    return f"({s})" if s.startswith("-") else s


def _tex_adjoint(a: AdjointRow) -> str:
    to = tex_adjoint(a.label, a.index)
    if a.kind == "seed":
        return f"{to} = 1"
    src = tex_adjoint(a.source_label, a.source_index)
    local = tex_math(a.local_text)
    if local.startswith("-"):
        local = f"({local})"
    if a.kind == "accumulate":
        return (f"{to} = {to} + {src} \\cdot {local} = {tex_math(fmt_val(a.before))} + "
                f"{_tex_num(a.contribution)} = {tex_math(fmt_val(a.value))}")
    return (f"{to} = {src} \\cdot {local} = {_tex_num(a.upstream)} \\cdot {_tex_num(a.local)} = "
            f"{tex_math(fmt_val(a.value))}")


def to_latex(t: Trace) -> str:
    out = [f"% Evaluation trace of f = {t.output_label}, written by backprop-tui.",
           "% Plain LaTeX (no packages needed): \\input it, or paste the tabulars.",
           "% Primal trace (forward pass)",
           "\\begin{tabular}{llll}",
           "$v_i$ & node & formula & value \\\\", "\\hline"]
    for r in t.primal:
        out.append(f"$v_{{{r.index}}}$ & ${tex_math(r.label)}$ & ${tex_math(r.formula)}$ & "
                   f"${tex_math(fmt_val(r.value))}$ \\\\")
    out += ["\\end{tabular}", "", "% Adjoint trace (backward pass): each row pushes an adjoint "
            "to one operand", "\\begin{tabular}{rllll}",
            "step & $\\bar v_i$ & node & accumulation & $\\bar v_i$ \\\\", "\\hline"]
    for a in t.adjoint:
        seed = " (seed)" if a.kind == "seed" else ""
        out.append(f"{a.step} & $\\bar v_{{{a.index}}}$ & ${tex_math(a.label)}$ & "
                   f"${_tex_adjoint(a)}${seed} & ${tex_math(fmt_val(a.value))}$ \\\\")
    out += ["\\end{tabular}", ""]
    if not t.complete:
        out.append(f"% The trace stops early: {t.error or 'the passes did not finish'}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------- CSV

CSV_COLUMNS = ["trace", "step", "v", "node", "label", "kind", "formula", "value", "from",
               "local_text", "local", "upstream", "contribution", "before"]


def _f(x: float | None) -> str:
    return "" if x is None else repr(x)


def to_csv(t: Trace) -> str:
    """One table, both traces: machine-readable (full-precision numbers, one row each)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in t.primal:  # an operation's v index is its forward step; inputs have none
        w.writerow(["primal", r.index if r.kind == "op" else "", r.index, r.node, r.label,
                    r.kind, r.formula, _f(r.value), "", "", "", "", "", ""])
    for a in t.adjoint:
        seed = a.kind == "seed"
        w.writerow(["adjoint", a.step, a.index, a.node, a.label, a.kind, a.formula, _f(a.value),
                    "" if seed else a.source, a.local_text, "" if seed else _f(a.local),
                    "" if seed else _f(a.upstream), "" if seed else _f(a.contribution),
                    "" if seed else _f(a.before)])
    return buf.getvalue()


# ---------------------------------------------------------------------- HTML

_CSS = ("body{font:16px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border-bottom:1px solid #ccc;"
        "padding:.25em .7em;text-align:left}td.n{text-align:right;font-variant-numeric:"
        "tabular-nums}pre{background:#f4f4f4;padding:.6em}")


def to_html(t: Trace) -> str:
    e = html.escape
    rows = "".join(f"<tr><td>{e(v_name(r.index))}</td><td>{e(r.label)}</td><td>{e(r.formula)}"
                   f"</td><td class=n>{e(fmt_val(r.value))}</td></tr>" for r in t.primal)
    adj = "".join(f"<tr><td class=n>{a.step}</td><td>{e(_bar_v(a.index))}</td><td>{e(a.label)}"
                  f"</td><td>{e(a.formula)}</td><td class=n>{e(fmt_val(a.value))}</td></tr>"
                  for a in t.adjoint)
    early = "" if t.complete else f"<p>The trace stops early: {e(t.error)}</p>"
    return (f"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>Evaluation trace of f = {e(t.output_label)}</title><style>{_CSS}</style>"
            f"</head><body><h1>Evaluation trace of f = {e(t.output_label)}</h1>"
            f"<pre>{e(chr(10).join(t.source))}</pre><h2>Primal trace (forward pass)</h2>"
            f"<table><tr><th>v</th><th>node</th><th>formula</th><th>value</th></tr>{rows}"
            f"</table><h2>Adjoint trace (backward pass)</h2><p>{e(_ADJOINT_NOTE)}</p>"
            f"<table><tr><th>step</th><th>v̄</th><th>node</th><th>accumulation</th><th>v̄</th>"
            f"</tr>{adj}</table><p>Result: {e(_result(t))}.</p>{early}</body></html>\n")


WRITERS = {"markdown": to_markdown, "latex": to_latex, "csv": to_csv, "html": to_html}
