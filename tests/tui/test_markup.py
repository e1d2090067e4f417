"""No user text reaches Textual/Rich markup unescaped (issue 16, item 5).

Two guards. A static one: an AST scan of every TUI module finds each markup sink (Label,
Static, TabPane, Binding and SystemCommand texts, ``.update()``, ``notify()``, border
titles, ``Content.from_markup`` / ``Text.from_markup`` templates) and requires what reaches
it to be a literal, ``escape(...)``, or a Content/Text object (which is not parsed as
markup); a template must be a literal, user text going in as ``$name`` substitutions,
which Textual escapes. And regressions through the running app: lines full of markup
reach the busy bar, the REPL message, the log, the banner and the status bar.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import enter, settle
from textual.widgets import Label, Static

import backprop_tui.tui
from backprop_tui.tui.app import BackpropApp
from backprop_tui.tui.widgets.banner import NarrationBanner
from backprop_tui.tui.widgets.log_pane import LogPane
from backprop_tui.tui.widgets.status import StatusBar

TUI = Path(backprop_tui.tui.__file__).parent
# Calls whose positional arguments at these indices are parsed as markup when they are str.
SINK_CALLS = {"Label": (0,), "Static": (0,), "Button": (0,), "TabPane": (0,), "Tab": (0,),
              "SystemCommand": (0, 1), "Binding": (2,), "update": (0,), "notify": (0,)}
SINK_ATTRS = {"border_title", "border_subtitle", "title", "sub_title", "tooltip"}
TEMPLATES = {"from_markup"}  # Content.from_markup / Text.from_markup: arg 0 is a template
SAFE_ROOTS = {"Content", "Text"}  # objects that are not markup
SAFE_FUNCS = {"escape"}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _root(expr: ast.expr) -> ast.expr:
    """The innermost object of a chain such as Content("\\n").join(...)."""
    while True:
        if isinstance(expr, ast.Attribute):
            expr = expr.value
        elif isinstance(expr, ast.Call):
            expr = expr.func
        else:
            return expr


def _safe(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, ast.BinOp):  # Content + Content
        return _safe(expr.left) and _safe(expr.right)
    if isinstance(expr, ast.Call):
        if _name(expr.func) in SAFE_FUNCS:
            return True
        root = _root(expr)
        return isinstance(root, ast.Name) and root.id in SAFE_ROOTS
    return False


def markup_offences(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name in TEMPLATES and node.args and not isinstance(node.args[0], ast.Constant):
                found.append((node.lineno, ast.unparse(node)))
            for k in SINK_CALLS.get(name, ()):
                if k < len(node.args) and not _safe(node.args[k]):
                    found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr in SINK_ATTRS \
                        and not _safe(node.value):
                    found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def test_the_scan_catches_unescaped_text():
    bad = '''
label.update(f"running {line}")
Static(text)
Content.from_markup(f"[b]{name}[/b]")
Content.from_markup("[b]" + name)
self.notify(message)
pane.border_title = user_label
SystemCommand(usage, "help", run)
'''
    ok = '''
label.update(Content(f"running {line}"))
Static("", id="note")
Content.from_markup("[b]$n[/b]", n=name)
Static(Content("\\n").join(lines))
self.notify(escape(message))
pane.border_title = "Graph"
SystemCommand(escape(usage), escape(help), run)
bar.update(total=3, progress=1)
label.update(Content.styled(text, "bold") + Content(" more"))
'''
    assert len(markup_offences(bad)) == 7
    assert markup_offences(ok) == []


def test_no_tui_module_sends_unescaped_text_to_markup():
    offences = [f"{p.relative_to(TUI)}:{line}: {code}" for p in sorted(TUI.rglob("*.py"))
                for line, code in markup_offences(p.read_text("utf-8"))]
    assert offences == []


MARKUP = "[/] [/x] [b]bold[/b] [link=x] [$accent] [@click=app.quit] \\[ ]"


def _plain(widget) -> str:
    return str(widget.render())


async def test_markup_in_worker_lines_and_answers_is_shown_as_typed():
    """`:check [/]` ended the app: the busy label rendered the worker's line as markup."""
    app = BackpropApp()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        for line in (":check [/]", ":compare [/x]", f":check {MARKUP}", f":load {MARKUP}"):
            await enter(pilot, line)
            await settle(pilot)
            assert app.is_running, line
            busy = _plain(app.query_one("#busy-label", Label))
            assert line.strip()[:40] in busy, (line, busy)  # shown literally, clipped
        for line in (f":say {MARKUP}", f":bogus {MARKUP}", f"x{MARKUP} = 1", f":show {MARKUP}",
                     f":help {MARKUP}", f":screenshot {MARKUP}.svg", f":expect error {MARKUP}",
                     f":set x = {MARKUP}", f":goto {MARKUP}"):
            await enter(pilot, line)
            await settle(pilot)
            assert app.is_running, line
        message = _plain(app.query_one("#repl-message", Static))
        assert "[/]" in message  # the last error quotes the argument as typed
        assert f"› :say {MARKUP}" in app.query_one(LogPane).text
        assert MARKUP in _plain(app.query_one(NarrationBanner))
    assert app.return_code in (None, 0)


async def test_markup_in_a_key_driven_note_and_a_replay(tmp_path):
    demo = tmp_path / "demo.bp"
    demo.write_text(f":say {MARKUP}\nx = 2\nx^2\n:break {MARKUP}\n:expect error [/x]\n",
                    encoding="utf-8")
    app = BackpropApp(replay_path=str(demo), replay_delay=0)
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(20):
            await pilot.pause(0.05)
        await settle(pilot)
        assert app.is_running
        assert MARKUP in _plain(app.query_one(NarrationBanner))
        app.query_one(StatusBar).note = MARKUP  # a note quoting user text, as a key's can
        await pilot.pause()
        assert MARKUP.split("\n")[0] in _plain(app.query_one(StatusBar))
    assert app.return_code in (None, 0)
