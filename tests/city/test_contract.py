"""The city bus contract: topics and payloads are validated on receipt."""

from __future__ import annotations

import json
import re

import pytest

from dronepatrol.city import acl_text
from dronepatrol.city.contract import (
    NOTE_SUMMARY_CHARS,
    OVERWATCH_POINTS_MAX,
    PAYLOAD_BYTES_MAX,
    SITUATION_INCIDENTS_MAX,
    CommandRequest,
    ContractError,
    Kind,
    Record,
    SituationIncident,
    StationSituation,
    StationVideo,
    decode,
    topic_of,
)


def test_a_record_round_trips_through_its_topic() -> None:
    record = Record(station="north", key="north/abc12345", kind="armed", time_s=1.0, data={"a": 1})
    parts, message = decode(topic_of(Kind.RECORD, "north"), record.encode())
    assert parts.station == "north" and message == record


@pytest.mark.parametrize(
    ("topic", "payload", "complaint"),
    [
        ("dronepatrol/v1/station/north/record", b"not json", "not JSON"),
        ("dronepatrol/v1/station/north/record", b"[1]", "not a JSON object"),
        (
            "dronepatrol/v1/station/north/record",
            json.dumps({"v": 2, "station": "north"}).encode(),
            "contract version 2",
        ),
        (
            "dronepatrol/v1/station/north/record",
            json.dumps({"v": 1, "station": "north", "key": "north/abc12345"}).encode(),
            "kind",
        ),
        (
            "dronepatrol/v1/station/north/record",
            Record(station="south", key="south/abc12345", kind="x", time_s=0).encode(),
            "not the topic's",
        ),
        ("dronepatrol/v1/station/north/bogus", b"{}", "not a v1 contract topic"),
        ("elsewhere/north", b"{}", "not a v1 contract topic"),
    ],
)
def test_messages_breaking_the_contract_are_refused_with_the_reason(
    topic: str, payload: bytes, complaint: str
) -> None:
    with pytest.raises(ContractError, match=complaint):
        decode(topic, payload)


def test_a_telemetry_topic_must_name_the_payloads_vehicle() -> None:
    payload = json.dumps(
        {"v": 1, "station": "north", "vehicle": "north-2", "time_s": 1, "sent_s": 1, "data": {}}
    ).encode()
    with pytest.raises(ContractError, match="vehicle"):
        decode(topic_of(Kind.TELEMETRY, "north", "north-1"), payload)


def test_ids_that_would_break_topics_are_refused() -> None:
    with pytest.raises(ContractError, match="cannot name a topic"):
        topic_of(Kind.RECORD, "north/#")
    with pytest.raises(ValueError, match="vehicle"):
        CommandRequest(
            station="north",
            request_id="r" * 10,
            vehicle="a+b",
            operation="rtl",
            actor="alice",
            role="operator",
            deadline_s=0,
        )


def test_a_reply_says_what_the_station_flies_and_one_without_it_still_decodes() -> None:
    """``route`` and ``watch`` are optional additions to v1: a reply from a station that
    does not send them decodes with neither, and fields unknown to a peer are ignored."""
    topic = topic_of(Kind.REPLY, "north")
    plain = b'{"v": 1, "station": "north", "request_id": "r-1", "status": "accepted"}'
    _parts, old = decode(topic, plain)
    assert (old.route, old.watch) == (None, None)
    told = {
        "v": 1,
        "station": "north",
        "request_id": "r-2",
        "status": "accepted",
        "route": [[-35.36, 149.16], [-35.359, 149.168]],
        "watch": {
            "lat": -35.359,
            "lon": 149.168,
            "target_lat": -35.3605,
            "target_lon": 149.1697,
            "from_outside": True,
            "zone": "NF01",
            "zone_name": "Substation",
            "distance_m": 135.0,
            "message": "watching from 135 m outside the no-fly zone 'Substation'",
            "seen_by": "a later field",
        },
        "a_later_field": 1,
    }
    _parts, new = decode(topic, json.dumps(told).encode())
    assert new.route == [(-35.36, 149.16), (-35.359, 149.168)]
    assert new.watch.zone_name == "Substation" and new.watch.from_outside


# ------------------------------------------------------------- situation and video


def incident(n: int = 1, **fields: object) -> dict:
    return {
        "id": n,
        "status": "open",
        "priority": "key",
        "note": "smoke at the market",
        "lat_deg": -35.36,
        "lon_deg": 149.16,
        "created_s": 100.0 + n,
        **fields,
    }


def situation(**fields: object) -> bytes:
    return json.dumps({"v": 1, "station": "north", "time_s": 1.0, **fields}).encode()


