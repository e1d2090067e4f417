"""Inspecting and changing the program: :show :nodes :graph :set :output :new."""

from __future__ import annotations

from dataclasses import replace

from ..events import Event, GraphText, Info, Nodes, ShowNode
from ..labels import f_is, fmt_val, label, wrt
from ..ops import INPUT
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import NumberError, clip, parse_number, plural
from .view import fold_of


def number_arg(text: str) -> float:
    """A finite number argument, or a CommandError that says what was read."""
    try:
        return parse_number(text)
    except NumberError as exc:
        raise CommandError(str(exc)) from None


@command("show", ":show NODE", "Show a node: value, gradient, the chain rule at the node (its "
         "gradient as the sum over its consumers), local derivatives, the check's verdict.",
         aliases=("p", "print"), args=(Arg("node"),), cost="quick")
def _cmd_show(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    cur = s.current()
    i = s.resolve(" ".join(args)) if args else (cur if cur is not None else out)
    terms = s.chain_terms(i, SHOW_TERMS)
    total, pending = s.chain_count(i)
    return [ShowNode(s.node_info(i), local_lines(s, i), terms, total - len(terms),
                     pending - sum(not t.arrived for t in terms), is_output=i == out)]


SHOW_TERMS = 8  # chain-rule terms :show writes out; the rest are counted (O(1) each)


def local_lines(s: Session, i: int) -> list[str]:
    """∂(node)/∂operand = symbol = number, one line per operand that takes a gradient (a
    derivative with respect to a number written in the program means nothing)."""
    g = s.prog.graph
    lines = []
    for d in s.local_derivatives(i):
        if not g.takes_grad(d.operand):
            continue
        num = fmt_val(d.value)
        tail = f" = {num}" if d.text != num else ""
        lines.append(f"∂{wrt(label(g, i))}/∂{wrt(d.operand_label)} = {d.text}{tail}")
    return lines


@command("nodes", ":nodes [all]", "List the nodes of f's graph in program order, with value, "
         "gradient and the last check's verdict; 'all' adds the nodes outside f, marked.",
         args=(Arg("word", choices=("all",)),))
def _cmd_nodes(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    show_all = _all_arg(args, ":nodes [all]")
    nodes = range(len(s.prog.graph)) if show_all else s.nodes_of_f()
    return [Nodes([s.node_info(i) for i in nodes], s.outside(), show_all)]


def _all_arg(args: list[str], usage: str) -> bool:
    if args and args != ["all"]:
        raise CommandError(f"usage: {usage}")
    return bool(args)


@command("graph", ":graph [all]", "A text rendering of f's graph: each node with the nodes it "
         "reads; 'all' adds the nodes outside f.", args=(Arg("word", choices=("all",)),))
def _cmd_graph(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    show_all = _all_arg(args, ":graph [all]")
    g = s.prog.graph
    cur = s.current()
    lines = []
    # :fold's boxes: a folded head reads what its box reads; its members are not listed
    shown = fold_of(s, list(range(len(g))) if show_all else s.nodes_of_f())
    operands = shown.operands(g.operands)
    for i in shown.nodes:
        info = s.node_info(i)
        mark = "▶" if i == cur else ("●" if info.final else " ")
        if i in shown.heads:
            info = replace(info, label=f"⊞{info.label}")
        reads = ", ".join(label(g, j) for j in operands(i))
        val = "·" if info.value is None else fmt_val(info.value)
        grad = "" if info.grad is None else f"  ∂f {fmt_val(info.grad)}"
        arrow = f" ← {reads}" if reads else ""
        out = "  (f)" if i == s.output else "  (outside f)" if not info.in_f else ""
        if not info.in_f and info.value is None:
            val = "—"
        lines.append(f"{mark} #{i:<4} {info.label:<20}{arrow:<24} = {val}{grad}{out}")
    hidden = s.outside()
    if hidden and not show_all:
        lines.append(f"{plural(hidden, 'node')} outside f (:graph all shows them)")
    return [GraphText(lines)]


@command("set", ":set NAME = NUMBER", "Change an input's value in place; stepping restarts from "
         "the forward pass. #ID instead of NAME sets an input whose name was rebound since.",
         args=(Arg("input"), Arg("number")))
def _cmd_set(s: Session, args: list[str]) -> list[Event]:
    text = " ".join(args)
    if "=" not in text:
        raise CommandError("usage: :set NAME = NUMBER")
    name, _, num = (p.strip() for p in text.partition("="))
    node = s.resolve(name) if name.startswith("#") else s.prog.lookup(name)
    if node is None:
        raise CommandError(f"no input named '{clip(name)}'")
    g = s.prog.graph
    if g.op[node] != INPUT:
        raise CommandError(f"{clip(name)} is not an input (only inputs can be set)")
    s.set_input(node, number_arg(num))
    shown = name if not name.startswith("#") else f"{label(g, node)} ({name})"
    return [Info(f"{shown} = {fmt_val(g.value[node])}; restarted from the forward pass")]


@command("output", ":output NODE", "Differentiate another node instead of the last statement.",
         args=(Arg("node"),))
def _cmd_output(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    if not args:
        raise CommandError("usage: :output NODE")
    i = s.resolve(" ".join(args))
    s.set_output(i, chosen=True)
    return [Info(f"now differentiating {f_is(label(s.prog.graph, i))} (chosen with :output): "
                 f"{plural(len(s.fwd), 'forward step')} and {plural(len(s.bwd), 'backward step')}")]


@command("new", ":new", "Start afresh: an empty program, no breakpoints, no check.",
         aliases=("clear",), cost="quick")
def _cmd_new(s: Session, args: list[str]) -> list[Event]:
    if args:
        raise CommandError("usage: :new (it takes no arguments)")
    return [s.new()]
