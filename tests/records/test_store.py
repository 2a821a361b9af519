"""The database schema: migrations ship in the package, run from code, on both backends."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from dronepatrol.database import (
    Base,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    normalise_url,
    upgrade,
)
from dronepatrol.database.migrate import MIGRATIONS_DIR, alembic_config, packaged_head
from dronepatrol.settings import Settings

TABLES = {"vehicles", "sorties", "track_samples", "events", "detections", "media"}


def test_upgrade_creates_every_table_and_is_idempotent(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert current_revision(engine) == head_revision()
    upgrade(engine)  # start-up runs it every time: an up-to-date database is left alone
    assert current_revision(engine) == head_revision()


def test_models_match_the_migrations(engine: Engine) -> None:
    # tables that later revisions add for other components (the web app's
    # users) are theirs to describe: only the tables modelled here are compared
    def modelled(obj, name, type_, reflected, compare_to) -> bool:
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or table.name in Base.metadata.tables

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": modelled})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_to_base_removes_the_tables(engine: Engine) -> None:
    downgrade(engine, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_migration_chain_is_linear_with_readable_ids() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1
    assert len(scripts.get_bases()) == 1
    for revision in scripts.walk_revisions():
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+", revision.revision), revision.revision
    assert scripts.get_base() == "0001_records"


def test_the_head_read_without_alembic_is_alembics_head() -> None:
    assert packaged_head() == head_revision()


def test_revision_files_that_are_not_one_plain_chain_leave_the_decision_to_alembic(
    tmp_path: Path,
) -> None:
    shutil.copytree(MIGRATIONS_DIR / "versions", tmp_path / "chain")
    assert packaged_head(tmp_path / "chain") == head_revision()
    for name, header in {
        "two_heads": 'revision = "0099_other"\ndown_revision = "0001_records"\n',
        "merge": 'revision = "0099_merge"\ndown_revision = ("0001_records", "0002_accounts")\n',
        "labelled": 'revision = "0099_label"\ndown_revision = "0001_records"\n',
    }.items():
        versions = tmp_path / name
        shutil.copytree(MIGRATIONS_DIR / "versions", versions)
        labels = '("x",)' if name == "labelled" else "None"
        (versions / "0099_extra.py").write_text(
            f"{header}branch_labels = {labels}\ndepends_on = None\n", encoding="utf-8"
        )
        assert packaged_head(versions) is None, name


def test_an_up_to_date_database_is_recognised_without_loading_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url).dispose()
    script = (
        "import sys\n"
        "from dronepatrol.database import upgrade, make_engine\n"
        f"upgrade({url!r}).dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
    # one revision behind: Alembic takes over and brings it to the head
    downgrade(url, "0006_incident_kind").dispose()
    engine = upgrade(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_durable_commits(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    engine = upgrade(settings)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "data" / "dronepatrol.db").exists()


def test_plain_postgresql_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert make_engine("postgresql://u@127.0.0.1/db").dialect.driver == "psycopg"


def test_lockdown_holds_recorded_before_incident_kinds_are_recognised(engine: Engine) -> None:
    """0006 gives old rows a kind: the dispatcher's "lockdown <plan>: <point>" notes are holds."""
    from sqlalchemy import text

    downgrade(engine, "0005_large_events")
    with engine.begin() as connection:
        for note in ("lockdown gates: G1 (North gate)", "smoke seen near the lockdown gate"):
            connection.execute(
                text(
                    "INSERT INTO incidents (created_s, lat_deg, lon_deg, priority, note, creator,"
                    " status, failure) VALUES (1, -35.3, 149.1, 'key', :note, 'c', 'released', '')"
                ),
                {"note": note},
            )
    upgrade(engine)
    with engine.connect() as connection:
        kinds = connection.execute(text("SELECT note, kind FROM incidents ORDER BY id")).all()
    assert [k for _, k in kinds] == ["hold", "incident"]


def test_processes_starting_together_on_a_new_database_migrate_it_once(tmp_path) -> None:
    """Three ``fly`` runs started at once on a new data directory each migrate it at start-up;
    they take turns, so none finds the tables another has just made ("already exists")."""
    url = f"sqlite:///{tmp_path / 'dronepatrol.db'}"
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def open_database() -> None:
        start.wait()
        try:
            upgrade(url).dispose()
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=open_database) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert not errors, errors
    engine = make_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
