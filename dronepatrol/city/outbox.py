"""A station's durable outbox: records kept in its own database until the centre has them.

Every record gets its idempotency key when it enters the outbox
(``<station>/<uuid4>``) and keeps it through every resend; the row goes only
when the centre acknowledges that key. There is no age or size limit: a
station cut off for hours keeps everything (a SQLite row is ~300 bytes, so a
day of one drone's 1 Hz track is ~25 MB).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from dronepatrol.database.city_tables import OutboxRecord


@dataclass(frozen=True)
class Pending:
    """One record waiting in the outbox."""

    id: int
    key: str
    kind: str
    vehicle_id: str | None
    time_s: float
    data: dict[str, Any]


class Outbox:
    """The outbox table of the station's (migrated) database behind ``engine``."""

    def __init__(self, engine: Engine, station: str) -> None:
        self._engine = engine
        self.station = station

    def new_key(self) -> str:
        return f"{self.station}/{uuid.uuid4().hex}"

    def add(self, records: Iterable[tuple[str, str | None, float, dict[str, Any]]]) -> int:
        """Keep ``(kind, vehicle_id, time_s, data)`` records in one transaction; how many."""
        rows = [
            {"key": self.new_key(), "kind": k, "vehicle_id": v, "time_s": t, "data": d}
            for k, v, t, d in records
        ]
        if rows:
            with self._engine.begin() as connection:
                connection.execute(insert(OutboxRecord), rows)
        return len(rows)

    def pending(self, after_id: int = 0, limit: int = 500) -> list[Pending]:
        """Up to ``limit`` records with an id above ``after_id``, oldest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(OutboxRecord)
                .where(OutboxRecord.id > after_id)
                .order_by(OutboxRecord.id)
                # select(Model) on a Connection yields the columns in table order
                .limit(limit)
            ).all()
        return [Pending(r.id, r.key, r.kind, r.vehicle_id, r.time_s, dict(r.data)) for r in rows]

    def acknowledge(self, keys: Iterable[str]) -> int:
        """Forget the records the centre has committed; returns how many were still here."""
        keys = list(keys)
        if not keys:
            return 0
        with self._engine.begin() as connection:
            return connection.execute(
                delete(OutboxRecord).where(OutboxRecord.key.in_(keys))
            ).rowcount

    def depth(self) -> int:
        """Records still waiting."""
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count(OutboxRecord.id))).scalar_one())
