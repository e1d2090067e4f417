"""The built wheel, installed into a fresh virtual environment, finds its grammar.

An editable install reads the repository's grammar/; a real install must read the copy that
pyproject.toml force-includes as backprop_tui/grammar. This builds the wheel, installs it
(with only lark from PyPI: the language needs nothing else) into a plain venv, and runs the
installed console script from a directory outside the repository.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = "x = 2; y = 3; x^2 + 3x*y + 1\n"


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


def clean_env() -> dict[str, str]:
    """The environment without anything that would let the repo leak into the new venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.mark.slow
def test_wheel_installs_and_finds_its_grammar(tmp_path: Path):
    env = clean_env()
    dist = tmp_path / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        build.insert(4, "--no-build-isolation")  # hatchling is here: skip fetching it again
    run(build, env=env)
    wheels = list(dist.glob("backprop_tui-*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as whl:
        names = whl.namelist()
    assert "backprop_tui/grammar/backprop.lark" in names
    assert not any(n.startswith("grammar/") for n in names)

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env=env)
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # This interpreter's pip installs into the new venv (--python): no ensurepip needed.
    pip = [sys.executable, "-m", "pip", "--python", str(py), "install", "-q"]
    run([*pip, "--no-deps", str(wheels[0])], env=env)
    run([*pip, "lark>=1.2,<2"], env=env)

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = run([str(py), "-c", "import backprop_tui.language as m; print(m.__file__)"],
                cwd=outside, env=env).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # the installed copy, not the repo

    script = venv / ("Scripts/backprop-tui.exe" if os.name == "nt" else "bin/backprop-tui")
    proc = subprocess.run([str(script), "--headless", "--json", "-"], input=SEED,
                          capture_output=True, text=True, timeout=60, cwd=outside, env=env)
    if proc.returncode != 0 and "No module named" in proc.stderr:
        # The headless path needs more than lark: install the declared dependencies too.
        run([*pip, str(wheels[0])], env=env)
        proc = subprocess.run([str(script), "--headless", "--json", "-"], input=SEED,
                              capture_output=True, text=True, timeout=60, cwd=outside, env=env)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary["output"]["value"] == 23.0
    assert {i["name"]: i["grad"] for i in summary["inputs"]} == {"x": 13.0, "y": 6.0}
