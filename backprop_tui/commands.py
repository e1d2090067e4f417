"""The built-in :commands: stepping, breakpoints, inspection, checks, help.

Each registers itself in the session's single COMMANDS table (replay commands live in
script.py, :export in dot.py), so every view — TUI, replay, headless — has the same set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from . import gradcheck
from .events import (
    Check,
    CheckRow,
    Compare,
    Event,
    GraphText,
    HSweep,
    HSweepRow,
    Info,
    Nodes,
    Phase,
    ShowNode,
)
from .graph import EvalError
from .labels import deriv_text, fmt_val, label
from .ops import INPUT, OPS
from .session import _ALIASES, COMMANDS, CommandError, Session, clip_text, command


def _count(args: list[str], default: int = 1) -> int:
    if not args:
        return default
    try:
        n = int(args[0])
    except ValueError:
        raise CommandError(f"expected a number of steps, got '{clip_text(args[0])}'") from None
    if n < 1:
        raise CommandError("the number of steps must be at least 1")
    return n


_VERBOSE_LIMIT = 200  # more steps than this are reported as one line


@command("step", ":step [N]", "Take N steps (default 1): forward through the nodes, then on "
         "into the backward pass.", aliases=("s", "n", "next"))
def _cmd_step(s: Session, args: list[str]) -> list[Event]:
    n = _count(args)
    return s.step(n, verbose=n <= _VERBOSE_LIMIT)


@command("back", ":back [N]", "Step back N steps (default 1), restoring exactly the state before "
         "them. Each step back costs O(1).", aliases=("rs", "b"))
def _cmd_back(s: Session, args: list[str]) -> list[Event]:
    return s.back(_count(args))


@command("forward", ":forward", "Run the forward pass to its end.", aliases=("fwd",))
def _cmd_forward(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    return s.run_to(max(s.pos, len(s.fwd)))


@command("backward", ":backward", "Run the backward pass to its end (the forward pass first if "
         "needed).", aliases=("bwd",))
def _cmd_backward(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    return s.run_to(s.steps_total)


@command("continue", ":continue", "Run until a breakpoint or the end.", aliases=("c", "cont"))
def _cmd_continue(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    return s.step(s.steps_total, verbose=False, stop_at_breaks=True)


@command("reset", ":reset", "Return to the start: no values computed, no gradients.")
def _cmd_reset(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    s.reset()
    return [Phase("forward", "reset", f"reset: {s.progress_text()}")]


@command("goto", ":goto NODE", "Run forward or back to the step at NODE (its forward step while "
         "in the forward pass, else its backward step).", aliases=("g",))
def _cmd_goto(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    if not args:
        raise CommandError("usage: :goto NODE")
    i = s.resolve(" ".join(args))
    fk = s.fwd_index[i]
    bk = s.bwd_index[i]
    if bk < 0:
        raise CommandError(f"{label(s.prog.graph, i)} is not part of f = "
                           f"{label(s.prog.graph, s.output)}")
    in_forward = s.pos <= len(s.fwd) and s.pos < s.steps_total
    target = fk + 1 if fk >= 0 and (in_forward or bk < 0) else len(s.fwd) + bk + 1
    events = s.run_to(target)
    if s.pos == target and target > 0:
        events.append(s._step_event())
    return events


@command("break", ":break NODE | :break op:NAME", "Stop :continue at NODE, or at every node of "
         "an operation: :break op:tanh.", aliases=("br",))
def _cmd_break(s: Session, args: list[str]) -> list[Event]:
    if not args:
        return _cmd_breaks(s, args)
    ref = " ".join(args)
    if ref.startswith("op:"):
        name = ref[3:]
        if name not in {op.name for op in OPS if op.arity > 0}:
            ops = ", ".join(op.name for op in OPS if op.arity > 0)
            raise CommandError(f"unknown operation '{clip_text(name)}'; operations are {ops}")
        s.break_ops.add(name)
        return [Info(f"breakpoint on every {name} node")]
    i = s.resolve(ref)
    s.breaks.add(i)
    return [Info(f"breakpoint at #{i} {label(s.prog.graph, i)}")]


@command("unbreak", ":unbreak [NODE | op:NAME]", "Remove a breakpoint, or all of them.",
         aliases=("ub", "clear"))
def _cmd_unbreak(s: Session, args: list[str]) -> list[Event]:
    if not args or args == ["all"]:
        n = len(s.breaks) + len(s.break_ops)
        s.breaks.clear()
        s.break_ops.clear()
        return [Info(f"removed {n} breakpoint{'s' * (n != 1)}")]
    ref = " ".join(args)
    if ref.startswith("op:"):
        if ref[3:] not in s.break_ops:
            raise CommandError(f"no breakpoint on {ref}")
        s.break_ops.discard(ref[3:])
        return [Info(f"removed breakpoint on {ref}")]
    i = s.resolve(ref)
    if i not in s.breaks:
        raise CommandError(f"no breakpoint at {label(s.prog.graph, i)}")
    s.breaks.discard(i)
    return [Info(f"removed breakpoint at #{i} {label(s.prog.graph, i)}")]


@command("breaks", ":breaks", "List the breakpoints.")
def _cmd_breaks(s: Session, args: list[str]) -> list[Event]:
    g = s.prog.graph
    items = [f"#{i} {label(g, i)}" for i in sorted(s.breaks)] + [f"op:{o}" for o in sorted(s.break_ops)]
    return [Info("breakpoints: " + (", ".join(items) if items else "none"))]


@command("show", ":show NODE", "Show a node: value, gradient so far, formula, local derivatives.",
         aliases=("p", "print"))
def _cmd_show(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    i = s.resolve(" ".join(args)) if args else (s.current() if s.current() is not None else s.output)
    g = s.prog.graph
    local = []
    if not g.is_leaf(i) and s.computed(i) and all(s.computed(j) for j in g.operands(i)):
        derivs = g.local_derivs(i)
        for slot, j in enumerate(g.operands(i)):
            sym, num = deriv_text(g, i, slot), fmt_val(derivs[slot])
            local.append(f"∂({label(g, i)})/∂{label(g, j)} = {sym}" + (f" = {num}" if sym != num else ""))
    return [ShowNode(s.node_info(i), local)]


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


def _parse_number(text: str) -> float:
    if not re.fullmatch(r"[-+−]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", text):
        raise CommandError(f"expected a number, got '{clip_text(text)}'")
    x = float(text.replace("−", "-"))
    if not math.isfinite(x):
        raise CommandError(f"the number {text} is too large for a float64")
    return x


@command("set", ":set NAME = NUMBER", "Change an input's value in place; stepping restarts from "
         "the forward pass.")
def _cmd_set(s: Session, args: list[str]) -> list[Event]:
    text = " ".join(args)
    if "=" not in text:
        raise CommandError("usage: :set NAME = NUMBER")
    name, _, num = (p.strip() for p in text.partition("="))
    node = s.prog.bindings.get(name)
    if node is None:
        raise CommandError(f"no input named '{clip_text(name)}'")
    g = s.prog.graph
    if g.op[node] != INPUT:
        raise CommandError(f"{name} is not an input (only inputs can be set)")
    g.value[node] = _parse_number(num)
    s.reset()
    return [Info(f"{name} = {fmt_val(g.value[node])}; restarted from the forward pass")]


@command("output", ":output NODE", "Differentiate another node instead of the last statement.")
def _cmd_output(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    if not args:
        raise CommandError("usage: :output NODE")
    i = s.resolve(" ".join(args))
    s._set_output(i)
    return [Info(f"now differentiating f = {label(s.prog.graph, i)}: {len(s.fwd)} forward and "
                 f"{len(s.bwd)} backward steps")]


def _check_options(args: list[str]) -> tuple[list[str], str, float | None]:
    mode, h, rest = "central", None, []
    for arg in args:
        if arg.startswith("mode="):
            mode = arg[5:]
            if mode not in gradcheck.TOLERANCES:
                raise CommandError(f"unknown mode '{clip_text(mode)}': expected central or forward")
        elif arg.startswith("h="):
            h = _parse_number(arg[2:])
            if h <= 0:
                raise CommandError("h must be positive")
        else:
            rest.append(arg)
    return rest, mode, h


def check_nodes(s: Session, which: str) -> list[int]:
    """The nodes a check covers: every input (default), 'all' nodes, or one node."""
    g = s.prog.graph
    if not which:
        return [i for _, i in s.prog.inputs() if s.bwd_index[i] >= 0]
    if which == "all":
        return [i for i in reversed(s.bwd) if g.takes_grad(i)]
    i = s.resolve(which)
    if not g.takes_grad(i):
        raise CommandError(f"{label(g, i)} is a constant: it has no gradient to check")
    return [i]


def run_check(s: Session, nodes: list[int], mode: str, h: float | None,
              progress: Callable[[int, int], None] | None = None,
              cancelled: Callable[[], bool] | None = None) -> Check:
    """The FD check as an event; the TUI calls this from a worker with progress/cancel."""
    g = s.prog.graph
    rows, evals, was_cancelled = gradcheck.check(g, s.require_program(), nodes, mode, h,
                                                 progress, cancelled)
    atol, rtol = gradcheck.TOLERANCES[mode]
    out = [CheckRow(r.id, label(g, r.id), r.analytic, r.numeric, r.abs_err, r.rel_err, r.h,
                    r.verdict, r.evals) for r in rows]
    ev = Check(mode, out, evals, len(s.prog.inputs()), atol, rtol,
               all(r.verdict == "pass" for r in out) and not was_cancelled, was_cancelled)
    s.last_check = ev
    return ev


@command("check", ":check [NODE|all] [h=…] [mode=central|forward]", "Compare backprop gradients "
         "with finite differences: every input by default, every node with 'all'. Reports the "
         "errors, a verdict (kinks say 'not differentiable here') and the cost in evaluations.",
         aliases=("x",))
def _cmd_check(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    rest, mode, h = _check_options(args)
    try:
        return [run_check(s, check_nodes(s, " ".join(rest)), mode, h, s.check_progress,
                          s.check_cancelled)]
    except EvalError as err:
        return [s._eval_error(err)]


@command("hsweep", ":hsweep [NODE]", "Error of forward and central differences against backprop "
         "for h = 1e-1 … 1e-13: h must be small, but not too small.", aliases=("h",))
def _cmd_hsweep(s: Session, args: list[str]) -> list[Event]:
    out = s.require_program()
    g = s.prog.graph
    nodes = check_nodes(s, " ".join(args))
    if not nodes:
        raise CommandError("f has no inputs to sweep")
    j = nodes[0]
    try:
        analytic, data = gradcheck.hsweep(g, out, j)
    except EvalError as err:
        return [s._eval_error(err)]
    rows = [HSweepRow(h, fw, abs(fw - analytic), ce, abs(ce - analytic)) for h, fw, ce in data]

    def best(key: Callable[[HSweepRow], float]) -> float:
        finite = [r for r in rows if math.isfinite(key(r))]
        return min(finite, key=key).h if finite else math.nan

    return [HSweep(j, label(g, j), analytic, rows, best(lambda r: r.forward_err),
                   best(lambda r: r.central_err))]


@command("compare", ":compare", "Finite differences, symbolic differentiation and backprop side "
         "by side on f: evaluations, expression sizes (tree and shared), operations, wall time.")
def _cmd_compare(s: Session, args: list[str]) -> list[Event]:
    from .compare import compare

    s.require_program()
    try:
        return [Compare(compare(s.prog, s.output))]
    except EvalError as err:
        return [s._eval_error(err)]


@command("help", ":help [COMMAND]", "List the commands, or explain one.", aliases=("?",))
def _cmd_help(s: Session, args: list[str]) -> list[Event]:
    if args:
        name = _ALIASES.get(args[0].lstrip(":"))
        if name is None:
            raise CommandError(f"no command ':{args[0].lstrip(':')}'; :help lists them")
        c = COMMANDS[name]
        alias = f"  (aliases: {', '.join(':' + a for a in c.aliases)})" if c.aliases else ""
        return [Info(f"{c.usage}{alias}\n  {c.help}")]
    width = max(len(c.usage) for c in COMMANDS.values())
    lines = ["Type a statement (x = 2; y = 3; x^2 + 3x*y + 1) or a command:"]
    lines += [f"  {c.usage:<{width}}  {c.help.split('. ')[0].rstrip('.')}" for c in COMMANDS.values()]
    lines.append("NODE is a name, a label such as 3xy, or #id.")
    return [Info("\n".join(lines))]
