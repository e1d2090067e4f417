"""Where the TUI keeps its files: REPL history (state) and an optional keymap (config).

Follows the XDG base directories on Linux (``$XDG_STATE_HOME``, ``$XDG_CONFIG_HOME``) and
the usual per-user folders elsewhere, as platformdirs would, without the dependency.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from .. import files

APP_DIR = "backprop-tui"


def _base(xdg_var: str, linux_default: str) -> Path:
    xdg = os.environ.get(xdg_var)
    if xdg and os.path.isabs(xdg):  # the XDG spec says to ignore relative paths
        return Path(xdg)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    return Path.home() / linux_default


def state_dir() -> Path:
    return _base("XDG_STATE_HOME", ".local/state") / APP_DIR


def config_dir() -> Path:
    return _base("XDG_CONFIG_HOME", ".config") / APP_DIR


def history_path() -> Path:
    return state_dir() / "history"


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str]:
    """Binding id → keys from ``keys.toml`` (``[keys]`` then ``step = "n,j"``).

    Returns the keymap and an error message ("" when fine or absent): a broken file must
    not stop the app from starting.
    """
    path = path or config_dir() / "keys.toml"
    if not path.exists():
        return {}, ""
    try:  # files.py: a regular file, read with a bound (a FIFO or /dev/zero is refused)
        data = tomllib.loads(files.read_text(path, limit=1_000_000))
    except files.FileError as exc:
        return {}, f"{path}: {exc.reason}"
    except tomllib.TOMLDecodeError as exc:
        return {}, f"{path}: {exc}"
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        return {}, f"{path}: expected a [keys] table of id = \"key,key\""
    return {str(k): v for k, v in keys.items()}, ""
