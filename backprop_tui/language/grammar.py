"""Loading the grammar, and the input limits checked before a parse."""

from __future__ import annotations

import re
from pathlib import Path

from .. import files

# Input limits, so that hostile input gets a clear error instead of minutes of parsing.
# Parsing costs ~5-15 µs per token, so 4M characters bound one run (a file or a REPL
# line) to well under a minute and ~1 GB; a 100k-node program is ~0.8-1.2M characters,
# and a 10 MB line is refused at once.
MAX_SOURCE_CHARS = 4_000_000
MAX_NESTING = 100_000  # parenthesis depth (a 100k-deep chain ((x+1)+1)… still parses)
MAX_NAME_LENGTH = 256
# Parse time follows tokens, not characters: 4M characters of "1+1+…" are 4M tokens (about a
# minute and 1 GB), while a 100k-node program has ~0.3-0.4M. Counted roughly (a word, or one
# other character) with one regex before parsing; 1M tokens parse in seconds.
MAX_TOKENS = 1_000_000
ROUGH_TOKEN = re.compile(r"\w+|[^\w\s]")


def grammar_text() -> str:
    """The grammar, from inside the installed package or from the repo's grammar/."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "grammar" / "backprop.lark"  # the wheel's force-included copy
    repo = package.parent / "grammar" / "backprop.lark"  # an editable install
    for path in (packaged, repo):
        if path.is_file():
            return files.read_text(path)
    raise FileNotFoundError(f"grammar not found at {packaged} or {repo}")




def too_deep(text: str) -> int:
    """Offset of the '(' that nests deeper than MAX_NESTING, or -1."""
    depth = 0
    for m in re.finditer(r"[()]", text):
        if m.group() == "(":
            depth += 1
            if depth > MAX_NESTING:
                return m.start()
        elif depth:
            depth -= 1
    return -1
