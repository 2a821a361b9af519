"""Target visits judged from the flown track.

Revision ID: 0004_target_visits
Revises: 0003_incidents
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_target_visits"
down_revision = "0003_incidents"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "target_visits",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("target_id", sa.String(100), nullable=False),
        sa.Column("sortie_id", ROW_ID, nullable=False),
        sa.Column("patrolled_s", sa.Double(), nullable=False),
        sa.Column("imaged", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sortie_id"],
            ["sorties.id"],
            name=op.f("fk_target_visits_sortie_id_sorties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_visits")),
    )
    op.create_index(
        "ix_target_visits_target_id_patrolled_s", "target_visits", ["target_id", "patrolled_s"]
    )


def downgrade() -> None:
    op.drop_index("ix_target_visits_target_id_patrolled_s", table_name="target_visits")
    op.drop_table("target_visits")
