"""The large events table: migration 0005 on SQLite, up and down."""

from __future__ import annotations

from sqlalchemy import inspect

from dronepatrol.database import current_revision, downgrade, upgrade


def test_0005_adds_the_large_events_table_and_takes_it_away(tmp_path) -> None:
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}", "0004_target_visits")
    try:
        assert "large_events" not in inspect(engine).get_table_names()
        upgrade(engine, "0005_large_events")
        assert current_revision(engine) == "0005_large_events"
        columns = {c["name"]: c for c in inspect(engine).get_columns("large_events")}
        assert set(columns) == {
            "id",
            "name",
            "start_s",
            "end_s",
            "geojson",
            "created_s",
            "creator",
            "ended_s",
            "ended_by",
        }
        assert columns["ended_s"]["nullable"] and not columns["start_s"]["nullable"]
        downgrade(engine, "0004_target_visits")
        assert "large_events" not in inspect(engine).get_table_names()
        assert "target_visits" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
