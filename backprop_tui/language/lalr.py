"""A lean driver for lark's LALR tables: the same lexer, table and callbacks as
`Lark.parse`, without its per-call layers and per-token dictionary lookups by Rule.

A file runs one statement per line, so the cost of a parse call counts once per line:
Lark.parse builds a frontend call, a start check, a lexer thread, a parse configuration
and a parser state each time (~10 µs), and its feed_token looks every reduction's callback
up by hashing a Rule object (a Python-level __hash__ and __eq__). Here the table is
precomputed per state as plain tuples once per parser, the contextual lexer's loop runs
inline (no generator, no property per token), and the lexer and parser state are reset
and reused from one parse to the next (built without TextSlice's cast and checks).

Only the success path is ours. A token with no action, the end of input and every lexer
error are handed to lark's own ParserState.feed_token and lexer on the same state, so
each error is raised by lark, with the same type, token, expected set and interactive
parser as Lark.parse gives (tests/core/test_lalr_driver.py compares the two).
"""

from __future__ import annotations

from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput
from lark.lexer import LexerState, LexerThread, LineCounter
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser
from lark.parsers.lalr_parser_state import ParseConf, ParserState


class _Text:
    """What lark's lexer reads of the TextSlice it is given: text, start, end (and the
    methods LineCounter.feed would call on a slice)."""

    __slots__ = ("text", "start", "end")

    def __init__(self) -> None:
        self.text, self.start, self.end = "", 0, 0

    def __len__(self) -> int:
        return self.end - self.start

    def count(self, sub: str) -> int:
        return self.text.count(sub, self.start, self.end)

    def rindex(self, sub: str) -> int:
        return self.text.rindex(sub, self.start, self.end)


_new_state = LexerState.__new__


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
        self._state: ParserState | None = None  # reused by parse()

    def parse(self, text: str) -> Any:
        """Not reentrant (builder.build holds its lock): the lexer and parser state are
        reset and reused from one parse to the next, until an error takes them along."""
        state = self._state
        if state is None:  # LexerThread.from_text's objects, without its cast and checks
            self._text, self._line_ctr = _Text(), LineCounter("\n")
            self._lexer_state = _new_state(LexerState)
            self._lexer_state.text = self._text  # type: ignore[assignment]  # duck-typed
            self._lexer_state.line_ctr = self._line_ctr
            lexer_thread = LexerThread(self._lexer, self._lexer_state)
            state = self._state = ParserState(self._conf, lexer_thread)
        lexer_state = self._lexer_state
        lexer_state.last_token = None
        self._text.text, self._text.end = text, len(text)
        line_ctr = self._line_ctr
        line_ctr.char_pos = line_ctr.line_start_pos = 0
        line_ctr.line = line_ctr.column = 1
        state.state_stack = [self._conf.start_state]
        state.value_stack = []
        try:
            return self._run(state, lexer_state)
        except UnexpectedInput as e:  # as _Parser.parse_from_state does
            self._state = None  # the error keeps this state: the next parse makes its own
            e.interactive_parser = InteractiveParser(self._parser, state, state.lexer)
            raise

    def _run(self, state: ParserState, lexer_state: LexerState) -> Any:
        actions = self._actions
        token_callbacks = self._token_callbacks
        lexers = self._lexer.lexers  # the contextual lexer's, by parser state
        state_stack = state.state_stack
        value_stack = state.value_stack
        token: Token | None = None
        while True:
            # ContextualLexer.lex's loop, without a generator and a property per token
            try:
                token = lexers[state_stack[-1]].next_token(lexer_state, state)
            except EOFError:
                break
            except UnexpectedCharacters:
                # Lark's own loop on the same state: it runs the same lexer to the same error,
                # then asks its root lexer for the better message.
                for _ in self._lexer.lex(lexer_state, state):
                    break
                raise AssertionError("lark lexed a token it could not lex") from None
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
        end_state = self._conf.end_state
        while True:
            act = actions[state_stack[-1]].get("$END")
            if act is None or act.__class__ is int:  # lark raises (no action, or a shift)
                end = Token.new_borrow_pos("$END", "", token) if token else Token("$END", "", 0, 1, 1)
                return state.feed_token(end, True)
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
