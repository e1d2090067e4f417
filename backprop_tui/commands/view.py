"""What the views draw, shared by all of them: :fold and :unfold.

A fold shows a named subexpression (``h1``) or a function call (``neuron#2``) as one box
in the graph, wired straight from what it reads (backprop_tui.folding says which nodes the
box hides). The folded heads belong to the program (a new program folds nothing), kept
here rather than in the session: folding changes the picture, never the numbers.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from ..events import Event, Info
from ..folding import Folded, fold
from ..labels import label
from ..language.program import Program
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import clip, plural

_FOLDS: WeakKeyDictionary[Program, set[int]] = WeakKeyDictionary()


def folded_heads(s: Session) -> set[int]:
    """The heads folded in the session's program (node ids; those truncated away drop out)."""
    heads = _FOLDS.get(s.prog)
    if not heads:
        return set()
    n = len(s.prog.graph)
    return {h for h in heads if h < n}


def set_folded(s: Session, heads: set[int]) -> None:
    _FOLDS[s.prog] = set(heads)


def foldable(s: Session) -> list[int]:
    """f's named operations and the results of its function calls, in creation order."""
    g = s.prog.graph
    heads = {i for i in g.names if not g.is_leaf(i) and s.in_cone(i)}
    last: dict[int, int] = {}
    for i, c in g.call_of.items():  # a call's result is its last node
        if i > last.get(c, -1):
            last[c] = i
    heads.update(i for i in last.values() if s.in_cone(i))
    return sorted(heads)


def fold_name(s: Session, head: int) -> str:
    """What :fold calls a head: its name (h1), its call (neuron#2), else its id."""
    g = s.prog.graph
    return g.names.get(head) or g.call_name(head) or f"#{head}"


def fold_of(s: Session, nodes: list[int]) -> Folded:
    """The drawing's nodes with the session's folds applied."""
    g = s.prog.graph
    names = g.names
    return fold(nodes, g.operands, sorted(folded_heads(s)),
                lambda j: g.is_leaf(j) or j in names)


def toggle_line(s: Session, node: int, limit: int = 600) -> str | None:
    """The :fold or :unfold line that toggles the fold at `node` (its own, or the one that
    hides it, looked for on graphs up to `limit` nodes), or None when it is neither a named
    subexpression nor a call. A key sends it, so the log and a recording show the command."""
    heads = folded_heads(s)
    if node not in heads and len(s.prog.graph) <= limit:
        node = fold_of(s, s.nodes_of_f()).shown(node)
    if node in heads:
        verb = "unfold"
    elif node in foldable(s):
        verb = "fold"
    else:
        return None
    return f":{verb} {fold_name(s, node)}"


def _heads_of(s: Session, args: list[str], usage: str) -> list[int]:
    s.require_program()
    if not args:
        raise CommandError(f"usage: {usage}")
    heads = foldable(s)
    if args == ["all"]:
        return heads
    g = s.prog.graph
    i = s.resolve(" ".join(args))
    if i not in heads:
        what = "an input or a constant" if g.is_leaf(i) else (
            "not part of f's graph" if not s.in_cone(i) else "not a named subexpression or a call")
        names = ", ".join(fold_name(s, h) for h in heads[:8]) or "none in f's graph"
        raise CommandError(f"{clip(label(g, i))} is {what}: nothing to fold; "
                           f"foldable: {names}")
    return [i]


@command("fold", ":fold NAME|all", "Draw a named subexpression (h1) or a function call "
         "(neuron#2) as one box in the graph, wired straight from what it reads; 'all' folds "
         "every one. The numbers do not change: :unfold shows the nodes again.",
         args=(Arg("node", choices=("all",)),), cost="graph")
def _cmd_fold(s: Session, args: list[str]) -> list[Event]:
    heads = _heads_of(s, args, ":fold NAME|all")
    set_folded(s, folded_heads(s) | set(heads))
    if not heads:
        return [Info("nothing to fold: f's graph has no named subexpression or call")]
    shown = fold_of(s, s.nodes_of_f())
    done = [h for h in heads if h in shown.heads]
    hidden = sum(1 for h in shown.owner.values() if h in done)
    names = ", ".join(fold_name(s, h) for h in done[:6]) + (" …" if len(done) > 6 else "")
    if not done:
        return [Info("nothing to hide: each of these reads only inputs and names")]
    again = "all" if len(done) > 1 else fold_name(s, done[0])
    boxes = f"{len(done)} box{'es' * (len(done) != 1)}"
    return [Info(f"folded {names}: {plural(hidden, 'node')} drawn as {boxes} (:unfold {again})")]


@command("unfold", ":unfold NAME|all", "Show a folded subexpression's nodes again ('all': "
         "every fold).", args=(Arg("node", choices=("all",)),), cost="graph")
def _cmd_unfold(s: Session, args: list[str]) -> list[Event]:
    heads = _heads_of(s, args, ":unfold NAME|all")
    was = folded_heads(s)
    set_folded(s, was - set(heads))
    gone = [h for h in heads if h in was]
    if not gone:
        return [Info("nothing folded" if args == ["all"] else f"{fold_name(s, heads[0])} is not folded")]
    return [Info(f"unfolded {', '.join(fold_name(s, h) for h in gone[:6])}"
                 f"{' …' if len(gone) > 6 else ''}")]
