"""The examples in the planning modules' docstrings hold."""

from __future__ import annotations

import doctest

import pytest

from dronepatrol.planning import geofence, ordering, profile


@pytest.mark.parametrize("module", [ordering, profile, geofence])
def test_docstring_examples(module) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
