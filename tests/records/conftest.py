"""Fixtures for the sortie-record tests: a migrated database on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from dronepatrol.database import make_engine, upgrade


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("records-template") / "template.db"
    engine = upgrade(make_engine(f"sqlite:///{path}"))
    engine.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str) -> Iterator[str]:
    """Name of a PostgreSQL database migrated once per session, the template of each test's."""
    name = f"dp_template_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = upgrade(make_engine(make_url(postgres_url).set(database=name)))
    engine.dispose()
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a freshly migrated database of its own: a SQLite file, or a PostgreSQL database.

    Each is a copy of a template migrated once per session (the migrations run
    for real there, on both backends), so tests stay quick.
    """
    if request.param == "sqlite":
        path = tmp_path / "records.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server_url = request.getfixturevalue("postgres_url")
    template = request.getfixturevalue("postgres_template")
    name = f"dp_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The test database's engine (both backends); start-up's ``upgrade`` has nothing to do."""
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
