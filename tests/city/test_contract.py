"""The city bus contract: topics and payloads are validated on receipt."""

from __future__ import annotations

import json

import pytest

from dronepatrol.city.contract import (
    CommandRequest,
    ContractError,
    Kind,
    Record,
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