SITUATION_TOPIC = "dronepatrol/v1/station/north/situation"


def test_a_situation_round_trips_and_ignores_fields_it_does_not_know() -> None:
    lockdown = {
        "name": "close the gates",
        "started_by": "chief",
        "started_s": 5.0,
        "points": [
            {
                "id": "G1",
                "lat_deg": -35.3,
                "lon_deg": 149.1,
                "vehicle": "north-1",
                "status": "on_scene",
                "heading": 90,
            },
        ],
    }
    payload = situation(
        incidents=[incident(1, weather="rain")], open_incidents=1, lockdown=lockdown, extra=1
    )
    parts, message = decode(SITUATION_TOPIC, payload)
    assert parts.kind is Kind.SITUATION and isinstance(message, StationSituation)
    assert message.incidents[0].note == "smoke at the market"
    assert message.lockdown is not None and message.lockdown.points[0].vehicle == "north-1"
    assert decode(SITUATION_TOPIC, message.encode())[1] == message


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        (
            {"incidents": [incident(n) for n in range(1, 102)]},
            "incidents: List should have at most 100",
        ),
        ({"incidents": [incident(note="x" * 201)]}, "incidents.0.note"),
        ({"incidents": [incident(lat_deg=91.0)]}, "incidents.0.lat_deg"),
        ({"incidents": [incident(status="released")]}, "incidents.0.status"),
        ({"incidents": [incident(priority="urgent")]}, "incidents.0.priority"),
        ({"incidents": [incident(id=0)]}, "incidents.0.id"),
        (
            {"lockdown": {"name": "n", "started_by": "a" * 101, "started_s": 0, "points": []}},
            "lockdown.started_by",
        ),
        ({"time_s": "soon"}, "time_s"),
    ],
)
def test_a_bad_situation_is_refused_naming_the_field(fields: dict, complaint: str) -> None:
    with pytest.raises(ContractError, match=re.escape(complaint)):
        decode(SITUATION_TOPIC, situation(**fields))


def test_an_oversized_situation_is_refused_before_it_is_parsed() -> None:
    payload = situation(incidents=[], padding="x" * PAYLOAD_BYTES_MAX["situation"])
    with pytest.raises(ContractError, match="at most 262144 taken"):
        decode(SITUATION_TOPIC, payload)


def test_the_most_a_situation_may_carry_fits_its_byte_limit() -> None:
    note = "€" * NOTE_SUMMARY_CHARS  # 3 bytes each in UTF-8
    points = [
        {
            "id": "p" * 64,
            "name": "n" * 100,
            "lat_deg": 0,
            "lon_deg": 0,
            "vehicle": "v" * 100,
            "status": "uncovered",
        }
        for _ in range(OVERWATCH_POINTS_MAX)
    ]
    biggest = StationSituation(
        station="north",
        time_s=1.0,
        incidents=[
            SituationIncident.model_validate(incident(n, note=note, vehicle="v" * 100))
            for n in range(1, SITUATION_INCIDENTS_MAX + 1)
        ],
        lockdown={"name": "l" * 100, "started_by": "s" * 100, "started_s": 0, "points": points},
    )
    assert len(biggest.encode()) < PAYLOAD_BYTES_MAX["situation"]
    assert decode(SITUATION_TOPIC, biggest.encode())[1] == biggest


@pytest.mark.parametrize(
    ("feed", "complaint"),
    [
        ({"vehicle": "north/1", "mountpoint": 3, "media_server": "city"}, "feeds.0.vehicle"),
        ({"vehicle": "north-1", "mountpoint": 2**53, "media_server": "city"}, "feeds.0.mountpoint"),
        ({"vehicle": "north-1", "mountpoint": 3, "media_server": "http://evil"}, "media_server"),
    ],
)
def test_a_bad_video_feed_is_refused(feed: dict, complaint: str) -> None:
    payload = json.dumps({"v": 1, "station": "north", "time_s": 1, "feeds": [feed]}).encode()
    with pytest.raises(ContractError, match=complaint):
        decode(topic_of(Kind.VIDEO, "north"), payload)
    good = {**feed, "vehicle": "north-1", "mountpoint": 3, "media_server": "city"}
    ok = json.dumps({"v": 1, "station": "north", "time_s": 1, "feeds": [good]}).encode()
    assert isinstance(decode(topic_of(Kind.VIDEO, "north"), ok)[1], StationVideo)


def test_stations_may_publish_their_situation_and_video_under_the_acl() -> None:
    acl = acl_text(["north"])
    assert "topic write dronepatrol/v1/station/north/situation" in acl
    assert "topic write dronepatrol/v1/station/north/video" in acl
