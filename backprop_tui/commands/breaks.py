"""Breakpoints and watches: :break (a node, an operation, a condition) :unbreak :breaks
:watch :unwatch. :continue stops at them (session_breaks.py has the rules)."""

from __future__ import annotations

from .. import conditions
from ..events import Event, Info
from ..labels import label
from ..ops import OPS
from ..registry import Arg, CommandError, command
from ..session import MAX_WATCH, Session
from ..textutil import clip, plural
from .stepping import no_step

_OP_WORDS = tuple(f"op:{op.name}" for op in OPS if op.arity > 0)


def _op_names() -> list[str]:
    return [op.name for op in OPS if op.arity > 0]  # user operators register later


def _condition(text: str) -> conditions.Condition:
    try:
        return conditions.parse(text)
    except conditions.ConditionError as exc:
        raise CommandError(f"bad condition: {exc}") from None


def _break_when(s: Session, node_ref: str, cond_text: str) -> list[Event]:
    s.require_program()
    cond = _condition(cond_text)
    g = s.prog.graph
    node = s.resolve(node_ref) if node_ref else None
    if node is not None:
        if s.backward_step_of(node) < 0:
            raise CommandError(no_step(s, node) + ": a condition on it would never stop")
        if g.is_leaf(node) and not cond.uses("grad"):
            raise CommandError(f"{label(g, node)} is an input: its value never changes while "
                               "stepping, so a condition on its value alone would never stop "
                               "(one on its grad does)")
    s.break_when.append((node, cond))
    where = "any node" if node is None else f"#{node} {label(g, node)}"
    return [Info(f"breakpoint when {cond.text} on {where}: :continue stops at the step where "
                 "it becomes true")]


@command("break", ":break NODE | op:NAME | [NODE] when CONDITION", "Stop :continue at NODE, at "
         "every node of an operation (:break op:tanh), or at the step where a condition becomes "
         "true: :break when nan (a value or gradient becomes nan or inf), :break when "
         "|grad| > 1e3, :break x when grad < 0. A condition compares value, grad, |value| or "
         "|grad| with a number (> >= < <= == !=), or is nan; not, and, or and parentheses "
         "combine them.",
         aliases=("br",), args=(Arg("node", choices=(*_OP_WORDS, "when")),), cost="quick")
def _cmd_break(s: Session, args: list[str]) -> list[Event]:
    if not args:
        return _cmd_breaks(s, args)
    words = [w.lower() for w in args]
    if "when" in words:
        k = words.index("when")
        return _break_when(s, " ".join(args[:k]), " ".join(args[k + 1:]))
    ref = " ".join(args)
    if ref.startswith("op:"):
        name = ref[3:]
        if name not in _op_names():
            raise CommandError(f"unknown operation '{clip(name)}'; operations are "
                               f"{', '.join(_op_names())}")
        s.break_ops.add(name)
        return [Info(f"breakpoint on every {name} node")]
    i = s.resolve(ref)
    g = s.prog.graph
    if not g.takes_grad(i):  # a literal or constant is never a step, whatever f is
        raise CommandError(f"{label(g, i)} takes no gradient: it has no step, so a "
                           "breakpoint there would never stop")
    s.breaks.add(i)
    return [Info(f"breakpoint at #{i} {label(g, i)}")]


@command("unbreak", ":unbreak [NODE | op:NAME | when | all]", "Remove a breakpoint (a node's "
         "plain and conditional ones; 'when': the conditions on any node), or all of them.",
         aliases=("ub",), args=(Arg("node", choices=(*_OP_WORDS, "when", "all")),), cost="quick")
