"""Sortie records: vehicles, sorties, track samples, events, detections, media.

Revision ID: 0001_records
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_records"
down_revision = None
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(JSONB(), "postgresql")
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("first_seen_s", sa.Double(), nullable=False),
        sa.Column("last_seen_s", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
    )
    op.create_table(
        "sorties",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=False),
        sa.Column("plan_ref", sa.String(500), nullable=False),
        sa.Column("targets", JSON_DOC, nullable=False),
        sa.Column("station", sa.String(200), nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("started_s", sa.Double(), nullable=False),
        sa.Column("ended_s", sa.Double(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=False),
        sa.Column("notes", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_sorties_vehicle_id_vehicles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sorties")),
    )
    op.create_index(op.f("ix_sorties_vehicle_id"), "sorties", ["vehicle_id"])
    op.create_index(op.f("ix_sorties_started_s"), "sorties", ["started_s"])
    op.create_index(op.f("ix_sorties_outcome"), "sorties", ["outcome"])

    op.create_table(
        "track_samples",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("sortie_id", ROW_ID, nullable=False),
        sa.Column("time_s", sa.Double(), nullable=False),
        sa.Column("lat_deg", sa.Double(), nullable=False),
        sa.Column("lon_deg", sa.Double(), nullable=False),
        sa.Column("alt_amsl_m", sa.Double(), nullable=True),
        sa.Column("alt_rel_m", sa.Double(), nullable=True),
        sa.Column("heading_deg", sa.Double(), nullable=True),
        sa.Column("groundspeed_mps", sa.Double(), nullable=True),
        sa.Column("climb_mps", sa.Double(), nullable=True),
        sa.Column("battery_pct", sa.Double(), nullable=True),
        sa.Column("battery_v", sa.Double(), nullable=True),
        sa.Column("mode", sa.String(32), nullable=False),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sortie_id"],
            ["sorties.id"],
            name=op.f("fk_track_samples_sortie_id_sorties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_track_samples")),
    )
    op.create_index("ix_track_samples_sortie_time", "track_samples", ["sortie_id", "time_s"])

    op.create_table(
        "events",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("sortie_id", ROW_ID, nullable=True),
        sa.Column("vehicle_id", sa.String(64), nullable=True),
        sa.Column("time_s", sa.Double(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("command", sa.String(80), nullable=True),
        sa.Column("result", sa.String(80), nullable=True),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["sortie_id"],
            ["sorties.id"],
            name=op.f("fk_events_sortie_id_sorties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_sortie_time", "events", ["sortie_id", "time_s"])
    op.create_index(op.f("ix_events_vehicle_id"), "events", ["vehicle_id"])
    op.create_index(op.f("ix_events_kind"), "events", ["kind"])

    op.create_table(
        "detections",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("sortie_id", ROW_ID, nullable=True),
        sa.Column("vehicle_id", sa.String(64), nullable=True),
        sa.Column("time_s", sa.Double(), nullable=False),
        sa.Column("lat_deg", sa.Double(), nullable=True),
        sa.Column("lon_deg", sa.Double(), nullable=True),
        sa.Column("class_name", sa.String(80), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("snapshot_path", sa.String(1000), nullable=True),
        sa.Column("data", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["sortie_id"],
            ["sorties.id"],
            name=op.f("fk_detections_sortie_id_sorties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detections")),
    )
    op.create_index("ix_detections_sortie_time", "detections", ["sortie_id", "time_s"])

    op.create_table(
        "media",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("sortie_id", ROW_ID, nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("registered_s", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sortie_id"],
            ["sorties.id"],
            name=op.f("fk_media_sortie_id_sorties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    op.create_index(op.f("ix_media_sortie_id"), "media", ["sortie_id"])


def downgrade() -> None:
    for table in ("media", "detections", "events", "track_samples", "sorties", "vehicles"):
        op.drop_table(table)
