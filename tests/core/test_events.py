"""events: plain data that serialises to JSON; render_text renders every event type."""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import sys
from pathlib import Path

import pytest

import backprop_tui.events as ev
import backprop_tui.records as rec
from backprop_tui.render_text import text
from backprop_tui.session import Session


def _event_types() -> list[type[ev.Event]]:
    import backprop_tui  # noqa: F401  loads the modules that define events

    return ev.event_types()


EVENT_TYPES = _event_types()


@pytest.mark.parametrize("module", [ev, rec], ids=["events", "records"])
def test_events_import_only_the_standard_library(module):
    """events.py and the records it carries: the standard library, and events.py its records."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    relative = {(n.level, n.module) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0}
    assert relative <= ({(1, "records")} if module is ev else set())
    assert names <= set(sys.stdlib_module_names) | {"__future__"}


def test_every_event_kind_is_unique():
    kinds = [c.kind for c in EVENT_TYPES]
    assert len(kinds) == len(set(kinds))


def test_every_event_type_has_its_own_text_rendering():
    # The fallback renders only the kind: a new event must get a real rendering.
    registered = text.registry  # type: ignore[attr-defined]
    missing = [c.__name__ for c in EVENT_TYPES if registered.get(c) is None or c not in registered]
    assert missing == []


def test_json_has_no_nan_or_inf_and_nested_dataclasses_become_objects():
    step = ev.Step("backward", 3, "x²", math.inf, math.nan, 1, 9,
                   contributions=[rec.Contribution(0, "x", 2.0, "2x", 1.0, 2.0, 0.0, -math.inf)])
    data = step.to_dict()
    line = json.dumps(data, allow_nan=False)  # raises on a bare nan/inf
    assert data["value"] == "inf" and data["grad"] == "nan"
    assert data["contributions"][0]["after"] == "-inf" and '"event": "step"' in line


def test_a_real_sessions_events_all_serialise_and_render():
    s = Session()
    lines = ["x = 2; y = 3; x^2 + 3x*y + 1", ":step 3", ":backward", ":show x", ":nodes",
             ":graph", ":check", ":hsweep", ":back", ":break x", ":breaks", ":bogus", "log(-1)",
             ":reset", ":say hi", ":pause 0", ":expect grad x = 13", ":continue"]
    kinds = set()
    for line in lines:
        for e in s.run_line(line):
            kinds.add(e.kind)
            json.dumps(e.to_dict(), allow_nan=False)
            assert text(e) != e.kind or e.kind in ("event",)
    assert {"statement", "step", "node", "nodes", "graph", "check", "hsweep", "back", "info",
            "error", "phase", "say", "pause", "expect"} <= kinds


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.__name__)
def test_events_are_dataclasses_with_a_line(cls):
    assert dataclasses.is_dataclass(cls)
    assert "line" in {f.name for f in dataclasses.fields(cls)}
