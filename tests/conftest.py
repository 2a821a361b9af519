"""Fixtures shared by the whole suite (helpers to import live in ``support.py``:
never import from a conftest, since every test folder has its own).

* ``docexamples`` (loaded by pyproject's ``addopts``): the examples in the
  product's docstrings run as tests.
* ``sitl`` marker: tests that need a real ArduPilot SITL binary are skipped,
  with the reason, unless ``ARDUPILOT_SITL`` names an ``arducopter`` binary.
* ``postgres_url``: a throwaway PostgreSQL server for the session, started
  from Debian's packages (which ``make test`` installs), or the server named
  by ``DRONEPATROL_TEST_DATABASE_URL``.
* Running in parallel (``make test``: ``pytest -n 2 --dist loadgroup``): each
  browser test file's tests share one worker, and so do the PostgreSQL tests,
  so the servers they share (a served demo, PostgreSQL) start once;
  tests that must have the machine to themselves carry the ``serial`` mark
  and run after the rest, one at a time. Tests that real ArduPilot SITL runs
  (``sitl``) are serial: its instances listen on fixed ports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import TEST_PASSWORD_COST, free_tcp_port

# Apps the tests start as processes (serve, the demo) hash test passwords cheaply.
os.environ.setdefault("DRONEPATROL_PASSWORD_COST", TEST_PASSWORD_COST)


@pytest.hookimpl(tryfirst=True)  # before `-m` selects and xdist groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        _group_for_parallel_runs(item)
    _skip_sitl_unless_configured(items)


SERIAL_FILES = {
    "tests/simulator/test_cli_and_launcher.py",  # CLI subprocesses held to 15 s
    "tests/flight/test_plain_script.py",  # a script's flight held to wall-clock limits
}
"""Files whose tests must run alone, marked here for suites whose files we leave as they
are (elsewhere a file says ``pytestmark = pytest.mark.serial`` itself)."""


def _group_for_parallel_runs(item: pytest.Item) -> None:
    path = item.path.relative_to(Path(__file__).resolve().parent.parent).as_posix()
    if item.get_closest_marker("sitl") is not None or path in SERIAL_FILES:
        item.add_marker(pytest.mark.serial)
    if item.get_closest_marker("serial") is not None:
        return
    if "browser" in item.path.parts or item.get_closest_marker("browser") is not None:
        # one served app per browser test file, started once: the file's tests stay together
        item.add_marker(pytest.mark.xdist_group(f"browser-{item.path.stem}"))
    elif "postgres_url" in getattr(item, "fixturenames", ()) or "postgresql" in _params(item):
        item.add_marker(pytest.mark.xdist_group("postgres"))


def _params(item: pytest.Item) -> list[object]:
    callspec = getattr(item, "callspec", None)
    return list(callspec.params.values()) if callspec is not None else []


def _skip_sitl_unless_configured(items: list[pytest.Item]) -> None:
    binary = os.environ.get("ARDUPILOT_SITL", "")
    if binary and Path(binary).is_file() and os.access(binary, os.X_OK):
        return
    reason = (
        f"ARDUPILOT_SITL={binary!r} is not an executable file"
        if binary
        else "real ArduPilot SITL not configured: set ARDUPILOT_SITL to the arducopter binary"
    )
    for item in items:
        if item.get_closest_marker("sitl") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


def _postgres_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of an empty PostgreSQL database for this test session."""
    given = os.environ.get("DRONEPATROL_TEST_DATABASE_URL")
    if given:
        yield given
        return
    bindir = _postgres_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; `make test` installs it (make system-deps)")
        pytest.skip("PostgreSQL is not installed: run `make system-deps`")
    run_as: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="dronepatrol-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(scratch, user="postgres")
    data = scratch / "data"
    port = free_tcp_port()
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(scratch / "server.log"),
            "-w",
            "-o",
            f"-p {port} -k {scratch} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(scratch, ignore_errors=True)