def _cmd_unbreak(s: Session, args: list[str]) -> list[Event]:
    if not args or args == ["all"]:
        n = len(s.breaks) + len(s.break_ops) + len(s.break_when)
        s.breaks.clear()
        s.break_ops.clear()
        s.break_when.clear()
        return [Info(f"removed {plural(n, 'breakpoint')}")]
    ref = " ".join(args)
    if ref.startswith("op:"):
        if ref[3:] not in s.break_ops:
            raise CommandError(f"no breakpoint on {clip(ref)}")
        s.break_ops.discard(ref[3:])
        return [Info(f"removed breakpoint on {ref}")]
    if ref.lower() == "when":
        n = sum(1 for node, _ in s.break_when if node is None)
        if not n:
            raise CommandError("no condition on any node; :breaks lists the breakpoints")
        s.break_when[:] = [(node, c) for node, c in s.break_when if node is not None]
        return [Info(f"removed {plural(n, 'condition')} on any node")]
    i = s.resolve(ref)
    conds = [c for node, c in s.break_when if node == i]
    if i not in s.breaks and not conds:
        raise CommandError(f"no breakpoint at {label(s.prog.graph, i)}")
    s.breaks.discard(i)
    s.break_when[:] = [(node, c) for node, c in s.break_when if node != i]
    extra = f" and {plural(len(conds), 'condition')}" if conds else ""
    return [Info(f"removed breakpoint at #{i} {label(s.prog.graph, i)}{extra}")]


@command("breaks", ":breaks", "List the breakpoints and watches.", cost="quick")
def _cmd_breaks(s: Session, args: list[str]) -> list[Event]:
    g = s.prog.graph
    items = [f"#{i} {label(g, i)}" for i in sorted(s.breaks)] + [f"op:{o}" for o in sorted(s.break_ops)]
    items += [("" if node is None else f"#{node} {label(g, node)} ") + f"when {c.text}"
              for node, c in s.break_when]
    lines = ["breakpoints: " + (", ".join(items) if items else "none")]
    if s.watches:
        lines.append("watching: " + ", ".join(f"#{i} {label(g, i)}" for i in s.watches))
    return [Info("\n".join(lines))]


@command("watch", ":watch NODE…", "Show these nodes (value, gradient so far) after every step, "
         f"in every view (gdb's display); at most {MAX_WATCH}. :watch alone shows them now.",
         aliases=("display",), args=(Arg("node"),), cost="quick")
def _cmd_watch(s: Session, args: list[str]) -> list[Event]:
    s.require_program()
    if not args:
        if not s.watches:
            return [Info("watching nothing: :watch NODE… adds nodes")]
        return [s.watch_event()]
    new = len(set(args))
    if new > MAX_WATCH or len(s.watches) + new > MAX_WATCH:
        raise CommandError(f"watching {len(s.watches) + new:,} nodes is too many: at most "
                           f"{MAX_WATCH} (a watch prints after every step); :top, :find and "
                           ":filter find the few worth watching in a big graph")
    nodes = [s.resolve(a) for a in args]
    for i in nodes:
        if i not in s.watches:
            s.watches.append(i)
    if len(s.watches) > MAX_WATCH:  # two references to one node counted once above
        del s.watches[MAX_WATCH:]
    return [Info("watching " + ", ".join(f"#{i} {label(s.prog.graph, i)}" for i in nodes)),
            s.watch_event()]


@command("unwatch", ":unwatch [NODE…|all]", "Stop watching these nodes, or all of them.",
         aliases=("undisplay",), args=(Arg("node", choices=("all",)),), cost="quick")
def _cmd_unwatch(s: Session, args: list[str]) -> list[Event]:
    if not args or args == ["all"]:
        n = len(s.watches)
        s.watches.clear()
        return [Info(f"stopped watching {plural(n, 'node')}")]
    nodes = [s.resolve(a) for a in args]
    missing = [i for i in nodes if i not in s.watches]
    if missing:
        raise CommandError(f"not watching {label(s.prog.graph, missing[0])}; :breaks lists the "
                           "watches")
    s.watches[:] = [i for i in s.watches if i not in nodes]
    return [Info("stopped watching " + ", ".join(label(s.prog.graph, i) for i in nodes))]
