"""Alembic environment: runs on the connection :func:`dronepatrol.database.upgrade` hands in.

Called only programmatically; the connection arrives in
``config.attributes["connection"]``. Offline (SQL script) mode is supported
for reviewing what a migration would do on PostgreSQL.
"""

from __future__ import annotations

from alembic import context

from dronepatrol.database.record_tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; batch mode does that for later revisions.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
