"""Tab completion for the REPL line. Pure functions; knows nothing of widgets.

Arguments complete from the command declarations (``registry.Arg``): a node completes
names and labels, an input the inputs' names, a file paths, a command the command names,
and every argument its declared choices; a command's key=value options are offered at any
position. A new command gets completion by declaring its arguments, with no edit here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from ..labels import label
from ..ops import CONSTANTS, FUNCTIONS
from ..registry import ALIASES, COMMANDS, Arg, Command
from ..session import Session

LABEL_LIMIT = 5000  # above this many nodes, complete names only: labels would cost O(n)
SCAN_LIMIT = 5000  # directory entries read for a file argument (a huge folder stays quick)
_WORD = re.compile(r"[^\s=;()+\-*/^,]*$")


def command_names(extra: Iterable[str] = ()) -> list[str]:
    return sorted({*COMMANDS, *extra})


def node_words(session: Session) -> list[str]:
    """Names first, then labels (small graphs), then nothing else: '#id' is typed."""
    g = session.graph
    words = dict.fromkeys(session.prog.bindings)
    if len(g) <= LABEL_LIMIT:
        for i in range(len(g)):
            words.setdefault(label(g, i))
    return list(words)


def paths(prefix: str) -> list[str]:
    """Files and folders (with a trailing /) whose path starts with `prefix`."""
    head, sep, tail = prefix.rpartition("/")
    base = head + sep
    folder = os.path.expanduser(base) if base else "."
    found = []
    try:
        with os.scandir(folder) as entries:
            for k, entry in enumerate(entries):
                if k >= SCAN_LIMIT:
                    break
                hidden = entry.name.startswith(".") and not tail.startswith(".")
                if entry.name.startswith(tail) and not hidden:
                    found.append(base + entry.name + ("/" if entry.is_dir() else ""))
    except OSError:
        return []
    return sorted(found)


def _option_keys(cmd: Command) -> set[str]:
    return {opt.split("=")[0] for arg in cmd.args for opt in arg.options}


def _positional(cmd: Command, words: list[str]) -> list[str]:
    """The words that fill positional arguments: not key=value options, not a lone '='."""
    keys = _option_keys(cmd)
    return [w for w in words if w != "=" and not ("=" in w and w.split("=")[0] in keys)]


def _then_equals(cmd: Command, index: int) -> bool:
    """Whether the usage writes '=' after argument `index` (:set NAME = NUMBER)."""
    words = [w for w in cmd.usage.split()[1:]]
    k = -1
    for n, w in enumerate(words):
        if w == "=":
            continue
        k += 1
        if k == index:
            return n + 1 < len(words) and words[n + 1] == "="
    return False


def _words_for(arg: Arg, session: Session, word: str, extra: Iterable[str]) -> list[str]:
    if arg.kind == "node":
        return node_words(session)
    if arg.kind == "input":
        return [name for name, _ in session.prog.inputs()]
    if arg.kind == "name":
        return list(session.prog.bindings)
    if arg.kind == "file":
        return paths(word)
    if arg.kind == "command":
        return command_names(extra)
    return []  # number, count, text, word: only the declared choices


def argument_words(cmd: Command, session: Session, before: list[str], word: str,
                   extra: Iterable[str] = ()) -> list[str]:
    """Candidates for the argument being typed after `before` (the words already typed)."""
    positional = _positional(cmd, before)
    index = len(positional)
    if any(a.kind == "text" for a in cmd.args[:index + 1]):
        return []  # free text to the end of the line
    pool: list[str] = []
    if index < len(cmd.args):
        arg = cmd.args[index]
        names = _words_for(arg, session, word, extra)
        if _then_equals(cmd, index):
            names = [f"{n} =" for n in names]
        pool += names + list(arg.choices)
    given = {w.split("=")[0] for w in before if "=" in w}
    pool += [o for a in cmd.args for o in a.options if o.split("=")[0] not in given]
    return list(dict.fromkeys(pool))


def complete(session: Session, text: str,
             extra_commands: Mapping[str, Command] | None = None) -> tuple[int, list[str]]:
    """Candidates for the word ending `text` (the line up to the cursor) and where it starts."""
    extra = extra_commands or {}
    stripped = text.lstrip()
    if stripped.startswith(":"):
        parts = stripped[1:].split(" ")
        if len(parts) == 1:  # the command word itself
            start = len(text) - len(parts[0])
            return start, [c for c in command_names(extra) if c.startswith(parts[0])]
        name = ALIASES.get(parts[0])
        cmd = COMMANDS[name] if name is not None else extra.get(parts[0])
        word = parts[-1]
        if cmd is None:
            return len(text), []
        pool = argument_words(cmd, session, [p for p in parts[1:-1] if p], word, extra)
        return len(text) - len(word), [w for w in pool if w.startswith(word)]
    match = _WORD.search(text)
    word = match.group(0) if match else ""
    if not word:
        return len(text), []
    pool = [*session.prog.bindings, *(f"{name}(" for name in FUNCTIONS), *CONSTANTS]
    return len(text) - len(word), sorted({w for w in pool if w.startswith(word)})


def common_prefix(words: list[str]) -> str:
    return os.path.commonprefix(words) if words else ""
