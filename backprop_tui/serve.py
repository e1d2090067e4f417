"""backprop-tui serve [FILE.bp]: the TUI in browsers, with textual-serve.

Each browser tab that opens the page gets its own session: textual-serve starts a new
process of ``backprop-tui --confine DIR [FILE.bp]`` for every websocket connection. There is
no authentication and no Origin check, so the server listens on 127.0.0.1 unless --host
says otherwise (then a warning says so), and every file a tab reads or writes (:load,
:record, :export, :screenshot) stays inside DIR (confine.py); what a tab writes is also
sent to its browser as a download.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .replay import ReplayError, iter_lines
from .textutil import EXIT_ERROR, EXIT_OK

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to a public address


def command(folder: str, replay: str | None) -> str:
    """The shell command textual-serve runs for each tab (it runs it through a shell)."""
    argv = [sys.executable, "-m", "backprop_tui", "--confine", folder]
    if replay is not None:
        argv.append(os.path.abspath(replay))
    return shlex.join(argv)


def run_served(replay: str | None) -> int:
    """One tab's process: the TUI, confined (cli.py has called confine.set_root), with a
    history of its own (a temporary file, removed at exit) and downloads for what it writes."""
    from .tui.app import BackpropApp
    from .tui.served import deliver_exports

    private = tempfile.mkdtemp(prefix="backprop-tui-tab-")
    try:
        app = BackpropApp(None, replay, None, history_path=Path(private) / "history")
        app.session.listeners.append(lambda line, events: deliver_exports(app, line, events))
        app.run()
        return app.return_code or 0
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="backprop-tui serve", description=(
        "Serve the TUI to web browsers (textual-serve): every tab gets its own session. "
        "There is no authentication: the server listens on 127.0.0.1 unless --host says "
        "otherwise."))
    p.add_argument("file", nargs="?", metavar="FILE.bp", help="a replay file every tab plays")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}; anything else lets "
                   "other machines in, without a password)")
    p.add_argument("--dir", metavar="DIR", help="the one folder served sessions read and write "
                   "(:load, :record, :export, :screenshot); default: a fresh temporary folder")
    return p


def main(argv: Sequence[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    if not 0 < args.port < 65536:
        return _fail(f"--port {args.port}: a port is from 1 to 65535")
    if args.file is not None:
        if args.file == "-":
            return _fail("a served session plays a file, not stdin")
        try:
            iter_lines(args.file)  # a missing or binary file is an error now, not in each tab
        except ReplayError as exc:
            return _fail(str(exc))
    if args.dir is not None:
        folder = os.path.realpath(args.dir)
        if not os.path.isdir(folder):
            return _fail(f"--dir {args.dir}: no such folder")
    else:
        folder = tempfile.mkdtemp(prefix="backprop-tui-serve-")
    try:
        from textual_serve.server import Server
    except ImportError:
        return _fail("serving needs textual-serve: pip install textual-serve")
    if not is_loopback(args.host):
        print(f"backprop-tui serve: warning: listening on {args.host}: anyone who can reach "
              f"port {args.port} gets a session, with no password (textual-serve has no "
              "authentication)", file=sys.stderr)
    print(f"backprop-tui serve: files of served sessions: {folder}", file=sys.stderr)
    server = Server(command(folder, args.file), host=args.host, port=args.port,
                    title="backprop-tui")
    try:
        server.serve()
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    return EXIT_OK


def _fail(message: str) -> int:
    print(f"backprop-tui serve: {message}", file=sys.stderr)
    return EXIT_ERROR
