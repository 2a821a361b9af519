"""Large events: a temporary zone with its own targets and revisit intervals.

Revision ID: 0005_large_events
Revises: 0004_target_visits
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_large_events"
down_revision = "0004_target_visits"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "large_events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("geojson", JSON, nullable=False),
        sa.Column("created_s", sa.Double(), nullable=False),
        sa.Column("creator", sa.String(100), nullable=False),
        sa.Column("ended_s", sa.Double(), nullable=True),
        sa.Column("ended_by", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_large_events")),
    )
    op.create_index("ix_large_events_start_s", "large_events", ["start_s"])


def downgrade() -> None:
    op.drop_index("ix_large_events_start_s", table_name="large_events")
    op.drop_table("large_events")
