"""`backprop-tui check-engine FILE.py[:NAME]`: run a learner's script and check its engine.

The script is the user's own code, run on purpose as `python -m pdb` runs one (runpy, as
__main__, its folder first on sys.path); the expression language still never reaches eval
or exec. NAME picks the Value bound to that global; without it, the last micrograd-style
Value the script created (seen by a profile hook as each __init__ returns: no graph walk).
While the script runs, BACKPROP_TUI_CHECK_ENGINE=1 is set in its environment, so that it can
skip what it does only for itself (printing, plotting, training further).
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from .api import check_engine
from .learner import EngineError
from .textutil import EXIT_ERROR, clip


def _looks_like_value(x: object) -> bool:
    try:
        return hasattr(x, "_prev") and hasattr(x, "data") and hasattr(x, "_op")
    except Exception:
        return False


ENV = "BACKPROP_TUI_CHECK_ENGINE"


class ScriptError(Exception):
    """The script could not be run, or named no Value: the message says why."""


def split_target(target: str) -> tuple[str, str | None]:
    """'model.py:loss' → ('model.py', 'loss'); a path alone → (path, None)."""
    path, sep, name = target.rpartition(":")
    if sep and name.isidentifier() and path:
        return path, name
    return target, None


def run(path: str, name: str | None) -> tuple[object, str]:
    """Run the script; return (the Value to check, how it was chosen)."""
    p = Path(path)
    if not p.is_file():
        raise ScriptError(f"{path}: no such file")
    last: list[object] = [None]

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code.co_name == "__init__" and frame.f_code.co_argcount:
            obj = frame.f_locals.get(frame.f_code.co_varnames[0])
            if obj is not None and _looks_like_value(obj):
                last[0] = obj

    argv, path0 = sys.argv[:], sys.path[0] if sys.path else None
    marked = os.environ.get(ENV)
    os.environ[ENV] = "1"
    sys.argv = [str(p)]
    sys.path.insert(0, str(p.resolve().parent))
    previous = sys.getprofile()
    try:
        if name is None:
            sys.setprofile(hook)
        try:
            env = runpy.run_path(str(p), run_name="__main__")
        finally:
            sys.setprofile(previous)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise ScriptError(f"{path} exited with status {exc.code}") from None
        env = {}
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if os.path.abspath(f.filename) == str(p.resolve())]
        where = f" at line {frames[-1].lineno}" if frames else ""
        raise ScriptError(f"{path} raised {type(exc).__name__}{where}: "
                          f"{clip(str(exc), 200)}") from None
    finally:
        sys.argv = argv
        if marked is None:
            os.environ.pop(ENV, None)
        if path0 is not None and sys.path and sys.path[0] == str(p.resolve().parent):
            del sys.path[0]
    if name is not None:
        if name not in env:
            values = sorted(k for k, v in env.items() if _looks_like_value(v))
            hint = f"; its Values are {', '.join(values[:10])}" if values else ""
            raise ScriptError(f"{path} binds no global '{name}'{hint}")
        v = env[name]
        if not _looks_like_value(v):
            raise ScriptError(f"{name} in {path} is {type(v).__name__}, not a micrograd-style "
                              "Value (data, grad, _prev, _op)")
        return v, f"{name} in {path}"
    if last[0] is None:
        raise ScriptError(f"{path} created no micrograd-style Value (an object with data, "
                          "grad, _prev and _op)")
    return last[0], f"the last Value {path} created"


def main(argv: list[str]) -> int:
    """check-engine FILE.py[:NAME] [--json]: 0 when every rule holds, 1 when one does not,
    2 when the script or its graph cannot be checked."""
    args = [a for a in argv if a != "--json"]
    as_json = len(args) != len(argv)
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: backprop-tui check-engine FILE.py[:NAME] [--json]\n\n"
              "Run FILE.py (your own script, as python runs it) and check the micrograd-style "
              "Value bound to NAME (default: the last Value it created): each node's _backward "
              "alone, then every gradient against backprop-tui's and finite differences.",
              file=sys.stderr if len(args) != 1 else sys.stdout)
        return 0 if args[:1] in (["-h"], ["--help"]) else EXIT_ERROR
    path, name = split_target(args[0])
    try:
        root, chosen = run(path, name)
        report = check_engine(root)
    except (ScriptError, EngineError) as exc:
        print(f"backprop-tui: check-engine: {exc}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.flush()
    if as_json:
        import json

        print(json.dumps(report.event.to_dict(), ensure_ascii=False))
    else:
        print(f"checking {chosen}")
        print(report)
    return 0 if report.ok else 1
