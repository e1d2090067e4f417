"""A lean driver for lark's LALR tables: the same lexer, table and callbacks as
`Lark.parse`, without its per-call layers and per-token dictionary lookups by Rule.

A file runs one statement per line, so the cost of a parse call counts once per line:
Lark.parse builds a frontend call, a start check, a lexer thread, a parse configuration
and a parser state each time (~10 µs), and its feed_token looks every reduction's callback
up by hashing a Rule object (a Python-level __hash__ and __eq__). Here the table is
precomputed per state as plain tuples once per parser.

Only the success path is ours. A token with no action, the end of input and every lexer
error are handed to lark's own ParserState.feed_token and lexer on the same state, so
each error is raised by lark, with the same type, token, expected set and interactive
parser as Lark.parse gives (tests/core/test_lalr_driver.py compares the two).
"""

from __future__ import annotations

from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedInput
from lark.lexer import LexerThread
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser
from lark.parsers.lalr_parser_state import ParseConf, ParserState


class Driver:
    """Parses text with `lark`'s tables (a Lark built with parser='lalr', an inline
    transformer and the contextual lexer) and returns what Lark.parse would."""

    def __init__(self, lark: Lark, start: str) -> None:
        frontend = lark.parser
        self._lexer = frontend.lexer  # the contextual lexer
        self._parser = frontend.parser.parser  # lark's _Parser: parse_from_state, tables
        table = self._parser.parse_table
        callbacks = self._parser.callbacks
        self._conf = ParseConf(table, callbacks, start)
        # Per state: terminal -> new state (shift, an int) or (size, callback, goto row
        # name) for a reduction; nonterminal -> the state after it (the goto table).
        self._actions: dict[Any, dict[str, Any]] = {}
        for state, row in table.states.items():
            acts: dict[str, Any] = {}
            for sym, (action, arg) in row.items():
                if action is Shift:
                    acts[sym] = arg
                else:
                    acts[sym] = (len(arg.expansion), callbacks[arg], arg.origin.name)
            self._actions[state] = acts
        self._token_callbacks = {name: cb for name, cb in callbacks.items()
                                 if isinstance(name, str)}

    def parse(self, text: str) -> Any:
        lexer_thread = LexerThread.from_text(self._lexer, text)
        state = ParserState(self._conf, lexer_thread)
        try:
            return self._run(state, lexer_thread)
        except UnexpectedInput as e:  # as _Parser.parse_from_state does
            e.interactive_parser = InteractiveParser(self._parser, state, lexer_thread)
            raise

    def _run(self, state: ParserState, lexer_thread: LexerThread) -> Any:
        actions = self._actions
        token_callbacks = self._token_callbacks
        state_stack = state.state_stack
        value_stack = state.value_stack
        token: Token | None = None
        for token in self._lexer.lex(lexer_thread.state, state):
            ttype = token.type
            while True:
                act = actions[state_stack[-1]].get(ttype)
                if act is None:
                    state.feed_token(token)  # lark raises UnexpectedToken
                    raise AssertionError("lark accepted a token with no action")
                if act.__class__ is int:  # shift
                    state_stack.append(act)
                    cb = token_callbacks.get(ttype)
                    value_stack.append(token if cb is None else cb(token))
                    break
                size, cb, origin = act
                if size:
                    s = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    s = []
                value_stack.append(cb(s))
                state_stack.append(actions[state_stack[-1]][origin])
        end = Token.new_borrow_pos("$END", "", token) if token else Token("$END", "", 0, 1, 1)
        end_state = self._conf.end_state
        while True:
            act = actions[state_stack[-1]].get("$END")
            if act is None or act.__class__ is int:
                return state.feed_token(end, True)  # lark raises (no action, or a shift)
            size, cb, origin = act
            if size:
                s = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                s = []
            value_stack.append(cb(s))
            state_stack.append(actions[state_stack[-1]][origin])
            if state_stack[-1] == end_state:
                return value_stack[-1]
