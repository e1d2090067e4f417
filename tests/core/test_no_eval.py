"""Faults (issue 7): no module of backprop_tui can hand user text to Python.

Scans every module's syntax tree (not its text, so comments and strings don't count) for
calls that execute or deserialise code: eval, exec, compile, __import__, breakpoint (also
through ``builtins.``), pickle/marshal/shelve loading, os.system/os.popen, subprocess with
shell=True, importlib.import_module with a computed name, and Lark's ``cache=True`` (it
loads a pickle from a predictable temporary path). A parser test then shows that text
which *would* run as Python is only ever a parse error.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import backprop_tui
from backprop_tui.language import LangError, Program

PACKAGE = Path(backprop_tui.__file__).resolve().parent
SOURCES = sorted(PACKAGE.rglob("*.py"))

BANNED_NAMES = {"eval", "exec", "compile", "__import__", "breakpoint"}
BANNED_ATTRS = {
    ("builtins", "eval"), ("builtins", "exec"), ("builtins", "compile"),
    ("builtins", "__import__"), ("pickle", "load"), ("pickle", "loads"),
    ("pickle", "Unpickler"), ("marshal", "load"), ("marshal", "loads"), ("shelve", "open"),
    ("os", "system"), ("os", "popen"), ("dill", "loads"), ("yaml", "load"),
}


def _dotted(node: ast.AST) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


def violations(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        where = f"line {node.lineno}: {'.'.join(name) or ast.unparse(node.func)}(...)"
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        if len(name) == 1 and name[0] in BANNED_NAMES:
            found.append(where)
        elif len(name) >= 2 and name[-2:] in BANNED_ATTRS:
            found.append(where)
        elif name[:1] == ("subprocess",) and isinstance(kwargs.get("shell"), ast.Constant) \
                and kwargs["shell"].value:
            found.append(where + " with shell=True")
        elif name[-1:] == ("import_module",) and not (node.args and isinstance(node.args[0], ast.Constant)):
            found.append(where + " with a computed module name")
        elif name[-1:] == ("Lark",) and isinstance(kwargs.get("cache"), ast.Constant) \
                and kwargs["cache"].value:
            found.append(where + " with cache=True (loads a pickle)")
        elif name[-1:] == ("getattr",) and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                and node.args[1].value in BANNED_NAMES:
            found.append(where + f" fetching {node.args[1].value}")
    return found


def test_the_scan_sees_the_package() -> None:
    names = {p.name for p in SOURCES}
    assert {"program.py", "builder.py", "session.py", "graph.py", "cli.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_executes_or_deserialises_code(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert violations(tree) == []


def test_the_scan_catches_each_pattern() -> None:
    """The checker itself: each banned form is reported, harmless look-alikes are not."""
    bad = """
eval(text)
exec(text)
compile(text, "f", "exec")
__import__(name)
builtins.eval(text)
pickle.loads(data)
os.system(cmd)
subprocess.run(cmd, shell=True)
importlib.import_module(name)
Lark(g, cache=True)
getattr(builtins, "exec")(text)
"""
    assert len(violations(ast.parse(bad))) == 11
    fine = """
re.compile(r"x+")
graph.eval_node(3)
importlib.import_module("backprop_tui.dot")
subprocess.run([sys.executable, "-V"])
Lark(g, parser="lalr")
json.loads(text)
"""
    assert violations(ast.parse(fine)) == []


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo pwned')",
    "exec('import os')",
    "eval('1+1')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()",
    "import os",
    "x = 1; x.real",
    "lambda: 0",
    "f'{1}'",
])
def test_python_is_only_a_parse_error(text: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LangError):
        Program().run(text)
