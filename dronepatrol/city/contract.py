"""The city bus contract: MQTT topics and payloads between stations and the command centre.

Version 1. Every topic starts with ``dronepatrol/v1/``; every payload is one
UTF-8 JSON object carrying ``"v": 1`` and is validated on receipt (a message
that fails is dropped, logged and counted, never half-applied). A receiver
refuses a major version it does not know; fields it does not know are ignored,
so a station may add fields without breaking an older centre. Kinds may be
added within a version too: a receiver drops (and counts) a kind it does not
know and keeps everything else working; the broker's ACL must then let the
station publish it (:func:`dronepatrol.city.broker.acl_text` writes it).

=========================================  ===  ======  ================  =========================
topic (``{s}`` station, ``{v}`` vehicle)  QoS  retain  sender            payload
=========================================  ===  ======  ================  =========================
``station/{s}/online``                     1    yes     station (+ will)  :class:`Presence`
``station/{s}/heartbeat``                  0    no      station, 1 Hz     :class:`Heartbeat`
``station/{s}/network``                    1    yes     station           :class:`StationNetwork`
``station/{s}/vehicle/{v}/telemetry``      0    yes     station, ~4 Hz    :class:`Telemetry`
``station/{s}/record``                     1    no      station outbox    :class:`Record`
``station/{s}/ack``                        1    no      centre            :class:`RecordAck`
``station/{s}/command``                    1    no      centre            :class:`CommandRequest`
``station/{s}/reply``                      1    no      station           :class:`CommandReply`
``station/{s}/situation``                  1    yes     station           :class:`StationSituation`
``station/{s}/video``                      1    yes     station           :class:`StationVideo`
=========================================  ===  ======  ================  =========================

Why these choices:

* Presence is retained and set to offline by the broker as the station's
  last will, so a centre that starts late, or a station whose link died
  without a goodbye, is known at once; the heartbeat's age covers a link
  that is cut without the broker noticing yet (a stale station within
  :data:`STALE_AFTER_S`).
* The patrol network is retained too: it changes rarely and a centre needs
  it to draw anything.
* Live telemetry is QoS 0 and retained: the newest sample matters, a lost one
  is replaced 250 ms later, and a restarted centre gets every vehicle's last
  state from the broker at subscription.
* Records (every event of the station's bus, the track included) are the
  evidence: they wait in the station's durable outbox under an idempotency
  ``key`` until the centre acknowledges them *after* committing them, and
  the centre inserts by key, so a record resent after a lost ack is stored
  once. Delivery is therefore at-least-once on the wire, exactly-once in
  the centre's database.
* The situation (open incidents, the lockdown in force) is its own
  retained QoS 1 message, not part of the heartbeat: up to
  :data:`SITUATION_INCIDENTS_MAX` incidents with positions and notes weigh
  tens of kilobytes, too much to repeat every second; it is sent when it
  changes (and at every connection), a change must not be lost, and a
  centre that starts late gets it from the broker at once. It carries the
  station's ``time_s``; the centre shows it stale while its station is.
  The heartbeat's ``summary`` keeps the counts, for older centres.
* Video (which media-server mountpoint carries which drone's feed) is
  retained for the same reasons. The centre plays a feed only from its own
  media server (its ``video_janus_url``): a station names mountpoints, never
  a server address the centre would then reach.
* Commands are requests with a ``deadline_s``: a station never acts on a
  request received after its deadline (it replies ``expired``), and carries
  the requesting person's name (``actor``) into its own audit log and into
  the vehicle command's ``source``. The orders and their arguments are those
  of :data:`dronepatrol.planning.orders.ORDERS` (rtl, land, pause, resume,
  ``goto [lat, lon, alt_m]``, ``orbit [lat, lon, alt_m, radius_m]``); the
  station routes each round its own no-fly zones, and its ``accepted`` reply
  says what it will fly (``route``, ``watch``).

Additions within version 1 (optional fields: older peers ignore them, and
their absence means "not said"): :class:`CommandReply` ``route`` and ``watch``.

Access control (mosquitto ACL, see :func:`dronepatrol.city.broker.acl_text`):
station ``s`` authenticates as ``station-s`` and may publish only under
``station/s/`` (not ``ack`` or ``command``) and read only its ``ack`` and
``command``; the centre reads and writes everything under the root.

>>> topic_of(Kind.TELEMETRY, "north", "north-1")
'dronepatrol/v1/station/north/vehicle/north-1/telemetry'
>>> parse_topic("dronepatrol/v1/station/north/vehicle/north-1/telemetry")
TopicParts(kind=<Kind.TELEMETRY: 'telemetry'>, station='north', vehicle='north-1')
>>> parse_topic("dronepatrol/v9/station/north/online") is None
True
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

VERSION = 1
"""The contract's major version: in every topic (``v1``) and payload (``"v"``)."""

