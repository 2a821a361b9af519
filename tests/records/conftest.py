"""Fixtures for the sortie-record tests: a migrated database on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from dronepatrol.store import make_engine, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.db'}"
        return
    server_url = request.getfixturevalue("postgres_url")
    name = f"dp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database's engine (both backends)."""
    engine = upgrade(make_engine(db_url))
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Callable[[], float]:
    """Event times for tests: a fixed start, one tick per call [s]."""
    state = {"t": 1_790_000_000.0}

    def tick(step_s: float = 0.0) -> float:
        state["t"] += step_s
        return state["t"]

    return tick


@pytest.fixture
def recorded(engine: Engine):
    """A database holding one scripted sortie; returns (engine, sortie id, script)."""
    from dronepatrol.events import EventBus
    from dronepatrol.records.recorder import Recorder
    from records.sortie_script import ScriptedSortie

    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    script = ScriptedSortie(bus, rate_hz=4.0)
    script.fly()
    assert recorder.flush()
    recorder.stop()
    from dronepatrol.records.archive import SortieArchive

    [summary] = SortieArchive(engine).list()
    return engine, summary.id, script
