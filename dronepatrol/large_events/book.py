"""The large event book: events added, listed and ended early, kept in the database.

Each event is stored as its checked file; the book reads it back with the
same reader (:func:`dronepatrol.large_events.files.read_large_event`) and
keeps the parsed event, so answering "which events are on" on every freshness
request costs one small query.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dronepatrol.database import LargeEventRow
from dronepatrol.large_events.files import LargeEventError, read_large_event
from dronepatrol.large_events.model import LargeEvent
from dronepatrol.network import Issue, Network

log = logging.getLogger(__name__)


class LargeEventNotFound(LookupError):
    """No event has this id; the message says so."""


class LargeEventConflict(RuntimeError):
    """The event cannot take this now (id taken, already over); the message says why."""


@dataclass(frozen=True)
class LargeEventRecord:
    """A stored event with who added it and who ended it (times [s since the epoch])."""

    event: LargeEvent
    geojson: dict[str, Any]
    creator: str
    created_s: float
    ended_by: str | None


class LargeEventBook:
    """Add, list and end large events; safe to share between threads.

    Args:
        engine: the migrated database.
        clock: the time now [s since the epoch] (tests pass their own).
    """

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock
        self._parsed: dict[str, LargeEvent] = {}
        self._lock = threading.Lock()

    def add(
        self, data: Any, creator: str, base: Network | None = None, source: str = "event"
    ) -> tuple[LargeEventRecord, list[Issue]]:
        """Check an event file and store it; returns the record and the warnings.

        Raises :class:`LargeEventError` with every problem when the file has
        errors (checked against ``base``, the network it joins, when given;
        ``source`` names the file in messages), and :class:`LargeEventConflict`
        when its id is taken.
        """
        now_s = self._clock()
        event, issues = read_large_event(data, base=base, now_s=now_s, source=source)
        if event is None:
            raise LargeEventError(source, issues)
        row = LargeEventRow(
            id=event.id,
            name=event.name,
            start_s=event.start_s,
            end_s=event.end_s,
            geojson=data,
            created_s=now_s,
            creator=creator,
        )
        try:
            with Session(self._engine) as session:
                if session.get(LargeEventRow, event.id) is not None:
                    raise LargeEventConflict(
                        f"an event with id {event.id!r} exists already; give this one another id"
                    )
                session.add(row)
                session.commit()
                record = self._record(row)
        except IntegrityError:
            raise LargeEventConflict(
                f"an event with id {event.id!r} exists already; give this one another id"
            ) from None
        return record, issues

    def list(self) -> list[LargeEventRecord]:
        """Every event, latest start first."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(LargeEventRow).order_by(LargeEventRow.start_s.desc(), LargeEventRow.id)
            ).all()
            return [r for r in (self._record(row) for row in rows) if r is not None]

    def get(self, event_id: str) -> LargeEventRecord:
        """The event ``event_id``; :class:`LargeEventNotFound` when there is none."""
        with Session(self._engine) as session:
            row = session.get(LargeEventRow, event_id)
            record = self._record(row) if row is not None else None
        if record is None:
            raise LargeEventNotFound(f"no large event {event_id!r}")
        return record

    def end(self, event_id: str, by: str) -> LargeEventRecord:
        """End the event now (cancel it when it has not started yet).

        :class:`LargeEventConflict` when it is over already.
        """
        now_s = self._clock()
        with Session(self._engine) as session:
            row = session.get(LargeEventRow, event_id, with_for_update=True)
            if row is None:
                raise LargeEventNotFound(f"no large event {event_id!r}")
            record = self._record(row)
            if record is None:
                raise LargeEventConflict(f"event {event_id!r} cannot be read back; see the log")
            status = record.event.status(now_s)
            if status in ("ended", "cancelled"):
                raise LargeEventConflict(f"event {event_id!r} is {status} already")
            row.ended_s = now_s
            row.ended_by = by
            session.commit()
            return self._record(row)  # type: ignore[return-value]

    def between(self, start_s: float, end_s: float) -> list[LargeEvent]:
        """Events in force at some moment of [start_s, end_s] [s since the epoch]."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(LargeEventRow).where(
                    LargeEventRow.start_s <= end_s,
                    LargeEventRow.end_s > start_s,
                    or_(LargeEventRow.ended_s.is_(None), LargeEventRow.ended_s > start_s),
                )
            ).all()
            events = [self._event(row) for row in rows]
        return [e for e in events if e is not None and e.overlaps(start_s, end_s)]

    def active(self, now_s: float | None = None) -> list[LargeEvent]:
        """Events in force now (or at ``now_s``)."""
        now_s = self._clock() if now_s is None else now_s
        return self.between(now_s, now_s)

    # ------------------------------------------------------------- reading back

    def _event(self, row: LargeEventRow) -> LargeEvent | None:
        with self._lock:
            event = self._parsed.get(row.id)
        if event is None:
            event, issues = read_large_event(row.geojson, source=row.id)
            if event is None:
                log.error("stored large event %s no longer reads: %s", row.id, issues)
                return None
            with self._lock:
                self._parsed[row.id] = event
        return event if row.ended_s is None else event.ended_at(row.ended_s)

    def _record(self, row: LargeEventRow) -> LargeEventRecord | None:
        event = self._event(row)
        if event is None:
            return None
        return LargeEventRecord(event, row.geojson, row.creator, row.created_s, row.ended_by)
