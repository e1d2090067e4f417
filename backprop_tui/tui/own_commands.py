"""The TUI's own :commands (the session has no screen to capture), declared in the registry's
shape, so completion, the help screen and the palette treat them as the session's.

A registry command of the same name wins: the session's table is the first authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .. import confine
from ..events import Error, Event, Info
from ..registry import ALIASES, COMMANDS, Arg, Command, CommandError
from ..session import Session
from .base import AppBase
from .served import deliver, screenshot_path


def own_commands(app: AppBase) -> dict[str, Command]:
    """The TUI's commands, their runners bound to `app`."""

    def screenshot(_s: Session, args: list[str]) -> list[Event]:
        if len(args) != 1 or not args[0].endswith(".svg"):
            raise CommandError("usage: :screenshot FILE.svg")
        try:  # served: inside the session's folder only (confine.py)
            path = screenshot_path(args[0], app.session.file)
        except confine.PathRefused as exc:
            raise CommandError(f"cannot write: {exc}") from None
        if not path.parent.is_dir():
            raise CommandError(f"cannot write {path}: no such folder {path.parent}")
        # After the next refresh, so the picture shows the screen, not the typed command.
        app.call_after_refresh(_save_screenshot, app, path)
        return [Info(f"screenshot: {confine.shown(str(path))}")]

    table = [
        Command("screenshot", (), ":screenshot FILE.svg", "Save an SVG screenshot of the screen.",
                screenshot, args=(Arg("file"),), cost="quick"),
    ]
    return {c.name: c for c in table if c.name not in COMMANDS}


def _save_screenshot(app: AppBase, path: Path) -> None:
    try:
        app.save_screenshot(path.name, str(path.parent))
        deliver(app, str(path))  # served: the browser gets it as a download
    except OSError as exc:
        app.log_pane.note(f"error: cannot write {path}: {exc.strerror or exc}", "error")
        app.repl.show_error(f"cannot write {path}: {exc.strerror or exc}")


def lookup(word: str, own: Mapping[str, Command]) -> Command | None:
    """The command a word names: the session's (by name or alias), else the TUI's."""
    name = ALIASES.get(word)
    return COMMANDS[name] if name is not None else own.get(word)


def command_word(line: str) -> str | None:
    """The command word of a ':cmd args' line ('' for a bare ':'), None for a statement."""
    stripped = line.strip()
    if not stripped.startswith(":"):
        return None
    words = stripped[1:].split(maxsplit=1)
    return words[0] if words else ""


def run_own(command: Command, session: Session, line: str) -> list[Event]:
    """Run a TUI command's line as the session runs its own: a usage error is an Error."""
    try:
        return command.run(session, line.strip().split()[1:])
    except CommandError as exc:
        return [Error(str(exc))]


def help_of(command: Command) -> Info:
    """`:help NAME` for a TUI command, worded as the session's :help words its own."""
    alias = f"  (aliases: {', '.join(':' + a for a in command.aliases)})" if command.aliases else ""
    return Info(f"{command.usage}{alias}\n  {command.help}")
