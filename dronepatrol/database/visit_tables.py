"""Target visits: when the flown track really patrolled a grid, line or point."""

from __future__ import annotations

from sqlalchemy import Double, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dronepatrol.database.record_tables import Base, RowId


class TargetVisit(Base):
    """One target patrolled by one sortie.

    ``patrolled_s`` [s since the epoch] is when the visit completed; ``imaged``
    is what the camera saw (fraction of a line's length or a grid's flyable
    area, seconds of a point in view).
    """

    __tablename__ = "target_visits"
    __table_args__ = (Index("ix_target_visits_target_id_patrolled_s", "target_id", "patrolled_s"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    target_id: Mapped[str] = mapped_column(String(100))
    sortie_id: Mapped[int] = mapped_column(RowId, ForeignKey("sorties.id", ondelete="CASCADE"))
    patrolled_s: Mapped[float] = mapped_column(Double)
    imaged: Mapped[float] = mapped_column(Double)
