"""The source text a graph was built from, and the map from node spans to file:line:column."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass
class Chunk:
    """One piece of source text (a file, or one REPL line) and where it came from."""

    base: int  # offset of this chunk in the graph's whole source
    text: str
    file: str
    first_line: int
    line_starts: list[int] = field(default_factory=list)
    separators: list[int] | None = None  # offsets of ';' and newlines, found on first use


class Source:
    """All text the graph was built from; maps node spans back to file:line:column."""

    def __init__(self) -> None:
        self.chunks: list[Chunk] = []
        self._bases: list[int] = []
        self.length = 0

    def add(self, text: str, file: str = "<input>", first_line: int = 1) -> int:
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        chunk = Chunk(self.length, text, file, first_line, starts)
        self.chunks.append(chunk)
        self._bases.append(self.length)
        self.length += len(text) + 1  # +1: chunks never run together
        return chunk.base

    def drop_last(self) -> None:
        chunk = self.chunks.pop()
        self._bases.pop()
        self.length = chunk.base

    def locate(self, offset: int) -> tuple[Chunk, int, int]:
        """(chunk, line, column), both 1-based, of a global offset."""
        chunk = self.chunks[bisect_right(self._bases, offset) - 1]
        rel = offset - chunk.base
        li = bisect_right(chunk.line_starts, rel) - 1
        return chunk, chunk.first_line + li, rel - chunk.line_starts[li] + 1

    def line_text(self, chunk: Chunk, line: int) -> str:
        li = line - chunk.first_line
        start = chunk.line_starts[li]
        end = chunk.text.find("\n", start)
        return chunk.text[start:] if end == -1 else chunk.text[start:end]

    def statement_at(self, offset: int, limit: int) -> str:
        """The statement holding a global offset (between ';' or line ends, before any
        comment), its first `limit` characters: O(log n) after one scan of the chunk."""
        chunk = self.chunks[bisect_right(self._bases, offset) - 1]
        text = chunk.text
        if chunk.separators is None:
            chunk.separators = [k for k, ch in enumerate(text) if ch == ";" or ch == "\n"]
        seps = chunk.separators
        k = bisect_right(seps, offset - chunk.base)
        start = seps[k - 1] + 1 if k else 0
        end = seps[k] if k < len(seps) else len(text)
        # The language has no strings: '#' always starts a comment.
        return text[start:min(end, start + limit)].split("#", 1)[0]

    def text(self, start: int, end: int) -> str:
        chunk = self.chunks[bisect_right(self._bases, start) - 1]
        return chunk.text[start - chunk.base : end - chunk.base]
