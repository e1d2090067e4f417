"""Test-wide setup: the hypothesis profiles for the property tests.

- ``ci`` (the default): a fixed seed (``derandomize=True``) and a moderate number of
  examples, so CI is reproducible and stays well under its time budget.
- ``fuzz``: many more examples and a random seed, chosen by ``pytest -m fuzz`` (which runs
  only the property tests) or by ``BACKPROP_FUZZ=1`` with any selection. Failures found
  are kept in hypothesis's example database and replayed first next time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,  # a shared 2-core CI machine: timing is not what these tests check
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("ci", max_examples=60, derandomize=True, database=None,
                          print_blob=True, **_COMMON)
settings.register_profile("fuzz", max_examples=2000, print_blob=True, **_COMMON)


def _wants_fuzz(config: pytest.Config) -> bool:
    if os.environ.get("BACKPROP_FUZZ", "") not in ("", "0"):
        return True
    expr = config.getoption("markexpr", "") or ""
    return "fuzz" in expr and "not fuzz" not in expr


def pytest_configure(config: pytest.Config) -> None:
    fuzz = _wants_fuzz(config)
    if fuzz:  # tests with their own random source (the TUI's key fuzzer) read this too
        os.environ["BACKPROP_FUZZ"] = "1"
    settings.load_profile("fuzz" if fuzz else os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config: pytest.Config) -> str:
    name = settings.get_current_profile_name()
    return f"hypothesis profile: {name} (max_examples={settings.get_profile(name).max_examples})"


@pytest.fixture(autouse=True)
def _op_names_restored() -> Iterator[None]:
    """User operators (bt.op, an engine's ops) register into the process-wide op table; a
    test that registers one must not change what a later test's language knows (the
    "unknown function" message lists the operators). Their names are restored in place
    (the language imports these dicts); the codes stay in the table, as the table keeps
    the old code when a name is registered again, so graphs built with them stay valid."""
    from backprop_tui import ops

    functions, index = dict(ops.FUNCTIONS), dict(ops.OP_INDEX)
    yield
    if ops.FUNCTIONS != functions or ops.OP_INDEX != index:
        ops.FUNCTIONS.clear()
        ops.FUNCTIONS.update(functions)
        ops.OP_INDEX.clear()
        ops.OP_INDEX.update(index)