ROOT = f"dronepatrol/v{VERSION}"
"""Prefix of every topic of this version."""

STALE_AFTER_S = 3.0
"""A station unheard (no heartbeat, no telemetry) this long is shown stale [s]."""

HEARTBEAT_INTERVAL_S = 1.0
"""How often a station says it is alive [s]."""

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
"""Station and vehicle ids: one topic level, no MQTT wildcard or separator."""

_NAME = re.compile(NAME_PATTERN)

SITUATION_INCIDENTS_MAX = 100
"""Most open incidents a situation carries: the most recent ones (it says how many are open)."""

NOTE_SUMMARY_CHARS = 200
"""An incident's note, cut to this many characters for the centre's map and list."""

OVERWATCH_POINTS_MAX = 200
"""Most overwatch points of a lockdown a situation carries."""

VIDEO_FEEDS_MAX = 64
"""Most video feeds one station announces."""

PAYLOAD_BYTES_MAX: dict[str, int] = {"situation": 256 * 1024, "video": 64 * 1024}
"""Largest payload of these kinds [bytes]: refused before parsing (the bounds above fit well)."""


class ContractError(ValueError):
    """A message breaks the contract (bad topic, JSON, version or field)."""


class Kind(StrEnum):
    """The last topic level: what a message is."""

    PRESENCE = "online"
    HEARTBEAT = "heartbeat"
    NETWORK = "network"
    TELEMETRY = "telemetry"
    RECORD = "record"
    ACK = "ack"
    COMMAND = "command"
    REPLY = "reply"
    SITUATION = "situation"
    VIDEO = "video"


QOS: dict[Kind, int] = {
    Kind.PRESENCE: 1,
    Kind.HEARTBEAT: 0,
    Kind.NETWORK: 1,
    Kind.TELEMETRY: 0,
    Kind.RECORD: 1,
    Kind.ACK: 1,
    Kind.COMMAND: 1,
    Kind.REPLY: 1,
    Kind.SITUATION: 1,
    Kind.VIDEO: 1,
}
"""MQTT quality of service per kind (see the module docstring for why)."""

RETAINED = frozenset({Kind.PRESENCE, Kind.TELEMETRY, Kind.NETWORK, Kind.SITUATION, Kind.VIDEO})
"""Kinds the broker keeps for late joiners."""


class TopicParts(NamedTuple):
    kind: Kind
    station: str
    vehicle: str | None


