"""Schema migrations run from code at start-up: ``upgrade(engine_or_url)``.

The Alembic environment and revisions ship inside the package
(:mod:`dronepatrol.database.migrations`), so an installed DronePatrol migrates
its own database with no ``alembic.ini``. Later components (the web app's
users and tokens) add revisions on top of the same linear chain.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from dronepatrol.database.engine import make_engine
from dronepatrol.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """The newest revision id shipped with this version."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
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
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return engine


def downgrade(target: Engine | str | URL | Settings, revision: str) -> Engine:
    """Migrate the database down to ``revision`` (``base`` empties it)."""
    engine, _ = _as_engine(target)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    return engine
