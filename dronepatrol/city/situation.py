"""What a station tells the centre of its situation and video, in contract terms.

Pure functions from the station's own objects (incident views, the lockdown
status, the media server's mountpoints) to the fields of
:class:`~dronepatrol.city.contract.StationSituation` and
:class:`~dronepatrol.city.contract.VideoFeed`, bounded as the contract
takes them: notes cut to :data:`~dronepatrol.city.contract.NOTE_SUMMARY_CHARS`,
names to 100 characters, at most :data:`~dronepatrol.city.contract.OVERWATCH_POINTS_MAX`
overwatch points. :class:`~dronepatrol.city.StationLink` sends them when they change.

>>> from types import SimpleNamespace as Row
>>> seen = Row(id=7, kind="incident", status="open", priority="key", note="smoke " * 60,
...            lat_deg=-35.36, lon_deg=149.16, vehicle_id=None, created_s=10.0)
>>> fields = situation_fields([seen], 1, None)
>>> len(fields["incidents"][0]["note"]), fields["incidents"][0]["note"][-1]
(200, '…')
>>> video_feeds([("north-1", 3)], shared=True)
[{'vehicle': 'north-1', 'mountpoint': 3, 'media_server': 'city'}]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from dronepatrol.city.contract import (
    NAME_PATTERN,
    NOTE_SUMMARY_CHARS,
    OVERWATCH_POINTS_MAX,
    VIDEO_FEEDS_MAX,
)

_NAME = re.compile(NAME_PATTERN)

NAME_CHARS = 100
"""Names (of plans, points, people, drones) as the contract takes them [characters]."""


def cut(text: str | None, chars: int) -> str:
    """``text`` at most ``chars`` characters long, an ellipsis marking a cut."""
    text = text or ""
    return text if len(text) <= chars else text[: chars - 1] + "…"


def situation_fields(incidents: Iterable[Any], open_count: int, lockdown: Any) -> dict[str, Any]:
    """A :class:`StationSituation`'s fields from the station's open incidents (most recent
    first, ``IncidentView``-like), how many are open in all, and its latest
    ``LockdownStatus`` (None, or ended: no lockdown in force)."""
    shown = [
        {
            "id": i.id,
            "kind": i.kind,
            "status": i.status,
            "priority": i.priority,
            "note": cut(i.note, NOTE_SUMMARY_CHARS),
            "lat_deg": i.lat_deg,
            "lon_deg": i.lon_deg,
            "vehicle": cut(i.vehicle_id, NAME_CHARS) or None,
            "created_s": i.created_s,
        }
        for i in incidents
    ]
    in_force = None
    if lockdown is not None and lockdown.active:
        in_force = {
            "name": cut(lockdown.lockdown.name, NAME_CHARS),
            "started_by": cut(lockdown.lockdown.actor, NAME_CHARS),
            "started_s": lockdown.lockdown.started_s,
            "points": [
                {
                    "id": cut(h.point.point_id, 64),
                    "name": cut(h.point.name, NAME_CHARS),
                    "lat_deg": h.point.lat_deg,
                    "lon_deg": h.point.lon_deg,
                    "vehicle": cut(h.vehicle_id, NAME_CHARS) or None,
                    "status": h.status,
                }
                for h in lockdown.holds[:OVERWATCH_POINTS_MAX]
            ],
        }
    return {
        "incidents": shown,
        "open_incidents": max(open_count, len(shown)),
        "lockdown": in_force,
    }


def video_feeds(mountpoints: Iterable[tuple[str, int]], *, shared: bool) -> list[dict[str, Any]]:
    """:class:`VideoFeed` fields for each ``(vehicle, mountpoint id)``; ``shared`` when the
    station publishes to the city's media server (``video_janus_url``) rather than its own.
    A vehicle whose id cannot name a topic is left out (the contract refuses it)."""
    server = "city" if shared else "station"
    return [
        {"vehicle": vehicle, "mountpoint": mountpoint, "media_server": server}
        for vehicle, mountpoint in sorted(mountpoints)
        if _NAME.match(vehicle)
    ][:VIDEO_FEEDS_MAX]
