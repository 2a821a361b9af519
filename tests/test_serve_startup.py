"""``serve`` starts with the garbage collector paused, and never leaves it paused."""

from __future__ import annotations

import gc

import click
import pytest
from click.testing import CliRunner

from dronepatrol.cli.serve import collector_paused_while_starting


@pytest.fixture(autouse=True)
def collector_on() -> None:
    gc.enable()


def test_the_collector_is_paused_while_starting_and_on_once_serving() -> None:
    seen = []

    @collector_paused_while_starting
    def command() -> None:
        seen.append(gc.isenabled())
        gc.enable()  # what serve does once it serves
        seen.append(gc.isenabled())

    command()
    assert seen == [False, True]
    assert gc.isenabled()


def test_a_start_that_fails_leaves_the_collector_on() -> None:
    @click.command()
    @collector_paused_while_starting
    def command() -> None:
        raise click.UsageError("--network: no such file")

    result = CliRunner().invoke(command, [])
    assert result.exit_code == 2 and "--network" in result.output
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()
    try:
        collector_paused_while_starting(lambda: None)()
        assert not gc.isenabled()
    finally:
        gc.enable()
