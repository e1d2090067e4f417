"""backprop-tui: step through backpropagation in a terminal, or run replay files headless.

  backprop-tui                      the TUI on the seed example x² + 3xy + 1
  backprop-tui FILE.bp              play a replay file in the TUI
  backprop-tui FILE.bp --slides     … as slides: each :say waits for PageDown (PageUp goes back)
  backprop-tui -e 'x = 2; x^2'      the TUI on a program
  backprop-tui --headless FILE...   run files without a UI (- reads stdin, line by line)
  backprop-tui serve [FILE.bp]      the TUI in browsers (backprop-tui serve --help)
  backprop-tui cast FILE.bp -o OUT  a replay file as an asciinema cast (cast --help)
  backprop-tui bench [...]          the scaling benchmarks (backprop-tui bench --help)
  backprop-tui check-engine FILE.py[:NAME]
                                    run your micrograd-style engine's script and check it

Headless exit status: 0 when every :expect held, 1 when one failed, 2 on a usage or file
error, or an error line that no ':expect error' accounts for.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .textutil import EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="backprop-tui", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="replay files (.bp): statements and :commands, one per line; - is stdin")
    p.add_argument("-e", dest="program", metavar="PROGRAM",
                   help="a program to start with, e.g. 'x = 2; y = 3; x^2 + 3x*y + 1'")
    p.add_argument("--headless", action="store_true", help="run the files without a UI")
    p.add_argument("--json", action="store_true",
                   help="headless: one JSON object per event; each file ends with its summary")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="headless: print only failures and a last line 'N passed, N failed'")
    p.add_argument("--no-color", action="store_true", help="headless: plain text, no colour")
    p.add_argument("--record", metavar="FILE",
                   help="append every line run to FILE (a replay file), flushed after each line")
    p.add_argument("--export", metavar="[KIND:]FILE", action="append", default=[],
                   help="headless: after the run, write FILE from the final state (repeatable): "
                   ".dot the graph, .html the stepping page, .md/.tex/.csv the evaluation trace; "
                   "trace:FILE.html for the trace as HTML")
    p.add_argument("--slides", action="store_true",
                   help="play FILE as slides: each :say is one; PageDown runs on to the next, "
                   "PageUp goes back, restoring the session exactly (F11 switches in the TUI)")
    p.add_argument("--speed", metavar="X", type=_speed, default=1.0,
                   help="timed playback at X times the normal pace (0.1 to 20; + and - change "
                   "it while playing)")
    p.add_argument("--present", action="store_true",
                   help="start in the presentation layout: graph, inspector and a large "
                   "narration in a high-contrast projector theme (F12 cycles dark, light, off)")
    p.add_argument("--light", action="store_true",
                   help="with --present: the light projector theme (for a bright room)")
    # What `serve` starts for each browser: file commands stay inside DIR (confine.py).
    p.add_argument("--confine", metavar="DIR", help=argparse.SUPPRESS)
    return p


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.1 <= value <= 20:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} is outside 0.1 to 20")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """The console script. Never shows a traceback: an unexpected error is one line, exit 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_ERROR
    except Exception as exc:  # the promise: one line, never a traceback
        print(f"backprop-tui: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _main(argv: list[str]) -> int:
    if argv[:1] == ["bench"]:  # subcommands: dispatched before the file-taking parser
        from .bench import main as bench_main

        return bench_main(argv[1:])
    if argv[:1] == ["check-engine"]:
        from .run_script import main as engine_main

        return engine_main(argv[1:])
    if argv[:1] == ["serve"]:
        from .serve import main as serve_main

        return serve_main(argv[1:])
    if argv[:1] == ["cast"]:
        from .tui.cast import main as cast_main

        return cast_main(argv[1:])
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or --help)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    headless = args.headless or args.json or args.quiet
    if args.json and args.quiet:
        return _usage(parser, "--json and --quiet do not go together")
    playing = args.slides or args.speed != 1.0
    if headless and (playing or args.present):
        return _usage(parser, "--slides, --speed and --present are for the TUI (headless mode "
                      "does not wait)")
    if playing and not args.files:
        return _usage(parser, "--slides and --speed need a replay FILE to play")
    if args.light and not args.present:
        return _usage(parser, "--light goes with --present")
    if args.export and not headless:
        return _usage(parser, "--export goes with --headless (in the TUI, type :export)")
    if args.confine is not None:
        from . import confine

        try:
            confine.set_root(args.confine)
        except confine.PathRefused as exc:
            return _usage(parser, f"--confine: {exc}")
    if headless:
        from . import headless as hl

        if not args.files and args.program is None:
            return _usage(parser, "--headless needs at least one FILE (- for stdin) or -e PROGRAM")
        if args.files.count("-") > 1:
            return _usage(parser, "stdin (-) can be given only once")
        sources = ([("text", args.program)] if args.program is not None else [])
        sources += [("file", f) for f in args.files]
        opts = hl.Options(json=args.json, quiet=args.quiet,
                          color=False if args.no_color else None, record=args.record,
                          exports=args.export)
        return hl.run(sources, opts)
    return _tui(parser, args)


def _usage(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    print(f"backprop-tui: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _tui(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if len(args.files) > 1:
        return _usage(parser, "the TUI plays one file at a time; use --headless to run several")
    replay = args.files[0] if args.files else None
    if replay == "-":
        return _usage(parser, "the TUI cannot play stdin; use --headless -")
    if replay is not None:
        from .replay import ReplayError, iter_lines

        try:
            iter_lines(replay)  # a missing or binary file is a clear error before the TUI opens
        except ReplayError as exc:
            print(f"backprop-tui: {exc}", file=sys.stderr)
            return EXIT_ERROR
    if args.confine is not None:  # one browser tab of `backprop-tui serve`
        from .serve import run_served

        return run_served(replay)
    try:
        from .tui.app import run_app
    except ImportError as exc:
        print(f"backprop-tui: the TUI is not available ({exc}); use --headless FILE",
              file=sys.stderr)
        return EXIT_ERROR
    # program None and no replay: the TUI opens on the seed example.
    present = ("projector-light" if args.light else "projector-dark") if args.present else ""
    return run_app(program=args.program, replay=replay, record=args.record, slides=args.slides,
                   speed=args.speed, present=present)


if __name__ == "__main__":
    sys.exit(main())
