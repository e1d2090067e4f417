"""User functions: a definition's body kept as a flat tape, inlined into the graph per call.

`neuron(x, w, b) = tanh(w*x + b)` is parsed once into a Tape: one entry per operation, over
slots (0…P-1 the parameters, then one slot per entry, operands first). A call of an earlier
function inside a body is one CALL entry. A call in the program replays the tape into the
graph with the arguments' nodes in the parameter slots; a CALL entry pushes a frame on an
explicit stack, so nesting costs no Python recursion, a definition costs its own size, and
a call costs the size of what it inlines.

Each call's nodes are recorded as a call of the graph (`Graph.calls`, `Graph.call_of`), so
labels can say `neuron#2: tanh(…)`; a node belongs to its innermost call.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import Graph
from ..ops import LITERAL

GLOBAL = -1  # a tape entry naming an existing graph node (a name bound outside the body)
CALL = -2  # a tape entry calling an earlier function: `a` indexes Tape.calls
# A call inlines the whole body: these bound a definition, and what one line may create.
MAX_BODY_OPS = 1_000_000
MAX_LINE_NODES = 1_000_000
MAX_PARAMS = 255


class Tape:
    """A function body as flat arrays; `group` says which n-ary chain (sum, max, min) an
    entry belongs to (-1: none, else an index into `groups`, those chains' names)."""

    __slots__ = ("nparams", "op", "a", "b", "k", "start", "end", "group", "groups", "calls",
                 "size", "_globals")

    def __init__(self, nparams: int) -> None:
        self.nparams = nparams
        self.op: list[int] = []
        self.a: list[int] = []
        self.b: list[int] = []
        self.k: list[float] = []
        self.start: list[int] = []
        self.end: list[int] = []
        self.group: list[int] = []
        self.groups: list[str] = []
        self.calls: list[tuple[FunctionDef, tuple[int, ...]]] = []
        self.size = 0  # graph nodes one call creates (literals included), calls expanded
        self._globals: dict[int, int] = {}  # graph node -> its slot (one entry per node)

    def __len__(self) -> int:
        return len(self.op)

    def add(self, op: int, a: int = -1, b: int = -1, k: float = 0.0, start: int = 0,
            end: int = 0, group: int = -1) -> int:
        """Append an entry; returns its slot."""
        self.op.append(op)
        self.a.append(a)
        self.b.append(b)
        self.k.append(k)
        self.start.append(start)
        self.end.append(end)
        self.group.append(group)
        if op >= 0:
            self.size += 1
        return self.nparams + len(self.op) - 1

    def global_slot(self, node: int) -> int:
        slot = self._globals.get(node)
        if slot is None:
            slot = self._globals[node] = self.add(GLOBAL, node)
        return slot

    def new_group(self, name: str) -> int:
        self.groups.append(name)
        return len(self.groups) - 1

    def call(self, callee: FunctionDef, args: list[int]) -> int:
        """A call of an earlier function with `args` (slots of this tape); returns the slot
        of its value. Nothing is copied: the call is expanded when this body is."""
        self.calls.append((callee, tuple(args)))
        slot = self.add(CALL, len(self.calls) - 1)
        self.size += callee.tape.size
        return slot


@dataclass
class FunctionDef:
    name: str
    params: tuple[str, ...]
    tape: Tape
    out: int  # the slot of the body's value
    text: str  # the definition as written, for messages
    redefines: bool = False  # an earlier definition had this name (earlier calls keep it)
    ops: int = 0  # operations (graph nodes other than literals) one call creates

    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


def count_ops(f: FunctionDef) -> int:
    """Operations one call of f creates: its own, plus each called function's (known)."""
    t = f.tape
    own = sum(1 for o in t.op if o > LITERAL)
    return own + sum(callee.ops for callee, _ in t.calls)


def expand(g: Graph, f: FunctionDef, args: list[int]) -> int:
    """Inline one call of f into g with `args` (graph nodes) as its parameters; returns the
    node of its value. Each call is numbered in the graph (neuron#1, neuron#2, …); a call
    inside the body is a frame on an explicit stack."""
    add, call_of = g.add, g.call_of
    # A frame: [function, next entry, slots, its call id, its chains' call ids].
    frames: list[list] = [[f, 0, list(args), g.new_call(f.name),
                           [g.new_call(n) for n in f.tape.groups]]]
    result = -1
    while frames:
        frame = frames[-1]
        fn, j, slots = frame[0], frame[1], frame[2]
        t = fn.tape
        if j == len(t.op):
            frames.pop()
            value = slots[fn.out]
            if frames:
                frames[-1][2].append(value)
            else:
                result = value
            continue
        frame[1] = j + 1
        o = t.op[j]
        if o == GLOBAL:
            slots.append(t.a[j])
        elif o == CALL:
            callee, arg_slots = t.calls[t.a[j]]
            frames.append([callee, 0, [slots[s] for s in arg_slots], g.new_call(callee.name),
                           [g.new_call(n) for n in callee.tape.groups]])
        elif o == LITERAL:
            slots.append(add(LITERAL, value=t.k[j], start=t.start[j], end=t.end[j]))
        else:
            bj = t.b[j]
            i = add(o, slots[t.a[j]], slots[bj] if bj >= 0 else -1, t.k[j], start=t.start[j],
                    end=t.end[j])
            grp = t.group[j]
            call_of[i] = frame[3] if grp < 0 else frame[4][grp]
            slots.append(i)
    return result
