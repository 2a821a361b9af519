"""A sortie too long for the vehicle's battery is refused before anything is uploaded.

On each backend (the embedded simulator, and real ArduCopter SITL when
ARDUPILOT_SITL is set) the headless sortie that ``dronepatrol fly`` runs is
given a mission 10 km out and back for a 3,300 mAh pack. The figures are the
vehicle's own (BATT_CAPACITY, WPNAV_SPEED, the charge it reports); an
independent ground station then finds the vehicle's mission and fence as they
were, and the vehicle still disarmed.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from dronepatrol import geo
from dronepatrol.mavlink.preflight import PATROL_SAFETY_PARAMS
from dronepatrol.mavlink.sortie import HeadlessSortie, SortieAborted
from dronepatrol.mission import Cmd, Mission, MissionItem
from dronepatrol.planning import load_profile
from dronepatrol.planning.flight import mission_cost

pytestmark = pytest.mark.timeout(240)

CAPACITY_MAH = 3300.0
PACK = {**PATROL_SAFETY_PARAMS, "BATT_CAPACITY": CAPACITY_MAH, "SIM_BATT_CAP_AH": 3.3}


def test_a_sortie_too_long_for_the_battery_is_refused_before_upload(launch_vehicle) -> None:
    backend = launch_vehicle(params=PACK)
    home = backend.home
    gcs = backend.gcs()  # SITL's port takes one ground station at a time: closed before fly
    missions_before = [m.seq for m in gcs.download(0) if m.seq > 0]  # item 0 is home
    fences_before = len(gcs.download(1))
    speed_mps = gcs.get_param("WPNAV_SPEED") / 100.0
    gcs.close()
    far = geo.offset(home.lat_deg, home.lon_deg, 10_000.0, 0.0)
    mission = Mission(
        items=(
            MissionItem(Cmd.NAV_WAYPOINT, lat_deg=far[0], lon_deg=far[1], alt_m=40.0),
            MissionItem(Cmd.NAV_RETURN_TO_LAUNCH),
        )
    )
    # what the sortie needs on this vehicle, derived as the controller must derive it:
    # its speed (WPNAV_SPEED) and its pack, consumption assumed from the profile
    profile = load_profile()
    flown_with = replace(profile, cruise_speed_mps=speed_mps)
    cost = mission_cost(mission, flown_with, (home.lat_deg, home.lon_deg), 20.0)
    need = cost.energy_frac * CAPACITY_MAH + 0.2 * CAPACITY_MAH
    assert need > CAPACITY_MAH  # the case under test: it cannot fit a full pack

    lines: list[str] = []
    sortie = HeadlessSortie(
        backend.url,
        mission,
        takeoff_alt_m=20.0,
        say=lines.append,
        link_options={"heartbeat_hz": 2 * backend.speedup},
        profile=profile,
    )
    with pytest.raises(SortieAborted) as refused:
        sortie.run()
    said = re.fullmatch(
        r"sortie refused before upload: sortie needs ([\d,]+) mAh with 20 % reserve; "
        r".+ has ([\d,]+) mAh",
        str(refused.value),
    )
    assert said is not None, str(refused.value)
    assert int(said[1].replace(",", "")) == round(need)
    assert 0.95 * CAPACITY_MAH <= int(said[2].replace(",", "")) <= CAPACITY_MAH  # a full pack
    assert not any("upload" in line for line in lines), lines
    # the vehicle is as it was: nothing uploaded, nothing armed
    gcs = backend.gcs()
    assert [m.seq for m in gcs.download(0) if m.seq > 0] == missions_before
    assert len(gcs.download(1)) == fences_before
    heartbeat = gcs.wait_heartbeat(timeout=30)
    assert not heartbeat.base_mode & 128  # MAV_MODE_FLAG_SAFETY_ARMED


def test_a_mission_whose_leg_enters_its_own_no_fly_zone_is_refused_before_upload(
    launch_vehicle,
) -> None:
    """A mission file whose fence excludes a substation between two of its waypoints: the
    vehicle would breach its own fence on that leg. Refused before upload, leg named."""
    backend = launch_vehicle(params=PACK)
    home = backend.home
    corners = [(200, -60), (200, 60), (320, 60), (320, -60)]
    zone = tuple(geo.offset(home.lat_deg, home.lon_deg, n, e) for n, e in corners)
    east, north = (
        geo.offset(home.lat_deg, home.lon_deg, 100.0, 60.0),
        geo.offset(home.lat_deg, home.lon_deg, 500.0, 0.0),
    )
    mission = Mission(
        items=(
            MissionItem(Cmd.NAV_WAYPOINT, lat_deg=east[0], lon_deg=east[1], alt_m=40.0),
            MissionItem(Cmd.NAV_WAYPOINT, lat_deg=north[0], lon_deg=north[1], alt_m=40.0),
            MissionItem(Cmd.NAV_RETURN_TO_LAUNCH),
        ),
        fence_exclusions=(zone,),
    )
    sortie = HeadlessSortie(
        backend.url,
        mission,
        takeoff_alt_m=20.0,
        say=lambda line: None,
        link_options={"heartbeat_hz": 2 * backend.speedup},
    )
    with pytest.raises(SortieAborted) as refused:
        sortie.run()
    assert str(refused.value) == (
        "sortie refused before upload: the leg from item 1 to item 2 enters the no-fly zone "
        "fence-exclusion-1; the leg from item 2 to home enters the no-fly zone "
        "fence-exclusion-1: re-plan it"
    )
    gcs = backend.gcs()
    assert [m.seq for m in gcs.download(0) if m.seq > 0] == []
    assert gcs.download(1) == []


def test_the_vehicles_learned_consumption_decides_not_the_profiles(
    launch_vehicle, tmp_path
) -> None:
    """A sortie that fits on the profile's figures is refused for a drone that has been
    seen to draw three times as much (its figures kept by the control app)."""
    backend = launch_vehicle(params=PACK)
    home = backend.home
    profile = load_profile()
    assumed_hover = CAPACITY_MAH / (profile.hover_endurance_s / 60)  # [mAh/min]
    store = tmp_path / "energy.json"
    store.write_text(
        json.dumps(
            {
                str(backend.sysid): {
                    "hover_mah_per_min": 3 * assumed_hover,
                    "cruise_mah_per_min": 3 * assumed_hover * profile.cruise_power_ratio,
                    "hover_samples": 40,
                    "cruise_samples": 40,
                }
            }
        )
    )
    out = geo.offset(home.lat_deg, home.lon_deg, 3000.0, 0.0)
    mission = Mission(
        items=(
            MissionItem(Cmd.NAV_WAYPOINT, lat_deg=out[0], lon_deg=out[1], alt_m=40.0),
            MissionItem(Cmd.NAV_RETURN_TO_LAUNCH),
        )
    )
    gcs = backend.gcs()
    flown_with = replace(profile, cruise_speed_mps=gcs.get_param("WPNAV_SPEED") / 100.0)
    gcs.close()
    frac = mission_cost(mission, flown_with, (home.lat_deg, home.lon_deg), 20.0).energy_frac
    assert frac * CAPACITY_MAH + 0.2 * CAPACITY_MAH < 0.95 * CAPACITY_MAH  # fits as assumed
    need = frac * profile.hover_endurance_s / 60 * 3 * assumed_hover + 0.2 * CAPACITY_MAH
    sortie = HeadlessSortie(
        backend.url,
        mission,
        takeoff_alt_m=20.0,
        say=lambda line: None,
        link_options={"heartbeat_hz": 2 * backend.speedup},
        profile=profile,
        energy_store=store,
    )
    with pytest.raises(SortieAborted, match=f"sortie needs {need:,.0f} mAh with 20 % reserve"):
        sortie.run()
    gcs = backend.gcs()
    assert [m.seq for m in gcs.download(0) if m.seq > 0] == []
