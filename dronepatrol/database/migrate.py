"""Schema migrations run from code at start-up: ``upgrade(engine_or_url)``.

The Alembic environment and revisions ship inside the package
(:mod:`dronepatrol.database.migrations`), so an installed DronePatrol migrates
its own database with no ``alembic.ini``. Later components (the web app's
users and tokens) add revisions on top of the same linear chain.

Every start-up calls :func:`upgrade`; a database already at the newest
revision is recognised by one query, without loading Alembic (a tenth of a
second of a restart). Anything else, or any doubt, goes through Alembic.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

from dronepatrol.database.engine import make_engine
from dronepatrol.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_HEADER = re.compile(
    r"^(revision|down_revision|branch_labels|depends_on)\s*(?::[^=\n]*)?=\s*(.*?)\s*$", re.M
)
_QUOTED = re.compile(r"""["']([\w.-]+)["']""")


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """The newest revision id shipped with this version."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@functools.cache
def packaged_head(versions: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The newest revision in ``versions``, read from the files' headers (no Alembic).

    None when the files are not one plain chain (a merge, a branch label, a
    dependency, a header this reading does not recognise): Alembic decides then.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        if path.name == "__init__.py":
            continue
        header: dict[str, str] = {}
        for name, value in _HEADER.findall(path.read_text(encoding="utf-8")):
            if name in header:
                return None
            header[name] = value
        revision = _QUOTED.fullmatch(header.get("revision", ""))
        parent = header.get("down_revision", "")
        parent_id = _QUOTED.fullmatch(parent)
        if (
            revision is None
            or header.get("branch_labels") != "None"
            or header.get("depends_on") != "None"
            or (parent != "None" and parent_id is None)
        ):
            return None
        revisions.add(revision.group(1))
        if parent_id is not None:
            parents.add(parent_id.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def at_head(engine: Engine) -> bool:
    """True when the database is at :func:`packaged_head`, found with one query."""
    head = packaged_head()
    if head is None:
        return False
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return list(found) == [head]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _as_engine(target: Engine | str | URL | Settings) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return make_engine(target), True


def upgrade(target: Engine | str | URL | Settings, revision: str = "head") -> Engine:
    """Migrate the database to ``revision`` (default: the newest); returns its engine.

    Safe to call at every start-up: an up-to-date database is left alone.
    """
    engine, _ = _as_engine(target)
    if revision == "head" and at_head(engine):
        return engine
    from alembic import command

    config = alembic_config()
    with _one_migration_at_a_time(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)  # reads the revision again, under the lock
    return engine


_LOCK_KEY = 0x44505F4D  # "DP_M": PostgreSQL advisory lock of DronePatrol's migrations


@contextlib.contextmanager
def _one_migration_at_a_time(engine: Engine) -> Iterator[None]:
    """Processes starting together on one new database (a ``fly`` per vehicle) take turns.

    Each would otherwise create the tables another has just made ("table
    vehicles already exists"). SQLite: an exclusive lock on a file beside the
    database; PostgreSQL: a transaction-scoped advisory lock (taken in
    :func:`upgrade`). The second comes in to find the database at its revision.
    """
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def downgrade(target: Engine | str | URL | Settings, revision: str) -> Engine:
    """Migrate the database down to ``revision`` (``base`` empties it)."""
    from alembic import command

    engine, _ = _as_engine(target)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    return engine
