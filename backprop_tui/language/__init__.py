"""The expression language: grammar loading (grammar), the driver that runs lark's LALR
tables (lalr), the inline transformer that builds graph nodes during the parse (builder,
with definitions and calls in calls and its values and node helpers in nodes), errors with
positions (errors), and the Program that statements are added to (program)."""

from .errors import LangError, Span
from .grammar import MAX_NAME_LENGTH, MAX_NESTING, MAX_SOURCE_CHARS, MAX_TOKENS, grammar_text
from .program import Program, parse

__all__ = ["LangError", "MAX_NAME_LENGTH", "MAX_NESTING", "MAX_SOURCE_CHARS", "MAX_TOKENS",
           "Program", "Span", "grammar_text", "parse"]
