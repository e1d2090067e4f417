"""Exports: :export dot|trace|html FILE — the graph as Graphviz DOT, the evaluation trace
(Markdown, LaTeX, CSV or HTML by the file's extension) and the self-contained stepping page.

Paths go through confine.resolve: relative to the replay file that names them (or the
working folder), and kept inside the served folder in a served session.
"""

from __future__ import annotations

import os
import shlex

from .. import confine, files
from ..dot import to_dot
from ..events import Event, Exported
from ..handout.formats import TRACE_FORMATS, WRITERS
from ..handout.model import trace
from ..handout.page import PageError, to_page
from ..registry import Arg, CommandError, command
from ..session import Session
from ..textutil import clip, plural

FORMATS = ("dot", "trace", "html")
USAGE = ":export dot FILE [state] | :export trace FILE.md|.tex|.csv|.html | :export html FILE"
_TRACE_EXTS = ", ".join(sorted(TRACE_FORMATS))


def kind_for(path: str) -> str | None:
    """The export a file name implies (for --export FILE): .dot/.gv, .html, or a trace."""
    ext = os.path.splitext(path)[1].lower()
    if ext in (".dot", ".gv"):
        return "dot"
    if ext in (".html", ".htm"):
        return "html"
    return "trace" if ext in TRACE_FORMATS else None


def render(s: Session, kind: str, path: str, state: bool = False) -> tuple[str, str, str]:
    """(text, format, what) of an export, without writing it."""
    s.require_program()
    if kind == "dot":
        n = len(s.prog.graph)
        return to_dot(s, full=not state), "dot", (f"Graphviz DOT of {plural(n, 'node')}"
                                                  f"{' (stepping state)' if state else ''}")
    if kind == "trace":
        fmt = TRACE_FORMATS.get(os.path.splitext(path)[1].lower())
        if fmt is None:
            raise CommandError(f"a trace is written as Markdown, LaTeX, CSV or HTML: name the "
                               f"file with one of {_TRACE_EXTS} (got '{clip(path)}')")
        t = trace(s)
        what = (f"the evaluation trace ({fmt}): {plural(len(t.primal), 'primal row')}, "
                f"{plural(len(t.adjoint), 'adjoint row')}")
        return WRITERS[fmt](t), fmt, what + ("" if t.complete else f"; it stops early: {t.error}")
    try:
        text = to_page(s)
    except PageError as exc:
        raise CommandError(str(exc)) from None
    steps = len(s.fwd) + len(s.bwd)
    return text, "html", f"a page that steps through {plural(steps, 'step')} (open it in a browser)"


def export(s: Session, kind: str, path: str, state: bool = False,
           including: str | None = None) -> Exported:
    """Write one export to `path` (as the user wrote it) and say what was written. A relative
    path is relative to `including`, the file that named it: by default the file the session
    is running (an :export line), "" for the command line (the working folder)."""
    try:
        target = confine.resolve(path, s.file if including is None else including)
    except confine.PathRefused as exc:
        raise CommandError(f"cannot write: {exc}") from None
    text, fmt, what = render(s, kind, target, state)
    try:
        files.write_text(target, text)
    except files.FileError as exc:
        raise CommandError(f"cannot write {path}: {exc.reason}") from None
    return Exported(f"wrote {confine.shown(target)}: {what}", path=target, format=fmt)


@command("export", USAGE, "Write a handout: 'dot' the graph as Graphviz DOT (dot -Tsvg FILE; "
         "values on the wires, local derivatives and contributions going back; add 'state' "
         "for the stepping state), 'trace' the primal and adjoint evaluation traces (Markdown, "
         "LaTeX, CSV or HTML, by the file's extension), 'html' one self-contained page that "
         "steps through the passes in a browser (buttons and ← →, no network needed).",
         args=(Arg("word", choices=FORMATS), Arg("file"), Arg("word", choices=("state",))),
         cost="slow")  # walks both passes; the page also checks every gradient
def _cmd_export(s: Session, args: list[str]) -> list[Event]:
    if not args:
        raise CommandError(f"usage: {USAGE}")
    kind = args[0].lower()
    if kind not in FORMATS:
        raise CommandError(f"cannot export as '{clip(args[0])}': the formats are dot, trace and "
                           "html (:export trace FILE.md); in the TUI, :screenshot FILE.svg saves "
                           "the screen")
    try:
        words = shlex.split(" ".join(args[1:]))  # a quoted path may hold spaces
    except ValueError as exc:
        raise CommandError(f"cannot read the file name: {exc}") from None
    if not words:
        raise CommandError(f"usage: :export {kind} FILE (which file?)")
    state = kind == "dot" and len(words) == 2 and words[1] == "state"
    if len(words) > 1 + state:
        rest = " ".join(words[1 + state:])
        hint = " [state]" if kind == "dot" else ""
        raise CommandError(f"unexpected '{clip(rest)}': :export {kind} FILE{hint}")
    return [export(s, kind, words[0], state)]
