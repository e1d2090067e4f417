"""Where a command may read or write files: the one policy every file-touching command uses.

Locally a path is the user's own business: it is read as written, relative to the replay
file that names it (or the working folder). In a served session (``backprop-tui serve``,
which starts each browser's session with ``--confine DIR``) the people typing are not the
machine's owner, so ``resolve`` keeps every file inside one folder: a path is relative to
that folder (or to the confined file that names it), absolute paths and ``~`` are refused,
and the result must still lie inside the folder once ``..`` and symlinks are resolved.

Commands that call it: :load (and the :load lines of a file loaded that way), :record,
:export, and the TUI's :screenshot. A replay file given to ``serve`` on its command line is
the operator's, not the browser's: it is played (and its own :load lines expanded) as usual.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

_root: str | None = None  # the confining folder (a real path), or None: not confined


class PathRefused(ValueError):
    """A confined session asked for a path outside its folder: str() says why."""


def set_root(folder: str | os.PathLike[str] | None) -> None:
    """Confine this process's sessions to `folder` (None lifts the confinement)."""
    global _root
    if folder is None:
        _root = None
        return
    real = os.path.realpath(os.fspath(folder))
    if not os.path.isdir(real):
        raise PathRefused(f"{os.fspath(folder)} is not a folder")
    _root = real


def root() -> str | None:
    """The confining folder, or None when this process is not confined."""
    return _root


@contextmanager
def confined(folder: str | os.PathLike[str] | None) -> Iterator[None]:
    """Confine to `folder` for the duration of a with-block (tests, one-off runs)."""
    saved = _root
    set_root(folder)
    try:
        yield
    finally:
        _set(saved)


def _set(value: str | None) -> None:
    global _root
    _root = value


def inside(path: str, folder: str) -> bool:
    """`path` (a real path) is `folder` itself or lies below it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def resolve(path: str, including: str = "") -> str:
    """The file to open for `path` as a command wrote it, or PathRefused.

    `including` is the file the command came from (a replay file), or "" / "<input>" /
    "<stdin>" for a line typed by hand. Not confined: `path` relative to that file's folder
    (or the working folder) — what replay files have always done. Confined: see the module
    docstring; the answer is a real path inside the folder.
    """
    folder = _root
    if folder is None:
        if os.path.isabs(path) or including.startswith("<") or not including:
            return path
        return os.path.normpath(os.path.join(os.path.dirname(including), path))
    if not path or "\0" in path:
        raise PathRefused("no file name given")
    if os.path.isabs(path) or path.startswith("~"):
        raise PathRefused(f"'{_clip(path)}': a served session names files relative to its "
                          "folder; absolute paths and ~ are refused")
    base = folder
    if including and not including.startswith("<"):
        real_including = os.path.realpath(os.path.dirname(including) or ".")
        if inside(real_including, folder):
            base = real_including
    real = os.path.realpath(os.path.join(base, path))
    if not inside(real, folder):
        raise PathRefused(f"'{_clip(path)}' is outside this served session's folder: files "
                          "are read and written only inside it (no '..' out of it, no links "
                          "leading out of it)")
    return real


def shown(path: str) -> str:
    """A path as a message shows it: relative to the confining folder when confined, so a
    browser user is not told the server's folder layout."""
    folder = _root
    if folder is not None and inside(path, folder):
        return os.path.relpath(path, folder)
    return path


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
