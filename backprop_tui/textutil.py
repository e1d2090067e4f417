"""Small text helpers shared by the core and the views: clipping user text, reading numbers
and quoted arguments, plural nouns. Standard library only."""

from __future__ import annotations

import re

# A number as typed in a command argument: 2, -2.5, .5, 1e-3; the Unicode minus U+2212 is a
# minus sign anywhere in it (also in the exponent), as in the language.
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
# The file name of lines typed in a session (the TUI's line, Session.run_line without a
# file): their line:column point into a buffer the user never sees, so messages omit them.
REPL_FILE = "<input>"
EXIT_OK, EXIT_FAILED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def clip(text: str, n: int = 60) -> str:
    """User text quoted in a message, clipped: a hostile argument is not echoed in full."""
    return text if len(text) <= n else text[: n - 1] + "…"


def clip_long(text: str, limit: int = 300) -> str:
    """A long line echoed as its start and its length (a 10 MB line is not printed whole)."""
    return text if len(text) <= limit else f"{text[:200]}… ({len(text):,} characters)"


class NumberError(ValueError):
    """Not a number: str() says what was read."""


def parse_number(text: str, special: bool = False) -> float:
    """A decimal number as written in a command. special=True also takes nan, inf and -inf
    (for :expect on overflow demos); otherwise a number must be finite in float64."""
    t = text.strip().replace("−", "-")
    if special and t.lower() in ("nan", "inf", "+inf", "-inf"):
        return float(t)
    if not _NUMBER.fullmatch(t):
        raise NumberError(f"expected a number, got '{clip(text.strip())}'")
    x = float(t)
    if not special and x in (float("inf"), float("-inf")):
        raise NumberError(f"the number {clip(t)} is too large for a float64")
    return x


def unquote(text: str) -> str:
    """'a b' or "a b" → a b: a path or message argument may be quoted."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def plural(count: int, noun: str) -> str:
    """'1 node', '2 nodes', '1,000 nodes'."""
    return f"{count:,} {noun}{'s' * (count != 1)}"


def join_or(items: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
