"""Fixtures for the city bus tests: a real Mosquitto broker, the centre's PostgreSQL
database and a station's SQLite database, each fresh per test."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from dronepatrol.city.local_broker import LocalBroker
from dronepatrol.database import make_engine, upgrade

STATIONS = ["north", "south", "east"]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """Mosquitto on a free loopback port: no anonymous clients, an account and ACL per station."""
    if shutil.which("mosquitto") is None and shutil.which("mosquitto", path="/usr/sbin") is None:
        pytest.skip("mosquitto is not installed: run `make system-deps`")
    local = LocalBroker(tmp_path / "broker", STATIONS).start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def centre_url(postgres_url: str) -> Iterator[str]:
    """A freshly migrated PostgreSQL database of the test's own: the centre's records."""
    name = f"city_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    upgrade(make_engine(url)).dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def centre_engine(centre_url: str) -> Iterator[Engine]:
    engine = make_engine(centre_url)
    yield engine
    engine.dispose()


@pytest.fixture
def station_engine(tmp_path: Path) -> Iterator[Engine]:
    """The station's own SQLite database (the outbox lives there)."""
    engine = upgrade(make_engine(f"sqlite:///{tmp_path / 'station.db'}"))
    yield engine
    engine.dispose()
