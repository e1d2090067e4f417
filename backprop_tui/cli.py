"""Command line: arguments → TUI, headless run, or benchmark."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .graph import EvalError
from .labels import fmt_val, label
from .language import LangError, Program

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


def read_source(path: str) -> str:
    """A program file's text (``-`` is stdin); undecodable bytes become a clear error."""
    data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LangError(f"the file is not valid UTF-8 (byte {exc.start})", path if path != "-"
                        else "<stdin>", 1, 1) from None


def summary(prog: Program) -> dict:
    """The stable summary object: output, inputs with gradients, every node."""
    g = prog.graph
    out = prog.output
    return {
        "event": "summary",
        "output": None if out is None else {"label": label(g, out), "value": g.value[out]},
        "inputs": [{"name": name, "value": g.value[i], "grad": g.grad[i]}
                   for name, i in prog.inputs()],
        "nodes": [{"id": i, "label": label(g, i), "op": _opname(g, i), "value": g.value[i],
                   "grad": g.grad[i] if g.takes_grad(i) else None,
                   "operands": list(g.operands(i))} for i in range(len(g))],
    }


def _opname(g, i: int) -> str:
    from .ops import OPS

    return OPS[g.op[i]].name


def run_headless(paths: Sequence[str], as_json: bool) -> int:
    for path in paths:
        name = "<stdin>" if path == "-" else path
        try:
            text = read_source(path)
            prog = Program()
            prog.run(text, name)
            if prog.output is None:
                raise LangError("the program is empty: write an expression such as x^2 + 1", name)
            g = prog.graph
            try:
                g.forward()
                g.backward(prog.output)
            except EvalError as err:
                span = prog.span(err.node)
                raise LangError(f"{label(g, err.node)}: {err.message}", span.file, span.line,
                                span.col) from None
        except LangError as err:
            print(err.format(), file=sys.stderr)
            return EXIT_ERROR
        except OSError as err:
            print(f"backprop-tui: cannot read {name}: {err.strerror}", file=sys.stderr)
            return EXIT_ERROR
        data = summary(prog)
        if as_json:
            print(json.dumps(data, ensure_ascii=False))
        else:
            _print_summary(data)
    return EXIT_OK


def _print_summary(data: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    out = data["output"]
    console.print(f"f = {out['label']} = {fmt_val(out['value'])}")
    table = Table("input", "value", "∂f/∂input")
    for row in data["inputs"]:
        table.add_row(row["name"], fmt_val(row["value"]), fmt_val(row["grad"]))
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="backprop-tui", description=__doc__)
    parser.add_argument("files", nargs="*", help="program or replay files (- for stdin)")
    parser.add_argument("--headless", action="store_true", help="run without the TUI")
    parser.add_argument("--json", action="store_true", help="print JSON Lines")
    args = parser.parse_args(argv)
    if args.headless:
        if not args.files:
            parser.error("--headless needs at least one FILE (- for stdin)")
        return run_headless(args.files, args.json)
    parser.error("the TUI is not built yet; use --headless FILE")
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
