"""The command centre in the control app (``mode = "centre"``).

``GET /api/city`` is the city's picture: every station with its stale marker
(silent for more than ``stale_after_s``, or offline by its last will), and
every vehicle's latest telemetry; ``GET /api/city/stations/<station>/network``
is the patrol network the station flies; ``GET /api/city/situation`` every
station's open incidents and lockdown in force; ``GET
/api/city/stations/<station>/vehicles/<vehicle>/video`` the mountpoint of the
centre's media server that carries the drone's feed (or why there is none:
see :mod:`dronepatrol.web.city_video`). ``POST
/api/city/stations/<station>/vehicles/<vehicle>/commands`` sends a command
through the station as a request with a deadline and the caller's name, which
the station writes into its own audit log: rtl, land, pause, resume, and goto
and orbit to a place, which the station routes round its own no-fly zones (the
202 says the ``route`` it flies and, for a goto into a zone, the place it
is watched from, ``watch``). 202 when the station accepted it, 409 when it refused
(the reason is the station's: an orbit into a no-fly zone, an argument out of
range, a drone on the ground), 503 when the station is unreachable, 504 when
it did not answer in time. The outcome arrives later in
the station's records: ``GET
/api/city/stations/<station>/vehicles/<vehicle>/commands/<command_id>`` tells it
(pending, completed or failed).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, g

from dronepatrol.accounts import Role
from dronepatrol.city import VERSION, CommandError
from dronepatrol.web import city_video, janus_proxy
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.schema.api import FeatureCollection
from dronepatrol.web.schema.base import ApiBlueprint, Error, refuse, reply, validated
from dronepatrol.web.schema.city import (
    CityCommand,
    CityCommandAccepted,
    CityCommandOutcome,
    CityPicture,
    CitySituation,
    CityStation,
    CityStationSituation,
    CityVehicle,
    CityVideo,
    CityWebRTC,
)
from dronepatrol.web.schema.vehicles import Watch
from dronepatrol.web.security import require

bp = ApiBlueprint("city", __name__)

COMMAND_DEADLINE_S = 5.0
"""How long a station has to answer a command from the centre [s]."""

_STATUS = {"refused": 409, "expired": 409, "unreachable": 503, "timeout": 504}


def _centre() -> Any:
    centre = control_room().city
    if centre is None:
        abort(404, description="this app is not a command centre: serve it with mode = centre")
    return centre


@bp.get("/api/city", responses={200: CityPicture, 404: Error})
@require(Role.VIEWER)
def picture() -> Any:
    """Every station (stale marked) and every vehicle's latest telemetry."""
    centre = _centre()
    vehicles = []
    for sample in centre.vehicles():
        telemetry = dict(sample)
        head = {k: telemetry.pop(k) for k in ("station", "vehicle", "time_s", "stale")}
        vehicles.append(CityVehicle(**head, telemetry=telemetry))
    return reply(
        CityPicture(
            mode="centre",
            contract_version=VERSION,
            stale_after_s=centre.stale_after_s,
            stations=[CityStation(**s) for s in centre.stations()],
            vehicles=vehicles,
        )
    )


@bp.get("/api/city/stations/<station>/network", responses={200: FeatureCollection, 404: Error})
@require(Role.VIEWER)
def station_network(station: str) -> Any:
    """The patrol network ``station`` sent (GeoJSON), as its own app shows it."""
    geojson = _centre().network(station)
    if geojson is None:
        abort(404, description=f"station {station!r} has sent no patrol network")
    return Response(json.dumps(geojson), mimetype="application/json")


@bp.get("/api/city/situation", responses={200: CitySituation, 404: Error})
@require(Role.VIEWER)
def situation() -> Any:
    """Every station's open incidents and lockdown in force, stale marked with the station."""
    centre = _centre()
    return reply(
        CitySituation(
            stale_after_s=centre.stale_after_s,
            stations=[CityStationSituation(**s) for s in centre.situations()],
        )
    )


@bp.get(
    "/api/city/stations/<station>/vehicles/<vehicle>/video",
    responses={200: CityVideo, 404: Error},
)
@require(Role.VIEWER)
def vehicle_video(station: str, vehicle: str) -> Any:
    """Which mountpoint of the centre's media server carries the drone's feed, or why none."""
    centre = _centre()
    view = centre.station(station)
    if view is None:
        abort(404, description=f"no station {station!r} has been heard")
    webrtc, reason = None, None
    try:
        mountpoint = city_video.playable(centre, station, vehicle)
    except city_video.NoFeed as exc:
        reason = str(exc)
    else:
        webrtc = CityWebRTC(api=janus_proxy.API_PATH, mountpoint=mountpoint)
    return reply(
        CityVideo(
            station=station, vehicle=vehicle, stale=view["stale"], webrtc=webrtc, reason=reason
        )
    )


@bp.post(
    "/api/city/stations/<station>/vehicles/<vehicle>/commands",
    responses={202: CityCommandAccepted, 404: Error, 409: Error, 503: Error, 504: Error},
)
@require(Role.OPERATOR)
@validated
def command(station: str, vehicle: str, body: CityCommand) -> Any:
    """Command a station's vehicle through the station, in the caller's name."""
    centre = _centre()
    order = body.root
    name, arguments = order.command, order.arguments()
    try:
        answer = centre.command(
            station,
            vehicle,
            name,
            arguments=arguments,
            actor=g.user.name,
            role=g.user.role.value,
            deadline_s=COMMAND_DEADLINE_S,
        )
    except CommandError as exc:
        audit(
            f"city command {name}",
            False,
            station=station,
            vehicle=vehicle,
            arguments=arguments,
            reason=str(exc),
        )
        status = _STATUS.get(exc.status, 409)
        return refuse(
            status,
            {409: "Conflict", 503: "Service Unavailable", 504: "Gateway Timeout"}[status],
            str(exc),
        )
    except ValueError as exc:  # an id that cannot name a topic
        return refuse(404, "Not Found", str(exc))
    audit(
        f"city command {name}",
        True,
        station=station,
        vehicle=vehicle,
        arguments=arguments,
        request_id=answer.request_id,
    )
    return reply(
        CityCommandAccepted(
            request_id=answer.request_id,
            station=station,
            vehicle=vehicle,
            command=name,
            status="accepted",
            command_id=answer.command_id,
            route=None if answer.route is None else [list(p) for p in answer.route],
            watch=None if answer.watch is None else Watch(**answer.watch.model_dump()),
        ),
        202,
    )


@bp.get(
    "/api/city/stations/<station>/vehicles/<vehicle>/commands/<command_id>",
    responses={200: CityCommandOutcome, 404: Error},
)
@require(Role.VIEWER)
def command_outcome(station: str, vehicle: str, command_id: str) -> Any:
    """How a command sent through ``station`` ended: pending until its result arrives."""
    result = _centre().command_result(station, vehicle, command_id)
    if result is None:
        status, answer, reason = "pending", None, None
    else:
        status = "completed" if result.get("ok") else "failed"
        answer, reason = result.get("result"), result.get("reason") or None
    return reply(
        CityCommandOutcome(
            command_id=command_id,
            station=station,
            vehicle=vehicle,
            status=status,
            result=answer,
            reason=reason,
        )
    )
