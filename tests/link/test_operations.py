"""Flight operations by name: one explicit table, and every web command names a row of it."""

from __future__ import annotations

import inspect

import pytest

from dronepatrol.actions import CAN_DO
from dronepatrol.mavlink.operations import OPERATIONS, operation
from dronepatrol.web.schema.vehicles import COMMANDS


def test_every_web_command_runs_an_operation_of_the_table():
    missing = {name: model.operation for name, model in COMMANDS.items()}
    missing = {k: v for k, v in missing.items() if v not in OPERATIONS}
    assert missing == {}


def test_an_unknown_or_private_name_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"known: .*'rtl'"):
        operation("_recover")


def test_each_operation_answers_to_a_can_do_row_and_takes_who_asked():
    for name, op in OPERATIONS.items():
        assert op.action is None or op.action in CAN_DO, name
        params = inspect.signature(op.run).parameters
        assert params["source"].kind is inspect.Parameter.KEYWORD_ONLY, name
