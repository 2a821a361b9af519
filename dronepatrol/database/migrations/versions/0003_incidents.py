"""Incidents and their response times.

Revision ID: 0003_incidents
Revises: 0002_accounts
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_incidents"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("created_s", sa.Double(), nullable=False),
        sa.Column("lat_deg", sa.Double(), nullable=False),
        sa.Column("lon_deg", sa.Double(), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("creator", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("vehicle_id", sa.String(64), nullable=True),
        sa.Column("dispatched_by", sa.String(100), nullable=True),
        sa.Column("dispatched_s", sa.Double(), nullable=True),
        sa.Column("airborne_s", sa.Double(), nullable=True),
        sa.Column("on_scene_s", sa.Double(), nullable=True),
        sa.Column("released_s", sa.Double(), nullable=True),
        sa.Column("paused_seq", sa.Integer(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index("ix_incidents_created_s", "incidents", ["created_s"])


def downgrade() -> None:
    op.drop_index("ix_incidents_created_s", table_name="incidents")
    op.drop_table("incidents")
