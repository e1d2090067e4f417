"""Language errors: where, what, and what was expected, in words rather than terminal names."""

from __future__ import annotations

from dataclasses import dataclass

from lark import Token


@dataclass
class Span:
    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        if self.end_line == self.line:
            tail = f"-{self.end_col - 1}" if self.end_col > self.col + 1 else ""
        else:
            tail = f"-{self.end_line}:{self.end_col}"
        return f"{self.line}:{self.col}{tail}"


class LangError(Exception):
    """A parse or evaluation error with where, what, and what was expected."""

    def __init__(self, message: str, file: str = "<input>", line: int = 1, col: int = 1,
                 source_line: str = "", width: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.source_line = source_line
        self.width = max(1, width)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def caret(self) -> str:
        """The source line and a caret under the spot (tabs kept so columns line up)."""
        if not self.source_line:
            return ""
        text, col = self.source_line, self.col
        if col > 120:  # a long line: show a window that holds the spot, not its first 200
            text, col = "…" + text[col - 80:], 81
        line = "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in text[:200])
        pad = "".join(c if c == "\t" else " " for c in line[: col - 1])
        return f"    {line}\n    {pad}{'^' * min(self.width, 80)}"

    def format(self) -> str:
        text = f"{self.where}: error: {self.message}"
        caret = self.caret()
        return f"{text}\n{caret}" if caret else text


class Pending(Exception):
    """Raised inside the transformer with chunk-relative offsets; becomes a LangError."""

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message, self.start, self.end = message, start, end


_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "PLUS": "'+'",
    "MINUS": "'-'", "TIMES": "'*'", "SLASH": "'/'", "POW": "'^'", "EQ": "'='",
    "COLON": "':'", "COMMA": "','", "SUP": "a superscript power", "_SEP": "the end of the statement",
    "$END": "the end of the input",
}
_OPERATORS = {"PLUS", "MINUS", "TIMES", "SLASH", "POW", "SUP"}
_ORDER = ["NUMBER", "NAME", "LPAR", "MINUS", "PLUS", "OPERATOR", "EQ", "COLON", "COMMA", "RPAR",
          "_SEP", "$END"]


def expected_words(terminals: set[str]) -> str:
    """'a number, a name or '('' from Lark's terminal names."""
    names = set(terminals) - {"DEFHEAD"}  # a definition's head starts with a name
    if len(names & _OPERATORS) >= 3:
        names -= _OPERATORS
        names.add("OPERATOR")
    words = []
    for t in _ORDER + sorted(names - set(_ORDER)):
        if t in names:
            words.append("an operator" if t == "OPERATOR" else _WORDS.get(t, t))
    if not words:
        return "nothing more"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def describe(token: Token, typed: str | None = None) -> str:
    """The token after 'unexpected ': "')'", "end of line". `typed`: the token's text as
    typed, when its value was normalised (a name: ᵢ is i)."""
    if token.type == "$END":
        return "end of input"
    text = str(token) if typed is None else typed
    if token.type == "_SEP":
        return "end of line" if text != ";" else "';'"
    if len(text) > 20:
        text = text[:20] + "…"
    return f"'{text}'"


def in_context(allowed: set[str], text: str, pos: int) -> set[str]:
    """The lexer's allowed terminals, less those the parenthesis depth rules out: LALR merges
    lookaheads, so after `x` at the top level it also allows ')' and ','."""
    start = max(text.rfind("\n", 0, pos), text.rfind(";", 0, pos)) + 1  # this statement
    depth = text.count("(", start, pos) - text.count(")", start, pos)
    return allowed - ({"_SEP", "$END"} if depth > 0 else {"RPAR", "COMMA"})


def split_name(name: str, known: set[str]) -> list[str] | None:
    """'xy' → ['x', 'y'] when x and y are known: the product the user probably meant."""
    n = len(name)
    if n > 64:
        return None
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(i + 1, n + 1):
            part = name[i:j]
            here, there = best[i], best[j]
            if part in known and here is not None and (there is None or len(there) > len(here) + 1):
                best[j] = here + [part]
    found = best[n]
    return found if found and len(found) > 1 else None


