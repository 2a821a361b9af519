"""The sortie ledger: what each bus event does to the record, inside the writer's transaction.

It opens a sortie when a vehicle arms (or when telemetry shows an armed
vehicle whose arming was missed), closes it when the vehicle disarms, files
every event, track sample, detection and media file under the right sortie,
and adopts the events that led up to a sortie (the mission upload, the arm
command itself) when it opens. Restart handling is in
:mod:`dronepatrol.records.recovery`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from dronepatrol.database.record_tables import (
    Detection,
    Outcome,
    Sortie,
    SortieEvent,
    VehicleRecord,
)
from dronepatrol.events import Event, EventKind
from dronepatrol.records import media as media_files
from dronepatrol.records.audit import CONTEXT_KEYS, OpenSortie, detection_row, event_row
from dronepatrol.records.batch import Batch, LedgerState
from dronepatrol.records.recovery import RestartMixin
from dronepatrol.records.telemetry import heard_armed, track_sample

ADOPT_WINDOW_S = 900.0
"""Unassigned events of a vehicle this long before it arms join its sortie [s]."""
AFTERGLOW_S = 5.0
"""Events of a vehicle this long after it disarmed still join the sortie [s]."""
RECORDING = "recording"
"""Event kind the video pipeline publishes when a sortie's recording is finished
(``path``, ``sha256``, ``size_bytes``); filed as video media."""
TELEMETRY_SETTLE_S = 1.0
"""A snapshot's armed flag opens or closes a sortie only this long after the last
armed/disarmed event of its vehicle, so a stale snapshot cannot undo one [s]."""


class SortieLedger(RestartMixin):
    """Applies events to the record; one per recorder, used only on its writer thread."""

    def __init__(self, resume_grace_s: float = 30.0) -> None:
        self.state = LedgerState()
        self.resume_grace_s = resume_grace_s

    def apply(self, connection: Connection, event: Event, batch: Batch) -> None:
        vid = event.vehicle_id
        state = self.state
        if vid is not None and vid in state.awaiting:
            self.settle(connection, vid, event, batch)
        if event.kind == EventKind.TELEMETRY:
            self.apply_telemetry(connection, event, batch)
            return
        sortie = state.open.get(vid) if vid is not None else None
        if event.kind == EventKind.ARMED and vid is not None:
            state.last_transition[vid] = event.time_s
            if sortie is None:
                sortie = self.open_sortie(connection, vid, event.time_s, event.data, batch)
        elif event.kind == EventKind.DISARMED and vid is not None:
            state.last_transition[vid] = event.time_s
            if sortie is not None:
                sortie.observe(event)
                self.close_sortie(connection, sortie, event.time_s, event.data, batch)
                batch.events.append(event_row(event, sortie.sortie_id))
                return
        elif event.kind == EventKind.MISSION_UPLOAD and vid is not None:
            context = {k: event.data[k] for k in CONTEXT_KEYS if k in event.data}
            state.context.setdefault(vid, {}).update(context)
        if event.kind == EventKind.DETECTION:
            row = detection_row(event, self.sortie_for(vid, event.time_s))
            batch.detections.append(row)
            if row["snapshot_path"]:
                self.add_media(connection, event, row["snapshot_path"], "snapshot", True, batch)
            return
        if event.kind in (EventKind.MEDIA, RECORDING) and event.data.get("path"):
            data = event.data
            kind = data.get("kind") or ("video" if event.kind == RECORDING else None)
            complete = bool(data.get("complete", True))
            self.add_media(connection, event, str(data["path"]), kind, complete, batch)
        if sortie is not None:
            sortie.observe(event)
        batch.events.append(event_row(event, self.sortie_for(vid, event.time_s)))

    def apply_telemetry(self, connection: Connection, event: Event, batch: Batch) -> None:
        vid = event.vehicle_id
        if vid is None:
            return
        state = self.state
        armed = heard_armed(event)
        settled = event.time_s - state.last_transition.get(vid, 0.0) >= TELEMETRY_SETTLE_S
        sortie = state.open.get(vid)
        if sortie is None and armed and settled:
            state.last_transition[vid] = event.time_s
            sortie = self.open_sortie(
                connection, vid, event.time_s, {}, batch, how="armed vehicle seen in telemetry"
            )
        sample = track_sample(event)
        if sortie is not None and sample is not None:
            sample["sortie_id"] = sortie.sortie_id
            batch.tracks.append(sample)
            sortie.observe_sample(sample, event.data.get("mission_total"))
        if sortie is not None and armed is False and settled:
            state.last_transition[vid] = event.time_s
            self.close_sortie(connection, sortie, event.time_s, {}, batch)

    # ------------------------------------------------------- sortie open/close

    def ensure_vehicle(self, connection: Connection, vid: str, name: str, time_s: float) -> None:
        """Insert the vehicle on first sight; later keep its name and last-seen time."""
        known = vid in self.state.known_vehicles or (
            connection.execute(select(VehicleRecord.id).where(VehicleRecord.id == vid)).first()
            is not None
        )
        if known:
            values: dict[str, Any] = {"last_seen_s": time_s}
            if name:
                values["name"] = name
            connection.execute(
                update(VehicleRecord).where(VehicleRecord.id == vid).values(**values)
            )
        else:
            connection.execute(
                insert(VehicleRecord),
                {"id": vid, "name": name or vid, "first_seen_s": time_s, "last_seen_s": time_s},
            )
        self.state.known_vehicles.add(vid)

    def open_sortie(
        self,
        connection: Connection,
        vid: str,
        time_s: float,
        data: Any,
        batch: Batch,
        how: str = "armed",
    ) -> OpenSortie:
        state = self.state
        context = {**state.context.pop(vid, {}), **{k: data[k] for k in CONTEXT_KEYS if k in data}}
        self.ensure_vehicle(connection, vid, str(data.get("name") or ""), time_s)
        targets = context.get("targets") or []
        if isinstance(targets, str):
            targets = [t.strip() for t in targets.split(",") if t.strip()]
        result = connection.execute(
            insert(Sortie),
            {
                "vehicle_id": vid,
                "plan_ref": str(context.get("plan") or "")[:500],
                "targets": list(targets),
                "station": str(context.get("station") or "")[:200],
                "operator": str(context.get("operator") or "")[:200],
                "started_s": time_s,
                "ended_s": None,
                "outcome": None,
                "outcome_reason": "",
                "notes": {"opened": how},
            },
        )
        sortie_id = int(result.inserted_primary_key[0])
        # The vehicle's unassigned events before arming (mission upload, the
        # arm command) belong to this sortie: write the batch's, then adopt.
        batch.insert(connection)
        since = time_s - ADOPT_WINDOW_S
        if vid in state.last_closed:
            since = max(since, state.last_closed[vid][1] + AFTERGLOW_S)
        for table in (SortieEvent, Detection):
            connection.execute(
                update(table)
                .where(
                    table.vehicle_id == vid,
                    table.sortie_id.is_(None),
                    table.time_s >= since,
                    table.time_s <= time_s,
                )
                .values(sortie_id=sortie_id)
            )
        sortie = OpenSortie(sortie_id, vid, time_s)
        state.open[vid] = sortie
        return sortie

    def close_sortie(
        self,
        connection: Connection,
        sortie: OpenSortie,
        time_s: float,
        data: Any,
        batch: Batch,
        outcome: tuple[Outcome, str] | None = None,
    ) -> None:
        verdict, reason = outcome or sortie.outcome(data)
        connection.execute(
            update(Sortie)
            .where(Sortie.id == sortie.sortie_id)
            .values(ended_s=time_s, outcome=verdict.value, outcome_reason=reason)
        )
        self.ensure_vehicle(connection, sortie.vehicle_id, "", time_s)
        self.state.open.pop(sortie.vehicle_id, None)
        self.state.last_closed[sortie.vehicle_id] = (sortie.sortie_id, time_s)
        batch.to_hash.extend(media_files.pending_media(connection, sortie.sortie_id))

    def sortie_for(self, vid: str | None, time_s: float) -> int | None:
        """The sortie an event of ``vid`` at ``time_s`` belongs to, if any."""
        if vid is None:
            return None
        sortie = self.state.open.get(vid)
        if sortie is not None:
            return sortie.sortie_id
        closed = self.state.last_closed.get(vid)
        if closed is not None and time_s <= closed[1] + AFTERGLOW_S:
            return closed[0]
        return None

    def latest_sortie(self, vid: str | None) -> int | None:
        """The vehicle's open sortie, else the one it flew last: media often come after landing."""
        if vid is None:
            return None
        sortie = self.state.open.get(vid)
        if sortie is not None:
            return sortie.sortie_id
        closed = self.state.last_closed.get(vid)
        return closed[0] if closed else None

    def add_media(
        self,
        connection: Connection,
        event: Event,
        path: str,
        kind: str | None,
        complete: bool,
        batch: Batch,
    ) -> None:
        sortie_id = event.data.get("sortie_id") or self.latest_sortie(event.vehicle_id)
        digest = event.data.get("sha256")
        if complete and isinstance(digest, str) and len(digest) == 64:
            # the writer hashed its own file as it closed it: keep its digest
            size = int(event.data.get("size_bytes") or 0)
            media_files.register_digest(connection, sortie_id, path, kind, digest, size)
            return
        media_ids = media_files.announce(connection, sortie_id, path, kind, complete)
        still_flying = event.vehicle_id in self.state.open
        if complete or not still_flying:
            # complete: hash it in full; else nothing will close: hash what is there now
            batch.to_hash.extend(media_ids)
        # still being written during a flight: hashed when the sortie ends
