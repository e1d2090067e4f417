"""Exports: :export dot FILE writes the graph as Graphviz DOT."""

from __future__ import annotations

from .. import files
from ..dot import FORMATS, to_dot
from ..events import Event, Info
from ..registry import Arg, CommandError, command
from ..session import Session


@command("export", ":export dot FILE [state]", "Write the graph as Graphviz DOT (render it with "
         "dot -Tsvg FILE): labels, op names, the values and gradients of complete passes, the "
         "output marked. Add 'state' to export the stepping state instead.",
         args=(Arg("word", choices=FORMATS), Arg("file"), Arg("word", choices=("state",))))
def _cmd_export(s: Session, args: list[str]) -> list[Event]:
    if not args:
        raise CommandError("usage: :export dot FILE [state]")
    fmt = args[0].lower()
    if fmt not in FORMATS:
        raise CommandError(f"cannot export as '{args[0]}': the only format is dot "
                           "(:export dot FILE); in the TUI, :screenshot FILE.svg saves the screen")
    if len(args) < 2:
        raise CommandError("usage: :export dot FILE [state] (which file?)")
    path = args[1]
    mode = args[2] if len(args) > 2 else "full"
    if mode not in ("full", "state") or len(args) > 3:
        raise CommandError(f"unexpected '{' '.join(args[2:])}': :export dot FILE [state]")
    s.require_program()
    text = to_dot(s, full=mode == "full")
    try:
        files.write_text(path, text)
    except files.FileError as exc:
        raise CommandError(f"cannot write {path}: {exc.reason}") from None
    n = len(s.prog.graph)
    return [Info(f"wrote {path}: Graphviz DOT of {n} node{'s' * (n != 1)}"
                 f"{' (stepping state)' if mode == 'state' else ''}")]
