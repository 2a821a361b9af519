"""Mission items survive the wire: encode, frame, decode and compare as ArduPilot stores them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.mavlink.readback import compare_items
from dronepatrol.mavlink.transfer import item_to_msg, msg_to_item
from dronepatrol.mission import Cmd, MissionItem

commands = st.sampled_from(
    [
        Cmd.NAV_WAYPOINT,
        Cmd.NAV_LOITER_TIME,
        Cmd.NAV_TAKEOFF,
        Cmd.NAV_LAND,
        Cmd.DO_CHANGE_SPEED,
        Cmd.DO_SET_ROI_LOCATION,
    ]
)
items = st.builds(
    MissionItem,
    command=commands,
    frame=st.sampled_from([0, 3, 5, 6, 10]),
    param1=st.floats(0, 255).map(round),
    param2=st.floats(0, 50).map(round),
    param3=st.floats(-100, 100, width=32),
    param4=st.floats(-180, 180, width=32),
    lat_deg=st.floats(-89.9, 89.9),
    lon_deg=st.floats(-179.9, 179.9),
    alt_m=st.floats(-100, 5000, width=32),
)


def wire(item: MissionItem, seq: int):
    class Sink:
        data = b""

        def write(self, b):
            Sink.data += bytes(b)

    out = mavlink.MAVLink(Sink(), 255, 190)
    out.send(item_to_msg(item, seq, 0, 1, 1))
    parser = mavlink.MAVLink(None)
    (msg,) = parser.parse_buffer(Sink.data)
    return msg


@settings(max_examples=200, deadline=None)
@given(st.lists(items, min_size=1, max_size=8))
def test_items_read_back_compare_equal(sent):
    got = [msg_to_item(wire(item, seq)) for seq, item in enumerate(sent)]
    assert compare_items(sent, got, skip_first=False) == []
    for item, back in zip(sent, got, strict=True):
        assert abs(item.lat_deg - back.lat_deg) <= 1e-7
        assert back.frame in (5, 6, 11)  # always sent as the _INT frame


@given(items, st.floats(0.02, 100))
def test_a_changed_altitude_is_a_mismatch(item, delta):
    changed = MissionItem(**{**item.__dict__, "alt_m": item.alt_m + delta})
    problems = compare_items([item, item], [item, changed], skip_first=True)
    assert problems and problems[0].startswith("item 1: ")
    assert compare_items([item, item], [changed, item], skip_first=True) == []