def check_name(name: str, what: str = "station") -> str:
    """``name`` when it can be one topic level, else ContractError naming it."""
    if not _NAME.match(name):
        raise ContractError(
            f"{what} id {name!r} cannot name a topic: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return name


def topic_of(kind: Kind, station: str, vehicle: str | None = None) -> str:
    """The topic a message of ``kind`` about ``station`` (and ``vehicle``) goes to."""
    check_name(station)
    if kind is Kind.TELEMETRY:
        if vehicle is None:
            raise ContractError("telemetry needs a vehicle id")
        return f"{ROOT}/station/{station}/vehicle/{check_name(vehicle, 'vehicle')}/{kind}"
    return f"{ROOT}/station/{station}/{kind}"


def parse_topic(topic: str) -> TopicParts | None:
    """The parts of a contract topic, or None for a topic outside this version."""
    parts = topic.split("/")
    if parts[:3] != [*ROOT.split("/"), "station"] or len(parts) not in (5, 7):
        return None
    station = parts[3]
    try:
        kind = Kind(parts[-1])
    except ValueError:
        return None
    if len(parts) == 7:
        if parts[4] != "vehicle" or kind is not Kind.TELEMETRY:
            return None
        return TopicParts(kind, station, parts[5])
    if kind is Kind.TELEMETRY:
        return None
    return TopicParts(kind, station, None)


def station_filter(station: str = "+") -> str:
    """Subscription filter for every message about ``station`` (``+``: every station)."""
    return f"{ROOT}/station/{station}/#"


# ----------------------------------------------------------------------- payloads


class Message(BaseModel):
    """Fields every payload carries."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = VERSION
    station: str = Field(pattern=NAME_PATTERN)

    def encode(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


class Presence(Message):
    """Whether a station is connected; ``online`` false is its last will too."""

    online: bool
    time_s: float
    """When the station said so [s since the epoch]; 0 in the last will."""
    role: Literal["station"] = "station"


class Heartbeat(Message):
    """The station is alive: its clock, its vehicles, and what its outbox still holds."""

    time_s: float
    vehicles: list[str] = Field(default_factory=list)
    outbox: int = Field(0, ge=0)
    """Records waiting for the centre's acknowledgement."""
    summary: dict[str, Any] = Field(default_factory=dict)
    """The station's picture in brief: open incidents, lockdown, alerts (free keys)."""


class StationNetwork(Message):
    """The station's patrol network (grids, lines, points, no-fly zones) as GeoJSON.

    Sent at every connection and retained, so the centre draws every
    station's network without asking.
    """

    time_s: float
    geojson: dict[str, Any]


class Telemetry(Message):
    """One vehicle sample (the keys of :mod:`dronepatrol.records.telemetry`)."""

    vehicle: str = Field(pattern=NAME_PATTERN)
    time_s: float
    """When the sample was taken [s since the epoch]."""
    sent_s: float
    """When the station published it [s since the epoch]: end-to-end latency."""
    data: dict[str, Any]


class Record(Message):
    """One event of the station's bus, delivered once into the centre's database."""

    key: str = Field(min_length=8, max_length=100)
    """Idempotency key, unique for ever: ``<station>/<uuid>``."""
    kind: str = Field(min_length=1, max_length=40)
    vehicle: str | None = None
    time_s: float
    data: dict[str, Any] = Field(default_factory=dict)


class RecordAck(Message):
    """The centre committed these records: the station may forget them."""

    keys: list[str]


class CommandRequest(Message):
    """The centre asks a station to command one of its vehicles."""

    request_id: str = Field(min_length=8, max_length=64)
    vehicle: str = Field(pattern=NAME_PATTERN)
    operation: str = Field(min_length=1, max_length=40)
    """An order by name: rtl, land, pause, resume, goto, orbit
    (:data:`dronepatrol.planning.orders.ORDERS`; the station refuses others)."""
    arguments: list[Any] = Field(default_factory=list)
    """The order's arguments in its order: ``[lat, lon, alt_m]`` for a goto, ``[lat,
    lon, alt_m, radius_m]`` for an orbit [deg, m above home, m]; checked by the station."""
    actor: str = Field(min_length=1, max_length=100)
    """The person at the centre who asked (their account name)."""
    role: Literal["viewer", "commander", "operator", "admin"]
    """Their role at the centre: the station checks it allows flight commands (operator)."""
    deadline_s: float
    """Not acted on after this time [s since the epoch]."""


ReplyStatus = Literal["accepted", "refused", "expired", "completed", "failed"]


class WatchPoint(BaseModel):
    """Where a goto watches its place from (over it, or outside the no-fly zone it is in)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    lat: float
    lon: float
    """The point flown to [deg]."""
    target_lat: float
    target_lon: float
    """The place watched [deg]."""
    from_outside: bool
    """Held outside a no-fly zone, camera on the place."""
    zone: str | None = None
    zone_name: str | None = None
    distance_m: float = 0.0
    """From the point flown to, to the place [m]."""
    message: str = ""
    """For the operator: ``watching from 180 m outside the no-fly zone 'Substation'``."""


class CommandReply(Message):
    """What a station did with a request: first accepted/refused/expired, then the outcome."""

    request_id: str
    status: ReplyStatus
    reason: str = ""
    command_id: str = ""
    """The station's own command id (its COMMAND_SENT/RESULT events carry it)."""
    route: list[tuple[float, float]] | None = None
    """Accepted: the path the station flies round its no-fly zones, [lat, lon] corners
    [deg] from the vehicle on (a goto, an orbit, an RTL); None when it flies none of its
    own. Added in version 1 (optional)."""
    watch: WatchPoint | None = None
    """Accepted goto: where the vehicle watches the place from. Added in version 1 (optional)."""


class Part(BaseModel):
    """A part of a payload: validated like it, unknown fields ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


Latitude = Annotated[float, Field(ge=-90, le=90)]
"""[deg] WGS84."""
Longitude = Annotated[float, Field(ge=-180, le=180)]
"""[deg] WGS84."""
ShortText = Annotated[str, Field(max_length=100)]


class SituationIncident(Part):
    """One open incident of a station, as the centre draws and lists it."""

    id: int = Field(ge=1, lt=2**63)
    kind: Literal["incident", "hold"] = "incident"
    """Reported by someone, or a lockdown's overwatch hold."""
    status: Literal["open", "dispatched", "on_scene"]
    priority: Literal["key", "attention", "general"]
    note: str = Field("", max_length=NOTE_SUMMARY_CHARS)
    """The first :data:`NOTE_SUMMARY_CHARS` characters of its note."""
    lat_deg: Latitude
    lon_deg: Longitude
    vehicle: ShortText | None = None
    """The drone sent to it, if any."""
    created_s: float
    """When it was reported [s since the epoch, the station's clock]."""


class OverwatchHold(Part):
    """One overwatch point of a lockdown: where, which drone holds it, how it goes."""

    id: str = Field(min_length=1, max_length=64)
    name: ShortText = ""
    lat_deg: Latitude
    lon_deg: Longitude
    vehicle: ShortText | None = None
    """The drone assigned to it; None when uncovered."""
    status: Literal["open", "dispatched", "on_scene", "released", "failed", "uncovered"]


class SituationLockdown(Part):
    """The lockdown in force at a station."""

    name: ShortText
    started_by: ShortText
    started_s: float
    """When it was activated [s since the epoch, the station's clock]."""
    points: list[OverwatchHold] = Field(default_factory=list, max_length=OVERWATCH_POINTS_MAX)


class StationSituation(Message):
    """What a station is dealing with: its open incidents and the lockdown in force.

    Retained and sent on change: the newest one is the station's whole
    situation (an empty one clears what the centre showed).
    """

    time_s: float
    """When the station took this picture [s since the epoch]."""
    incidents: list[SituationIncident] = Field(
        default_factory=list, max_length=SITUATION_INCIDENTS_MAX
    )
    """Open incidents (open, dispatched, on scene), most recent first."""
    open_incidents: int = Field(0, ge=0)
    """How many are open in all (more than ``incidents`` holds when past the bound)."""
    lockdown: SituationLockdown | None = None
    """The lockdown in force; None when none is."""


class VideoFeed(Part):
    """Which media-server mountpoint carries one drone's live feed."""

    vehicle: str = Field(pattern=NAME_PATTERN)
    mountpoint: int = Field(ge=1, le=2**53 - 1)
    """The Janus streaming mountpoint id (a browser's number: at most 2**53 - 1)."""
    media_server: Literal["city", "station"]
    """``city``: the city's media server (the station's ``video_janus_url``), which the
    centre reaches; ``station``: the station's own, on its loopback, out of the centre's reach."""


class StationVideo(Message):
    """Every live feed a station publishes to a media server (an empty list: none)."""

    time_s: float
    feeds: list[VideoFeed] = Field(default_factory=list, max_length=VIDEO_FEEDS_MAX)


PAYLOADS: dict[Kind, type[Message]] = {
    Kind.PRESENCE: Presence,
    Kind.HEARTBEAT: Heartbeat,
    Kind.NETWORK: StationNetwork,
    Kind.TELEMETRY: Telemetry,
    Kind.RECORD: Record,
    Kind.ACK: RecordAck,
    Kind.COMMAND: CommandRequest,
    Kind.REPLY: CommandReply,
    Kind.SITUATION: StationSituation,
    Kind.VIDEO: StationVideo,
}


def decode(topic: str, payload: bytes) -> tuple[TopicParts, Message]:
    """Validate a received message against the contract; ContractError when it breaks it.

    The payload's station (and vehicle) must match the topic's, so a station
    cannot speak for another even where the broker's ACL would let it.
    """
    parts = parse_topic(topic)
    if parts is None:
        raise ContractError(f"topic {topic!r} is not a v{VERSION} contract topic")
    limit = PAYLOAD_BYTES_MAX.get(parts.kind)
    if limit is not None and len(payload) > limit:
        raise ContractError(f"{topic}: payload of {len(payload)} bytes, at most {limit} taken")
    try:  # the fast path: pydantic parses and validates the bytes in one go
        message = PAYLOADS[parts.kind].model_validate_json(payload)
    except ValidationError as exc:
        raise _explain(topic, payload, exc) from exc
    if message.station != parts.station:
        raise ContractError(f"{topic}: payload station {message.station!r} is not the topic's")
    if parts.vehicle is not None and getattr(message, "vehicle", None) != parts.vehicle:
        raise ContractError(f"{topic}: payload vehicle is not the topic's {parts.vehicle!r}")
    return parts, message


def _explain(topic: str, payload: bytes, exc: ValidationError) -> ContractError:
    """The contract error a person can act on: not JSON, another version, or the bad field."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return ContractError(f"{topic}: payload is not JSON ({error})")
    if not isinstance(raw, dict):
        return ContractError(f"{topic}: payload is not a JSON object")
    if raw.get("v") != VERSION:
        return ContractError(f"{topic}: contract version {raw.get('v')!r}, expected {VERSION}")
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "payload"
    return ContractError(f"{topic}: {where}: {first['msg']}")
