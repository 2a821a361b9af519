"""Read-backs of real ArduCopter 4.7 verify as ArduPilot stores the items.

The uploads and read-backs are the vehicle's own bytes, recorded from
ArduCopter 4.7 SITL (tests/data/ardupilot-4.7): items without a position
come back with frame 0, LOITER_TIME's direction comes back as +1, LAND's
yaw direction as +1, and so on. Verification must accept every one of them,
and still see a real difference.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from dronepatrol.mavlink.readback import compare_items, stored_item
from dronepatrol.mission import Cmd, MissionType
from link.ardupilot_recordings import transfers

MAV_MISSION_NO_SPACE = 4


def pairs(name: str):
    """(mission type, uploaded items, read-back items) of each list verified in a recording."""
    done = transfers(name)
    out = []
    for k, up in enumerate(done):
        if up.kind != "upload" or up.ack != 0:
            continue
        later = [d for d in done[k + 1 :] if d.mission_type == up.mission_type]
        down = next((d for d in later if d.kind == "download"), None)
        if down is not None and down.count == len(up.items):
            out.append((MissionType(up.mission_type), up.items, down.items))
    return out


def test_the_recorded_sortie_verifies_mission_fence_and_rally():
    verified = pairs("fly-sortie-complete")
    assert [(t, len(sent)) for t, sent, _ in verified] == [
        (MissionType.MISSION, 30),
        (MissionType.FENCE, 28),
        (MissionType.RALLY, 1),
    ]
    for mission_type, sent, got in verified:
        skip_home = mission_type == MissionType.MISSION
        assert compare_items(sent, got, skip_home, mission_type) == []


def test_position_less_items_really_come_back_with_frame_0():
    """The finding of issue 13: DO_ items are sent with frame 2 and read back with frame 0."""
    (_, sent, got), *_ = pairs("fly-sortie-complete")
    no_place = [k for k, it in enumerate(sent) if it.command in (178, 197)]
    assert no_place and all(sent[k].frame == 2 and got[k].frame == 0 for k in no_place)


@pytest.mark.parametrize("name", ["fly-sortie-complete", "fly-fence-refused", "dronekit-flow"])
def test_the_model_of_storage_predicts_every_recorded_read_back_exactly(name):
    """stored_item is what ArduPilot returns, field by field (home, item 0, is the vehicle's)."""
    verified = pairs(name)
    assert verified
    for mission_type, sent, got in verified:
        start = 1 if mission_type == MissionType.MISSION else 0
        for seq in range(start, len(sent)):
            kept, back = stored_item(sent[seq], mission_type), got[seq]
            assert (kept.command, kept.frame) == (back.command, back.frame), seq
            assert round(kept.lat_deg * 1e7) == round(back.lat_deg * 1e7), seq
            assert round(kept.lon_deg * 1e7) == round(back.lon_deg * 1e7), seq
            assert kept.alt_m == pytest.approx(back.alt_m, abs=1e-5), seq
            assert (kept.param1, kept.param2, kept.param3, kept.param4) == pytest.approx(
                (back.param1, back.param2, back.param3, back.param4), abs=1e-6
            ), seq


def test_dronekit_items_sent_as_float_mission_item_verify_too():
    (mission_type, sent, got), *_ = [p for p in pairs("dronekit-flow") if len(p[1]) == 5]
    assert compare_items(sent, got, True, mission_type) == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("alt_m", 61.0, "alt"),
        ("lat_deg", None, "lat"),
        ("param1", 21.0, "param1"),
        ("command", int(Cmd.NAV_LOITER_UNLIM), "command"),
        ("frame", 0, "frame"),
    ],
)
def test_a_real_read_back_changed_in_one_field_is_refused(field, value, says):
    (_, sent, got), *_ = pairs("fly-sortie-complete")
    seq = next(k for k, it in enumerate(sent) if it.command == Cmd.NAV_LOITER_TIME)
    if value is None:
        value = got[seq].lat_deg + 2e-7
    tampered = list(got)
    tampered[seq] = replace(got[seq], **{field: value})
    problems = compare_items(sent, tampered, True, MissionType.MISSION)
    assert len(problems) == 1 and problems[0].startswith(f"item {seq}: {says}")


def test_the_fence_of_two_polygon_no_fly_zones_was_refused_for_space():
    """What ArduCopter said to the 92-vertex fence: NO_SPACE and its own reason."""
    fence = [t for t in transfers("fly-fence-refused") if t.mission_type == MissionType.FENCE]
    assert [(t.kind, t.count, t.ack) for t in fence] == [("upload", 92, MAV_MISSION_NO_SPACE)]
    assert "Only 70 items are supported" in fence[0].texts
