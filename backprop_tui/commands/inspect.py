"""Inspecting and changing the program: :show :nodes :graph :set :output."""

from __future__ import annotations

from ..events import Event, GraphText, Info, Nodes, ShowNode
from ..labels import fmt_val, label
from ..ops import INPUT
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import NumberError, clip, parse_number


def number_arg(text: str) -> float:
    """A finite number argument, or a CommandError that says what was read."""
    try:
        return parse_number(text)
    except NumberError as exc:
        raise CommandError(str(exc)) from None


@command("show", ":show NODE", "Show a node: value, gradient so far, formula, local derivatives.",
         aliases=("p", "print"), args=(Arg("node"),), cost="quick")
def _cmd_show(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    cur = s.current()
    i = s.resolve(" ".join(args)) if args else (cur if cur is not None else out)
    return [ShowNode(s.node_info(i), local_lines(s, i))]


def local_lines(s: Session, i: int) -> list[str]:
    """∂(node)/∂operand = symbol = number, one line per operand."""
    g = s.prog.graph
    lines = []
    for d in s.local_derivatives(i):
        num = fmt_val(d.value)
        tail = f" = {num}" if d.text != num else ""
        lines.append(f"∂({label(g, i)})/∂{d.operand_label} = {d.text}{tail}")
    return lines


@command("nodes", ":nodes", "List every node in topological order with value and gradient.")
def _cmd_nodes(s: Session, args: list[str]) -> list[Event]:
    return [Nodes([s.node_info(i) for i in range(len(s.prog.graph))])]


@command("graph", ":graph", "A text rendering of the graph: each node with the nodes it reads.")
def _cmd_graph(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    g = s.prog.graph
    cur = s.current()
    lines = []
    for i in range(len(g)):
        info = s.node_info(i)
        mark = "▶" if i == cur else ("●" if info.final else " ")
        reads = ", ".join(label(g, j) for j in g.operands(i))
        val = "·" if info.value is None else fmt_val(info.value)
        grad = "" if info.grad is None else f"  ∂f {fmt_val(info.grad)}"
        arrow = f" ← {reads}" if reads else ""
        out = "  (output)" if i == s.output else ""
        lines.append(f"{mark} #{i:<4} {info.label:<20}{arrow:<24} = {val}{grad}{out}")
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
    s.set_output(i)
    return [Info(f"now differentiating f = {label(s.prog.graph, i)}: {len(s.fwd)} forward and "
                 f"{len(s.bwd)} backward steps")]


