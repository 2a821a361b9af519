"""The database engine: SQLite (WAL, durable commits) by default, PostgreSQL on request.

SQLite is the zero-set-up default in the data directory. It runs in WAL mode
so that readers (the CLI, the web app) never block the recorder's writes, with
``synchronous=FULL``: a committed batch survives not only a killed process but
a power cut, which evidence needs; the recorder commits a few times a second,
so the fsyncs are cheap. PostgreSQL is used through psycopg 3.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from dronepatrol.settings import Settings

SQLITE_PRAGMAS = (
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("foreign_keys", "ON"),
    ("busy_timeout", "10000"),
)
"""Pragmas set on every SQLite connection, in this order."""


class StoreError(RuntimeError):
    """The database cannot be used; the message names it and the fix."""


def normalise_url(url: str | URL) -> URL:
    """``url`` as a SQLAlchemy URL, PostgreSQL routed through psycopg 3.

    ``postgresql://`` and ``postgres://`` (as other tools write them) mean the
    psycopg 3 driver here, the one DronePatrol installs.

    >>> str(normalise_url("postgresql://u@h/db"))
    'postgresql+psycopg://u@h/db'
    """
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except Exception as exc:
        raise StoreError(
            f"database URL {url!r} is not a SQLAlchemy URL; "
            "use e.g. sqlite:///path/to/dronepatrol.db or postgresql+psycopg://user@host/db"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for name, value in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {name}={value}")
    finally:
        cursor.close()


def _private_file(path: Path) -> None:
    """Create the SQLite file (and its directory) readable by this user alone (0600).

    The database holds password and token hashes, the audit log and
    incidents. SQLite gives its -wal and -shm files the database file's
    permissions, so they follow.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        path.chmod(0o600)


def make_engine(url: str | URL | Settings, **kwargs: Any) -> Engine:
    """An engine for ``url`` (or for ``Settings.effective_database_url``).

    SQLite files get their parent directory created, private permissions and the pragmas in
    :data:`SQLITE_PRAGMAS` on every connection.
    """
    if isinstance(url, Settings):
        url = url.effective_database_url
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                _private_file(Path(database).expanduser())
            except OSError as exc:
                raise StoreError(
                    f"cannot create the directory of database {database}: {exc.strerror}; "
                    "set DRONEPATROL_DATA_DIR or DRONEPATROL_DATABASE_URL to a writable place"
                ) from exc
        kwargs.setdefault("connect_args", {"timeout": 10})
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)
