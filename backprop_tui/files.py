"""Every file the tool opens goes through here: regular files only, reads bounded.

- ``read_bytes(path)`` / ``read_text(path)``: a whole file, refused without blocking or
  reading when it is not a regular file (a directory, a named pipe, /dev/zero, a socket) or
  when its size is over the limit (a 1 GB sparse file is refused by its size alone); a file
  that grows while it is read is cut off at the limit and refused.
- ``stream_lines(stream)``: a binary stream (stdin) line by line as it arrives, in bounded
  chunks: a line longer than the limit is refused having read at most limit + one chunk.
- ``open_append(path)`` / ``write_text(path, text)``: writing, to regular files only (a
  named pipe would block the session in open(); /dev/full is not a place to keep a record).

Opening uses O_NONBLOCK, so a named pipe is refused at once instead of blocking until a
writer appears. Standard library only: this sits at the bottom of the layers.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

# The longest file read whole and the longest stdin line: 4 × the language's per-line limit
# of 4,000,000 characters (language.MAX_SOURCE_CHARS), so that the longest line it accepts
# fits in any UTF-8. tests/core/test_files.py keeps the two in step.
MAX_FILE_BYTES = 16_000_000
MAX_LINE_BYTES = MAX_FILE_BYTES
CHUNK = 1 << 16  # bytes read at a time: the most a refused line reads past the limit

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | \
    getattr(os, "O_CLOEXEC", 0)


class FileError(Exception):
    """A file cannot be used: str() is 'PATH: reason'; `reason` alone reads after a path."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


class LineTooLong(FileError):
    """A stream line over the limit; the stream is left part-way through it."""


def kind_of(mode: int) -> str:
    """'a directory', 'a named pipe (FIFO)', … for a file that is not a regular file."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse(path: str, mode: int) -> FileError:
    return FileError(path, f"is {kind_of(mode)}, not a regular file")


def _os_error(path: str, exc: OSError, doing: str) -> FileError:
    if isinstance(exc, FileNotFoundError):
        return FileError(path, "no such file")
    if isinstance(exc, IsADirectoryError):
        return FileError(path, "is a directory, not a regular file")
    if isinstance(exc, PermissionError):
        return FileError(path, "permission denied")
    return FileError(path, f"cannot {doing} it: {exc.strerror or exc}")


def _not_regular(name: str) -> FileError | None:
    """Why open() failed when the path is there but is no regular file (a socket: ENXIO)."""
    try:
        st = os.stat(name)
    except OSError:
        return None
    return None if stat.S_ISREG(st.st_mode) else _refuse(name, st.st_mode)


def too_big(size: int, limit: int) -> str:
    return f"is {size:,} bytes; the limit is {limit:,} bytes"


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` of them; FileError otherwise (see the module)."""
    name = os.fspath(path)
    try:
        fd = os.open(name, _FLAGS)
    except OSError as exc:
        raise _not_regular(name) or _os_error(name, exc, "open") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(name, st.st_mode)
        if st.st_size > limit:
            raise FileError(name, too_big(st.st_size, limit))
        parts: list[bytes] = []
        total = 0
        while True:  # st_size may be stale (a growing file, /proc): the loop bounds the read
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
            if total > limit:
                raise FileError(name, f"is over the limit of {limit:,} bytes (it grew while "
                                      "being read)")
        return b"".join(parts)
    except OSError as exc:
        raise _os_error(name, exc, "read") from None
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> str:
    """A regular file as UTF-8 text (a leading BOM dropped); FileError when it is not."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileError(os.fspath(path), f"not valid UTF-8 (byte 0x{data[exc.start]:02x} on "
                                         f"line {line})") from None


def stream_lines(stream: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of a binary stream as they arrive, each with its newline (the last may lack
    one). A line over `limit` bytes raises LineTooLong after at most limit + CHUNK bytes of it
    were read: /dev/zero on stdin costs one limit of memory, not all of it."""
    while True:
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = stream.readline(CHUNK)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                raise LineTooLong("<stdin>", f"a line is longer than the limit of {limit:,} "
                                             "bytes")
            if chunk.endswith(b"\n"):
                break
        if not parts:
            return
        yield b"".join(parts)


def _open_write(path: str | os.PathLike[str], flags: int) -> int:
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _os_error(name, exc, "open") from None
    else:
        if not stat.S_ISREG(st.st_mode):
            raise _refuse(name, st.st_mode)
    try:
        # O_NONBLOCK as well: a named pipe swapped in after the check fails instead of blocking.
        fd = os.open(name, flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0),
                     0o666)
    except OSError as exc:
        raise _not_regular(name) or _os_error(name, exc, "open") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _refuse(name, st.st_mode)
    return fd


def open_append(path: str | os.PathLike[str]) -> BinaryIO:
    """A regular file opened to append bytes, unbuffered (created if missing): each write
    reaches the OS at once. FileError when it cannot be opened or is not a regular file."""
    fd = _open_write(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    return os.fdopen(fd, "ab", buffering=0)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Replace a regular file's contents with `text` (UTF-8); FileError otherwise."""
    fd = _open_write(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise _os_error(os.fspath(path), exc, "write") from None
