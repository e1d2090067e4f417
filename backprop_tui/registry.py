"""The command registry: every :command declares itself here once.

A declaration says the command's name, aliases, usage and help, the kind of each argument
(node, name, file, number, key=value option…) and what it costs. Help, completion, worker
routing and the palette read the declaration; the session dispatches through it. The
registry sits below the session and knows nothing of views; the commands package fills it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .textutil import clip

if TYPE_CHECKING:
    from .events import Event
    from .session import Session

MAX_COMMAND_CHARS = 10_000  # a :command line longer than this is an error, not echoed

# node: a name, a label or #id · input: the name of an input · name: any bound name ·
# file: a path · number / count: a number, a positive whole number · command: a command
# name · text: free text to the end of the line · word: one of `choices`.
ArgKind = Literal["node", "input", "name", "file", "number", "count", "command", "text", "word"]
# quick: touches O(1) nodes, runs at once in every view · graph: walks the graph, so a view
# runs it in a worker on a big graph · steps: like graph, but only when it takes many steps
# (a count argument) · slow: always in a worker (a check, a :load, timings).
Cost = Literal["quick", "graph", "steps", "slow"]


class CommandError(Exception):
    """A command's arguments are wrong: the message says what was expected."""


@dataclass(frozen=True)
class Arg:
    kind: ArgKind
    # Words the argument may also be (all, stop, op:tanh) and key=value options (mode=…,
    # h=), for completion; the command's own code still checks what it is given.
    choices: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


Runner = Callable[["Session", list[str]], list["Event"]]


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    usage: str
    help: str
    run: Runner
    args: tuple[Arg, ...] = ()
    cost: Cost = "graph"
    # raw: the runner gets the rest of the line as one argument with its whitespace kept
    # (:expect error TEXT must match a message holding tabs or runs of spaces); else the
    # words of the line, split at whitespace.
    raw: bool = False

    @property
    def summary(self) -> str:
        """The help's first sentence, for listings."""
        return self.help.split(". ")[0].rstrip(".")


COMMANDS: dict[str, Command] = {}
ALIASES: dict[str, str] = {}  # every name and alias → the command's name


def command(name: str, usage: str, help: str, aliases: tuple[str, ...] = (),
            args: tuple[Arg, ...] = (), cost: Cost = "graph",
            raw: bool = False) -> Callable[[Runner], Runner]:
    """Register a :command. Every view gets it: this table is the only list."""

    def deco(fn: Runner) -> Runner:
        COMMANDS[name] = Command(name, aliases, usage, help, fn, args, cost, raw)
        for alias in (name, *aliases):
            ALIASES[alias] = name
        return fn

    return deco


def lookup(word: str) -> Command | None:
    """The command a name or alias stands for."""
    name = ALIASES.get(word)
    return None if name is None else COMMANDS[name]


def command_of(line: str) -> Command | None:
    """The command of a ':cmd args' line; None for a statement or an unknown command."""
    stripped = line.strip()
    if not stripped.startswith(":"):
        return None
    words = stripped[1:].split(maxsplit=1)
    return lookup(words[0]) if words else None


def unknown(word: str, line: str) -> CommandError:
    """The error for an unknown command word, with the nearest names as a hint."""
    close = difflib.get_close_matches(word, list(ALIASES), n=3)
    hint = f"; did you mean {', '.join(':' + c for c in close)}?" if close else "; try :help"
    if any(c in line for c in "=+-*/^()"):
        # Pressing ':' in the TUI starts a command line; a statement goes without it.
        hint = f"; a statement is typed without the ':', as {clip(line.strip())}"
    return CommandError(f"unknown command ':{clip(word)}'{hint}")


def key_values(words: list[str], keys: tuple[str, ...] | None, what: str) -> dict[str, str]:
    """KEY=VALUE words as a dict, for commands that take options (:descend lr=0.1) or
    NAME=NUMBER pairs (:hvp x=1). `keys`: the keys allowed (None: any); `what`: how the
    error names what the command takes. A word that is not KEY=VALUE, an unknown key or a
    key given twice is a CommandError."""
    found: dict[str, str] = {}
    for word in words:
        key, eq, val = word.partition("=")
        if not eq or not key or (keys is not None and key not in keys):
            raise CommandError(f"cannot read '{clip(word)}': {what}")
        if key in found:
            raise CommandError(f"{clip(key)}= is given twice")
        found[key] = val
    return found
