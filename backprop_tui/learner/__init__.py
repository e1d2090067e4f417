"""Reading and testing a learner's micrograd-style engine: its Value graph walked and its
op strings mapped (values), each node's rule tested alone (rules), ops the table does not
know (unknown). check_engine (engine_check.py) puts them together."""

from .values import EngineError, Mapped, Walk, attr, classify, describe, number, walk

__all__ = ["EngineError", "Mapped", "Walk", "attr", "classify", "describe", "number", "walk"]
