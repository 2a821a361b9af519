"""The ``dronepatrol`` command as a newcomer meets it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from dronepatrol import __version__
from dronepatrol.cli import main

SUBCOMMANDS = [
    "serve",
    "sim",
    "sitl",
    "network",
    "event",
    "plan",
    "fly",
    "sorties",
    "report",
    "users",
]


def test_help_lists_every_subcommand() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in SUBCOMMANDS:
        assert f"  {name} " in result.output


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_has_help(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    # a sentence for the newcomer, not just the usage line
    assert len(result.output.splitlines()) > 3


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_unknown_option_exits_2_with_usage() -> None:
    result = CliRunner().invoke(main, ["--no-such-option"])
    assert result.exit_code == 2
    assert "Usage: dronepatrol" in result.output
    assert "No such option" in result.output


def test_bad_config_file_exits_2_naming_it(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("data_dirr = '/tmp/x'\n")
    result = CliRunner().invoke(main, ["--config", str(bad), "network", "check", "x.geojson"])
    assert result.exit_code == 2
    assert "data_dirr" in result.output


def test_console_script_is_installed() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dronepatrol", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert __version__ in proc.stdout
