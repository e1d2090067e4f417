"""Tab completion for the REPL line: commands, names, labels, options. Pure functions.

Reads the session's command table and node labels only; knows nothing of widgets.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from ..labels import label
from ..ops import CONSTANTS, FUNCTIONS, OPS
from ..registry import ALIASES, COMMANDS
from ..session import Session

LABEL_LIMIT = 5000  # above this many nodes, complete names only: labels would cost O(n)
NODE_COMMANDS = {"goto", "break", "unbreak", "show", "output", "check", "hsweep"}
_WORD = re.compile(r"[^\s=;()+\-*/^,]*$")


def command_names(extra: Iterable[str] = ()) -> list[str]:
    return sorted({*COMMANDS, *extra})


def node_words(session: Session) -> list[str]:
    """Names first, then labels (small graphs), then nothing else: '#id' is typed."""
    g = session.prog.graph
    words = dict.fromkeys(session.prog.bindings)
    if len(g) <= LABEL_LIMIT:
        for i in range(len(g)):
            words.setdefault(label(g, i))
    return list(words)


def _args_for(cmd: str, session: Session, args_before: list[str]) -> list[str]:
    if cmd in ("break", "unbreak"):
        ops = [f"op:{op.name}" for op in OPS if op.arity > 0]
        return node_words(session) + ops + (["all"] if cmd == "unbreak" else [])
    if cmd == "check":
        return node_words(session) + ["all", "mode=central", "mode=forward", "h="]
    if cmd == "set":
        return [f"{name} =" for name, _ in session.prog.inputs()] if not args_before else []
    if cmd in NODE_COMMANDS:
        return node_words(session)
    if cmd == "help":
        return command_names()
    if cmd == "export":
        return ["dot"] if not args_before else []
    return []


def complete(session: Session, text: str, extra_commands: Iterable[str] = ()) -> tuple[int, list[str]]:
    """Candidates for the word ending `text` (the line up to the cursor) and where it starts."""
    stripped = text.lstrip()
    if stripped.startswith(":"):
        parts = stripped[1:].split(" ")
        if len(parts) == 1:  # the command word itself
            start = len(text) - len(parts[0])
            return start, [c for c in command_names(extra_commands) if c.startswith(parts[0])]
        cmd = ALIASES.get(parts[0], parts[0])
        word = parts[-1]
        pool = _args_for(cmd, session, [p for p in parts[1:-1] if p])
        return len(text) - len(word), [w for w in pool if w.startswith(word)]
    word = _WORD.search(text).group(0)  # type: ignore[union-attr]
    if not word:
        return len(text), []
    pool = [*session.prog.bindings, *(f"{name}(" for name in FUNCTIONS), *CONSTANTS]
    return len(text) - len(word), sorted({w for w in pool if w.startswith(word)})


def common_prefix(words: list[str]) -> str:
    return os.path.commonprefix(words) if words else ""
