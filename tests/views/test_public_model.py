"""Views read the session's public model (issue 10): no view module touches a `_`-prefixed
attribute of anything but itself — the session, its program, its graph, its undo log.

An AST scan of every view module: `X._name` where X is not `self`, `cls` or `super()` fails
(dunder names are allowed), and so does `getattr(X, "_name")`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import backprop_tui

PACKAGE = Path(backprop_tui.__file__).parent
VIEWS = sorted([*PACKAGE.glob("tui/**/*.py"), PACKAGE / "headless.py", PACKAGE / "dot.py",
                PACKAGE / "render_text.py"])


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_accesses(source: str) -> list[tuple[int, str]]:
    """(line, code) of every private attribute reached through something other than self/cls."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) \
                    and base.func.id == "super":
                continue
            found.append((node.lineno, ast.unparse(node)))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and _private(node.args[1].value)):
            found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_the_scan_sees_every_view_module():
    names = {p.relative_to(PACKAGE).as_posix() for p in VIEWS}
    assert {"headless.py", "dot.py", "render_text.py", "tui/app.py",
            "tui/widgets/graph_view.py", "tui/widgets/inspector.py"} <= names


def test_the_scan_catches_what_it_forbids():
    bad = """
s.session._log[-1]
self.session._step_event()
getattr(g, "_consumers")
def f(session): return session._fwd_index
"""
    ok = """
self._cache = {}
cls._registry
obj.__class__
super()._action_command_list("page_up")
session.current_step()
"""
    assert [code for _, code in private_accesses(bad)] == [
        "s.session._log", "self.session._step_event", "getattr(g, '_consumers')",
        "session._fwd_index"]
    assert private_accesses(ok) == []


def test_views_touch_only_the_public_model():
    offences = [f"{path.relative_to(PACKAGE)}:{line}: {code}"
                for path in VIEWS for line, code in private_accesses(path.read_text("utf-8"))]
    assert offences == []
