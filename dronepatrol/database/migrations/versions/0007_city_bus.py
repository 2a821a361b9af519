"""The city bus: a station's outbox and the centre's records from every station.

Revision ID: 0007_city_bus
Revises: 0006_incident_kind
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_city_bus"
down_revision = "0006_incident_kind"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "city_outbox",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=True),
        sa.Column("time_s", sa.Double(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_city_outbox_key")),
        sqlite_autoincrement=True,  # ids never reused: the sender's cursor relies on it
    )
    op.create_table(
        "city_records",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=True),
        sa.Column("time_s", sa.Double(), nullable=False),
        sa.Column("received_s", sa.Double(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_city_records")),
    )
    op.create_index("ix_city_records_station_time", "city_records", ["station", "time_s"])


def downgrade() -> None:
    op.drop_index("ix_city_records_station_time", table_name="city_records")
    op.drop_table("city_records")
    op.drop_table("city_outbox")
