"""What the link does when it first hears a vehicle, and again when it comes back.

ArduCopter streams almost nothing until asked, so the link asks for the
telemetry the controller needs with SET_MESSAGE_INTERVAL (falling back to
REQUEST_DATA_STREAM when refused), requests HOME_POSITION, and reads the
parameters the preflight checks and flight operations rely on.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.mavlink.jobs import CommandJob, CommandSpec, Job, ParamJob

if TYPE_CHECKING:
    from dronepatrol.mavlink.session import VehicleSession

log = logging.getLogger(__name__)

STREAMS_HZ: dict[str, float] = {
    "SYS_STATUS": 2,
    "GLOBAL_POSITION_INT": 5,
    "ATTITUDE": 4,
    "VFR_HUD": 2,
    "GPS_RAW_INT": 2,
    "BATTERY_STATUS": 1,
    "MISSION_CURRENT": 2,
    "EXTENDED_SYS_STATE": 2,
    "EKF_STATUS_REPORT": 1,
    "NAV_CONTROLLER_OUTPUT": 2,
    "HOME_POSITION": 0.5,
    "WIND": 1,
}
"""Telemetry the controller asks for on connect [Hz] (ArduCopter streams almost nothing unasked)."""

DATA_STREAMS_HZ = {
    mavlink.MAV_DATA_STREAM_EXTENDED_STATUS: 2,
    mavlink.MAV_DATA_STREAM_RAW_SENSORS: 2,
    mavlink.MAV_DATA_STREAM_RC_CHANNELS: 2,
    mavlink.MAV_DATA_STREAM_POSITION: 5,
    mavlink.MAV_DATA_STREAM_EXTRA1: 4,
    mavlink.MAV_DATA_STREAM_EXTRA2: 2,
    mavlink.MAV_DATA_STREAM_EXTRA3: 2,
}
"""Fallback REQUEST_DATA_STREAM groups [Hz], for autopilots that refuse SET_MESSAGE_INTERVAL."""

NEEDED_PARAMS = (
    "RTL_ALT",
    "FS_GCS_ENABLE",
    "BATT_FS_LOW_ACT",
    "BATT_FS_CRT_ACT",
    "BATT_LOW_VOLT",
    "BATT_CAPACITY",
    "FENCE_ENABLE",
    "FENCE_ACTION",
    "FENCE_ALT_MAX",
    "WPNAV_SPEED",
    "DISARM_DELAY",
    # the energy watch's return-home prediction (speed home, landing) and the
    # battery failsafe's mAh trigger; last, so an autopilot without one delays no other
    "BATT_LOW_MAH",
    "RTL_SPEED",
    "WPNAV_SPEED_DN",
    "WPNAV_ACCEL",
    "LAND_SPEED",
    "RTL_LOIT_TIME",
)
"""Parameters the controller's preflight checks and flight operations rely on."""


def bring_up(session: VehicleSession, restored: bool) -> None:
    """Ask for telemetry (SET_MESSAGE_INTERVAL, else REQUEST_DATA_STREAM) and home;
    read the parameters the controller relies on.

    These run in lanes of their own, so that an operator's command (an RTL
    after a link came back) never waits behind them. The link calls it when
    its ``request_streams`` is on.
    """
    if session.lanes.get("setup") or session.lanes.get("setup-param"):
        return  # still busy with the previous bring-up
    now = time.monotonic()
    jobs: list[Job] = []
    for name, hz in STREAMS_HZ.items():
        msg_id = getattr(mavlink, f"MAVLINK_MSG_ID_{name}")
        spec = CommandSpec(mavlink.MAV_CMD_SET_MESSAGE_INTERVAL, (msg_id, 1e6 / hz, 0, 0, 0, 0, 0))
        jobs.append(CommandJob(spec, source="link", ack_timeout_s=1.0, retries=2))
    jobs[0].future.add_done_callback(lambda fut: _streams_answered(session, fut))
    home = CommandSpec(
        mavlink.MAV_CMD_REQUEST_MESSAGE, (mavlink.MAVLINK_MSG_ID_HOME_POSITION, 0, 0, 0, 0, 0, 0)
    )
    jobs.append(CommandJob(home, source="link", ack_timeout_s=1.0, retries=2))
    for job in jobs:
        job.lane = "setup"
    if not restored or len(session.tracker.params) < len(NEEDED_PARAMS):
        for name in NEEDED_PARAMS:
            if name not in session.tracker.params:
                job = ParamJob(name)
                job.lane = "setup-param"
                jobs.append(job)
    for job in jobs:
        job.future.add_done_callback(_swallow)
        session.add(job, now)


def _streams_answered(session: VehicleSession, fut: Future) -> None:
    if fut.exception() is None:
        return
    log.info(
        "vehicle %s refused SET_MESSAGE_INTERVAL (%s); using REQUEST_DATA_STREAM",
        session.sysid,
        fut.exception(),
    )
    for stream, hz in DATA_STREAMS_HZ.items():
        session.send(
            mavlink.MAVLink_request_data_stream_message(
                session.sysid, session.compid, stream, int(hz), 1
            )
        )


def _swallow(fut: Future) -> None:
    """Mark a background job's failure as seen (it was reported as an event already)."""
    fut.exception()
