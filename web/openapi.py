"""The API's OpenAPI 3 description, served at ``GET /api/openapi.json``.

Written by hand next to the routes it describes and kept true by tests: one
checks that every ``/api/`` route is here (and nothing else is), another
calls every operation with generated requests and validates the answers
against this document.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from dronepatrol import __version__
from dronepatrol.web.vehicles import COMMANDS

bp = Blueprint("openapi", __name__)


def command_schema() -> dict[str, Any]:
    """The command request body, derived from the command table so the two never differ."""
    properties: dict[str, Any] = {
        "command": {"type": "string", "enum": list(COMMANDS)},
        "confirm": {"type": "boolean"},
    }
    rules: list[dict[str, Any]] = []
    for name, spec in COMMANDS.items():
        required = []
        for key, (_, low, high, default) in spec.arguments.items():
            properties[key] = {"type": "number"}
            rules.append(
                {
                    "if": {"properties": {"command": {"const": name}}, "required": [key]},
                    "then": {"properties": {key: {"minimum": low, "maximum": high}}},
                }
            )
            if default is None:
                required.append(key)
        if spec.risky:
            required.append("confirm")
        then: dict[str, Any] = {"required": required} if required else {}
        if spec.risky:
            then["properties"] = {"confirm": {"const": True}}
        if then:
            rules.append({"if": {"properties": {"command": {"const": name}}}, "then": then})
    return {"type": "object", "required": ["command"], "properties": properties, "allOf": rules}


ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}
POSITION = {
    "type": ["object", "null"],
    "required": ["lat", "lon", "alt_amsl_m", "alt_rel_m"],
    "properties": {
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "alt_amsl_m": {"type": "number"},
        "alt_rel_m": {"type": "number"},
    },
}
VEHICLE = {
    "type": "object",
    "required": ["id", "name", "link", "armed", "mode", "position", "battery"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "link": {"type": "string", "enum": ["connecting", "up", "lost", "closed"]},
        "last_heard_s": {"type": ["number", "null"]},
        "armed": {"type": "boolean"},
        "mode": {"type": "string"},
        "position": POSITION,
        "home": POSITION,
        "groundspeed_mps": {"type": "number"},
        "heading_deg": {"type": "number"},
        "battery": {"type": "object"},
        "mission": {"type": "object"},
        "gps": {"type": "object"},
        "ekf_ok": {"type": "boolean"},
        "landed_state": {"type": "string"},
        "airborne": {"type": "boolean"},
        "statustext": {"type": ["string", "null"]},
        "time_s": {"type": "number"},
    },
}


INCIDENT = {
    "type": "object",
    "required": ["id", "created_s", "lat_deg", "lon_deg", "priority", "status"],
    "properties": {
        "id": {"type": "integer"},
        "status": {
            "type": "string",
            "enum": ["open", "dispatched", "on_scene", "released", "failed"],
        },
        "vehicle_id": {"type": ["string", "null"]},
        "response_s": {"type": ["number", "null"]},
        "proposal": {"type": "object"},
    },
}

LARGE_EVENT = {
    "type": "object",
    "required": ["id", "name", "status", "active", "start_s", "end_s", "time_left_s"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "status": {"type": "string", "enum": ["scheduled", "active", "ended", "cancelled"]},
        "active": {"type": "boolean"},
        "start_s": {"type": "number"},
        "end_s": {"type": "number"},
        "ended_s": {"type": ["number", "null"]},
        "time_left_s": {"type": "number"},
        "targets": {"type": "integer"},
        "intervals_min": {"type": "object"},
        "creator": {"type": "string"},
        "created_s": {"type": "number"},
        "ended_by": {"type": ["string", "null"]},
        "warnings": {"type": "array"},
    },
}

FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": {"type": "object"}},
    },
}

OVERWATCH_POINT = {
    "type": "object",
    "required": ["id", "lat", "lon"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
    },
}

LOCKDOWN = {
    "type": "object",
    "required": ["name", "active", "started_s", "worst_eta_s", "points", "uncovered"],
    "properties": {
        "name": {"type": "string"},
        "active": {"type": "boolean"},
        "started_s": {"type": "number"},
        "started_by": {"type": "string"},
        "worst_eta_s": {"type": "number"},
        "points": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "lat", "lon", "vehicle", "eta_s", "incident", "status"],
                "properties": {
                    "vehicle": {"type": ["string", "null"]},
                    "eta_s": {"type": ["number", "null"]},
                    "incident": {"type": ["integer", "null"]},
                    "status": {
                        "type": "string",
                        "enum": [
                            "uncovered",
                            "open",
                            "dispatched",
                            "on_scene",
                            "released",
                            "failed",
                        ],
                    },
                    "reason": {"type": "string"},
                },
            },
        },
        "uncovered": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

PLAN = {
    "type": "object",
    "required": ["id", "summary", "tracks"],
    "properties": {
        "id": {"type": "string"},
        "summary": {"type": "object", "required": ["sorties", "targets", "totals"]},
        "tracks": {"type": "object"},
    },
}


_NUMBER_OR_NULL = {"type": ["number", "null"]}
_SPREAD = {
    "type": "object",
    "required": ["count", "median_s", "p95_s"],
    "properties": {
        "count": {"type": "integer"},
        "median_s": _NUMBER_OR_NULL,
        "p95_s": _NUMBER_OR_NULL,
    },
}
REPORT_GROUP = {
    "type": "object",
    "required": ["level", "key", "targets", "on_time_rate", "overdue_targets", "response"],
    "properties": {
        "level": {"type": "string", "enum": ["fleet", "priority", "station"]},
        "key": {"type": "string"},
        "name": {"type": "string"},
        "targets": {"type": "integer"},
        "deadlines_met": {"type": "integer"},
        "deadlines_missed": {"type": "integer"},
        "on_time_rate": _NUMBER_OR_NULL,
        "overdue_targets": {"type": "integer"},
        "mean_coverage": _NUMBER_OR_NULL,
        "incidents": {"type": "integer"},
        "incidents_answered": {"type": "integer"},
        "response": {
            "type": "object",
            "required": ["to_dispatch", "to_airborne", "to_scene"],
            "properties": {"to_dispatch": _SPREAD, "to_airborne": _SPREAD, "to_scene": _SPREAD},
        },
        "sorties": {"type": "integer"},
        "flight_hours": {"type": "number"},
    },
}
DAY_REPORT = {
    "type": "object",
    "required": ["day", "zone", "start_s", "end_s", "as_of_s", "complete", "fleet"],
    "properties": {
        "day": {"type": "string", "format": "date"},
        "zone": {"type": "string"},
        "start_s": {"type": "number"},
        "end_s": {"type": "number"},
        "as_of_s": {"type": "number"},
        "complete": {"type": "boolean"},
        "fleet": REPORT_GROUP,
        "priorities": {"type": "array", "items": REPORT_GROUP},
        "stations": {"type": "array", "items": REPORT_GROUP},
        "vehicles": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["vehicle_id", "sorties", "flight_hours", "battery_cycles"],
            },
        },
        "targets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "kind", "station", "priority", "on_time_rate", "coverage"],
                "properties": {"on_time_rate": _NUMBER_OR_NULL, "coverage": {"type": "number"}},
            },
        },
    },
}
REPORT_PARAMETERS = [
    {
        "name": "date",
        "in": "query",
        "description": "The day, YYYY-MM-DD (default: today).",
        "schema": {"type": "string", "format": "date"},
    },
    {
        "name": "tz",
        "in": "query",
        "description": "Its time zone: an IANA zone, UTC or an offset such as +08:00 "
        "(default: the server's local time).",
        "schema": {"type": "string"},
    },
]


def _path(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    """A JSON request body with ``schema``."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "bad request",
        401: "not signed in",
        403: "role too low",
        404: "not found",
        409: "cannot be done now (the message says why)",
        413: "larger than a planning limit allows (the message names the limit)",
        429: "too many failed sign-ins",
    }
    return {str(code): _json(ERROR, words[code]) for code in codes}


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh dict each call)."""
    signed_in = [{"bearer": []}, {"session": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "DronePatrol control app API",
            "version": __version__,
            "description": "Sign in with POST /api/login for a bearer token. Roles nest: "
            "viewer < commander < operator < admin.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "paths": {
            "/api/health": {
                "get": {
                    "summary": "Liveness (no sign-in)",
                    "security": [],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status", "version"],
                                "properties": {
                                    "status": {"const": "ok"},
                                    "version": {"type": "string"},
                                },
                            },
                            "the app is up",
                        )
                    },
                }
            },
            "/api/login": {
                "post": {
                    "summary": "Sign in; returns a bearer token",
                    "security": [],
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["username", "password"],
                            "properties": {
                                "username": {"type": "string"},
                                "password": {"type": "string"},
                            },
                        }
                    ),
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["token", "expires_s", "role"],
                                "properties": {
                                    "token": {"type": "string"},
                                    "expires_s": {"type": "number"},
                                    "role": {"type": "string"},
                                },
                            },
                            "signed in",
                        ),
                        **_errors(400, 401, 429),
                    },
                }
            },
            "/api/logout": {
                "post": {
                    "summary": "Revoke this request's bearer token",
                    "security": signed_in,
                    "responses": {
                        "200": _json({"type": "object"}, "signed out"),
                        **_errors(400, 401),
                    },
                }
            },
            "/api/me": {
                "get": {
                    "summary": "Who is signed in",
                    "security": signed_in,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["name", "role"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "role": {"type": "string"},
                                },
                            },
                            "the user",
                        ),
                        **_errors(401),
                    },
                }
            },
            "/api/vehicles": {
                "get": {
                    "summary": "Every vehicle: link, armed, mode, position, battery",
                    "security": signed_in,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["vehicles"],
                                "properties": {"vehicles": {"type": "array", "items": VEHICLE}},
                            },
                            "the fleet",
                        ),
                        **_errors(401),
                    },
                }
            },
            "/api/vehicles/{vehicle_id}/commands": {
                "post": {
                    "summary": "Queue a flight command; the outcome arrives as events",
                    "description": (
                        "409 with the reason when the vehicle cannot take it now. "
                        "`battery_swapped` (on the ground, disarmed; `percentage` 0..100, "
                        "default 100) tells the autopilot the crew put in a charged pack: "
                        "MAV_CMD_BATTERY_RESET of every battery, so its remaining % restarts."
                    ),
                    "security": signed_in,
                    "parameters": [
                        {
                            "name": "vehicle_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": _body(command_schema()),
                    "responses": {
                        "202": _json(
                            {
                                "type": "object",
                                "required": ["request_id", "vehicle", "command", "status"],
                                "properties": {
                                    "request_id": {"type": "string"},
                                    "vehicle": {"type": "string"},
                                    "command": {"type": "string"},
                                    "status": {"const": "queued"},
                                },
                            },
                            "queued",
                        ),
                        **_errors(400, 401, 403, 404, 409),
                    },
                }
            },
            "/api/plans": {
                "post": {
                    "summary": "Plan sorties over the loaded network",
                    "security": signed_in,
                    "requestBody": _body(
                        {
                            "type": "object",
                            "properties": {
                                "stations": {"type": "array", "items": {"type": "string"}},
                                "targets": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                        required=False,
                    ),
                    "responses": {
                        "201": _json(PLAN, "the plan, with a preview track per sortie"),
                        **_errors(400, 401, 403, 404, 413),
                    },
                }
            },
            "/api/plans/{plan_id}": {
                "get": {
                    "summary": "A plan made earlier in this session",
                    "security": signed_in,
                    "parameters": [_path("plan_id")],
                    "responses": {"200": _json(PLAN, "the plan"), **_errors(401, 404)},
                }
            },
            "/api/vehicles/{vehicle_id}/mission": {
                "post": {
                    "summary": "Upload one planned sortie to a drone at its station",
                    "security": signed_in,
                    "parameters": [_path("vehicle_id")],
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["plan", "sortie"],
                            "properties": {
                                "plan": {"type": "string"},
                                "sortie": {"type": "string"},
                            },
                        }
                    ),
                    "responses": {
                        "202": _json({"type": "object", "required": ["request_id"]}, "queued"),
                        **_errors(400, 401, 403, 404, 409),
                    },
                }
            },
            "/api/sorties": {
                "get": {
                    "summary": "Recorded sorties, newest first",
                    "security": signed_in,
                    "parameters": [
                        {"name": "vehicle", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 5000},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["sorties"],
                                "properties": {"sorties": {"type": "array"}},
                            },
                            "the sorties",
                        ),
                        **_errors(400, 401),
                    },
                }
            },
            "/api/sorties/{sortie_id}": {
                "get": {
                    "summary": "One sortie's record with its track",
                    "security": signed_in,
                    "parameters": [_path("sortie_id", "integer")],
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["sortie", "stats", "events", "track"]},
                            "the record",
                        ),
                        **_errors(401, 404),
                    },
                }
            },
            "/api/sorties/{sortie_id}/export.{fmt}": {
                "get": {
                    "summary": "The track as GeoJSON, KML, GPX or CSV",
                    "security": signed_in,
                    "parameters": [
                        _path("sortie_id", "integer"),
                        {
                            "name": "fmt",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": ["geojson", "kml", "gpx", "csv"]},
                        },
                    ],
                    "responses": {
                        "200": {"description": "the file"},
                        **_errors(401, 404),
                    },
                }
            },
            "/api/incidents": {
                "get": {
                    "summary": "Incidents, newest first, with response times",
                    "security": signed_in,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["incidents"],
                                "properties": {"incidents": {"type": "array", "items": INCIDENT}},
                            },
                            "the incidents",
                        ),
                        **_errors(401),
                    },
                },
                "post": {
                    "summary": "Record an incident; answers with the dispatch proposal",
                    "security": signed_in,
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["lat", "lon"],
                            "properties": {
                                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                                "priority": {
                                    "type": "string",
                                    "enum": ["key", "attention", "general"],
                                },
                                "note": {"type": "string", "maxLength": 2000},
                            },
                        }
                    ),
                    "responses": {
                        "201": _json(INCIDENT, "the incident"),
                        **_errors(400, 401, 403),
                    },
                },
            },
            "/api/incidents/{incident_id}": {
                "get": {
                    "summary": "One incident (with the proposal while unanswered)",
                    "security": signed_in,
                    "parameters": [_path("incident_id", "integer")],
                    "responses": {"200": _json(INCIDENT, "the incident"), **_errors(401, 404)},
                }
            },
            "/api/incidents/{incident_id}/dispatch": {
                "post": {
                    "summary": "Send the proposed drone, or {vehicle: id}",
                    "security": signed_in,
                    "parameters": [_path("incident_id", "integer")],
                    "requestBody": _body(
                        {
                            "type": "object",
                            "properties": {"vehicle": {"type": "string"}},
                        },
                        required=False,
                    ),
                    "responses": {
                        "202": _json({"type": "object"}, "the drone is on its way"),
                        **_errors(400, 401, 403, 404, 409),
                    },
                }
            },
            "/api/incidents/{incident_id}/release": {
                "post": {
                    "summary": "Release the drone back to its patrol, or home",
                    "security": signed_in,
                    "parameters": [_path("incident_id", "integer")],
                    "responses": {
                        "202": _json({"type": "object"}, "released"),
                        **_errors(400, 401, 403, 404, 409),
                    },
                }
            },
            "/api/freshness": {
                "get": {
                    "summary": "How overdue each target is, from the flown tracks",
                    "security": signed_in,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["targets"],
                                "properties": {"targets": {"type": "array"}},
                            },
                            "every target of the network",
                        ),
                        **_errors(401, 404),
                    },
                }
            },
            "/api/large-events": {
                "get": {
                    "summary": "Large events, latest start first, with status and time left",
                    "security": signed_in,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["events"],
                                "properties": {"events": {"type": "array", "items": LARGE_EVENT}},
                            },
                            "the events",
                        ),
                        **_errors(401),
                    },
                },
                "post": {
                    "summary": "Add a large event: its zone and targets as GeoJSON "
                    "(a zone feature with id, name, start, end, intervals_min)",
                    "security": signed_in,
                    "requestBody": _body(FEATURE_COLLECTION),
                    "responses": {
                        "201": _json(LARGE_EVENT, "the event, with the file's warnings"),
                        "400": _json(
                            {**ERROR, "properties": {**ERROR["properties"], "issues": {}}},
                            "every problem of the file, in 'issues'",
                        ),
                        **_errors(401, 403, 409),
                    },
                },
            },
            "/api/large-events/active": {
                "get": {
                    "summary": "Zones and targets of the events on now (GeoJSON)",
                    "security": signed_in,
                    "responses": {
                        "200": _json(FEATURE_COLLECTION, "zones and targets"),
                        **_errors(401),
                    },
                }
            },
            "/api/large-events/{event_id}/end": {
                "post": {
                    "summary": "End a large event now (cancel it when it has not started)",
                    "security": signed_in,
                    "parameters": [_path("event_id")],
                    "responses": {
                        "200": _json(LARGE_EVENT, "the event, ended"),
                        **_errors(401, 403, 404, 409),
                    },
                }
            },
            "/api/schedule": {
                "get": {
                    "summary": "Patrol scheduler: mode, proposals, sorties flying, drones waiting",
                    "security": signed_in,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["mode", "pending", "flying", "waiting"],
                                "properties": {
                                    "mode": {"enum": ["off", "approve", "auto"]},
                                    "pending": {"type": "array"},
                                    "flying": {"type": "object"},
                                    "waiting": {"type": "object"},
                                    "unschedulable": {"type": "object"},
                                },
                            },
                            "the scheduler's state",
                        ),
                        **_errors(401, 404),
                    },
                }
            },
            "/api/schedule/mode": {
                "put": {
                    "summary": "Scheduler off, one-click approval, or flying on its own",
                    "security": signed_in,
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["mode"],
                            "properties": {"mode": {"enum": ["off", "approve", "auto"]}},
                        }
                    ),
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["mode"]}, "the mode now in force"
                        ),
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/api/schedule/proposals/{proposal_id}/approve": {
                "post": {
                    "summary": "Fly a proposed sortie now",
                    "security": signed_in,
                    "parameters": [_path("proposal_id")],
                    "responses": {
                        "202": _json(
                            {"type": "object", "required": ["proposal", "vehicle"]},
                            "the launch has begun; its stages arrive as schedule events",
                        ),
                        **_errors(401, 403, 404, 409),
                    },
                }
            },
            "/api/schedule/proposals/{proposal_id}/reject": {
                "post": {
                    "summary": "Drop a proposed sortie; its drone is left alone for a while",
                    "security": signed_in,
                    "parameters": [_path("proposal_id")],
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["proposal", "vehicle"]},
                            "the proposal is dropped",
                        ),
                        **_errors(401, 403, 404, 409),
                    },
                }
            },
            "/api/lockdown": {
                "get": {
                    "summary": "The latest lockdown: each point's drone, ETA and live status",
                    "security": signed_in,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["lockdown"],
                                "properties": {"lockdown": {"oneOf": [LOCKDOWN, {"type": "null"}]}},
                            },
                            "the lockdown (null before any)",
                        ),
                        **_errors(401),
                    },
                },
                "post": {
                    "summary": "Lockdown: hold a plan's overwatch points with the available drones",
                    "description": "Give a plan of the network ({plan: NAME}) or the points "
                    "themselves. Answers 409 while another lockdown is in force.",
                    "security": signed_in,
                    "requestBody": _body(
                        {
                            "oneOf": [
                                {
                                    "type": "object",
                                    "required": ["plan"],
                                    "properties": {"plan": {"type": "string", "minLength": 1}},
                                    "not": {"required": ["points"]},
                                },
                                {
                                    "type": "object",
                                    "required": ["name", "points"],
                                    "properties": {
                                        "name": {"type": "string", "minLength": 1},
                                        "points": {
                                            "type": "array",
                                            "minItems": 1,
                                            "items": OVERWATCH_POINT,
                                        },
                                    },
                                    "not": {"required": ["plan"]},
                                },
                            ]
                        }
                    ),
                    "responses": {
                        "202": _json(
                            {
                                "type": "object",
                                "required": [
                                    "name",
                                    "assignments",
                                    "uncovered",
                                    "worst_eta_s",
                                    "lockdown",
                                ],
                                "properties": {"lockdown": LOCKDOWN},
                            },
                            "the drones are on their way; uncovered points with reasons",
                        ),
                        **_errors(400, 401, 403, 404, 409),
                    },
                },
            },
            "/api/lockdown/plans": {
                "get": {
                    "summary": "The network's lockdown plans with their overwatch points",
                    "security": signed_in,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["plans"],
                                "properties": {
                                    "plans": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["name", "points"],
                                            "properties": {
                                                "name": {"type": "string"},
                                                "points": {
                                                    "type": "array",
                                                    "items": OVERWATCH_POINT,
                                                },
                                            },
                                        },
                                    }
                                },
                            },
                            "the plans, in file order",
                        ),
                        **_errors(401, 404),
                    },
                }
            },
            "/api/lockdown/release": {
                "post": {
                    "summary": "End the lockdown in force: release every hold",
                    "security": signed_in,
                    "responses": {
                        "202": _json(
                            {
                                "type": "object",
                                "required": ["name", "released"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "released": {"type": "array", "items": {"type": "integer"}},
                                },
                            },
                            "the drones go back to their patrols, or home",
                        ),
                        **_errors(401, 403, 409),
                    },
                }
            },
            "/api/reports/day": {
                "get": {
                    "summary": "One day's patrol performance: on-time visits, coverage, "
                    "incidents, flight hours, battery cycles",
                    "description": "Per target, station, priority level, vehicle and the "
                    "whole fleet. A day not over yet is measured up to now.",
                    "security": signed_in,
                    "parameters": REPORT_PARAMETERS,
                    "responses": {
                        "200": _json(DAY_REPORT, "the day's report"),
                        **_errors(400, 401, 404),
                    },
                }
            },
            "/api/reports/day.csv": {
                "get": {
                    "summary": "The same day as one CSV table with a level column (a download)",
                    "security": signed_in,
                    "parameters": REPORT_PARAMETERS,
                    "responses": {
                        "200": {
                            "description": "the CSV file",
                            "content": {"text/csv": {"schema": {"type": "string"}}},
                        },
                        **_errors(400, 401, 404),
                    },
                }
            },
            "/api/network": {
                "get": {
                    "summary": "The patrol network (GeoJSON FeatureCollection)",
                    "security": signed_in,
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["type", "features"]},
                            "the network, with an ETag",
                        ),
                        "304": {"description": "unchanged since the ETag sent in If-None-Match"},
                        **_errors(401, 404),
                    },
                }
            },
            "/api/events": {
                "get": {
                    "summary": "Live events as server-sent events (text/event-stream)",
                    "security": signed_in,
                    "responses": {
                        "200": {
                            "description": "an endless stream",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        },
                        **_errors(401),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "the OpenAPI document")},
                }
            },
        },
    }


@bp.get("/api/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3 document of this API."""
    return jsonify(document())
