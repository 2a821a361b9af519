"""Incidents know their kind: a reported incident, or a lockdown hold.

Lockdown holds are kept as incidents (each is flown, held and released like
one) but they are not incidents anyone reported, so response reports must
not count them. Holds written before this revision are recognised by the
note the dispatcher gave them ("lockdown <plan>: <point>").

Revision ID: 0006_incident_kind
Revises: 0005_large_events
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_incident_kind"
down_revision = "0005_large_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(20), nullable=False, server_default="incident")
        )
    op.execute("UPDATE incidents SET kind = 'hold' WHERE note LIKE 'lockdown %'")


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("kind")
