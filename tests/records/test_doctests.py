"""The examples in the records modules' docstrings hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "dronepatrol.records.telemetry",
    "dronepatrol.records.archive",
    "dronepatrol.records.svg",
    "dronepatrol.records.days",
    "dronepatrol.database.engine",
    "dronepatrol.cli.sorties",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0
