"""Telemetry messages of the simulated copter and ArduCopter's stream groups.

Nothing is streamed until a ground station asks, as on ArduCopter SITL: a
REQUEST_DATA_STREAM names a group (the STREAM_* lists in ArduCopter's
GCS_Mavlink.cpp) and a rate; SET_MESSAGE_INTERVAL names one message and an
interval; REQUEST_MESSAGE asks for one message once. :data:`BUILDERS` maps a
MAVLink message id to the function that builds it from the vehicle's state.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

if TYPE_CHECKING:
    from dronepatrol.sitl.copter import SimCopter

M = mavlink

# SYS_STATUS sensor bits ArduCopter SITL reports.
_SENSORS = (
    M.MAV_SYS_STATUS_SENSOR_3D_GYRO
    | M.MAV_SYS_STATUS_SENSOR_3D_ACCEL
    | M.MAV_SYS_STATUS_SENSOR_3D_MAG
    | M.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
    | M.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
    | M.MAV_SYS_STATUS_SENSOR_YAW_POSITION
    | M.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
    | M.MAV_SYS_STATUS_SENSOR_RC_RECEIVER
    | M.MAV_SYS_STATUS_AHRS
    | M.MAV_SYS_STATUS_SENSOR_BATTERY
    | M.MAV_SYS_STATUS_LOGGING
)
PREARM_BIT = M.MAV_SYS_STATUS_PREARM_CHECK  # 1 << 28

# EKF_STATUS_REPORT flags
EKF_ATTITUDE = 1
EKF_VEL_HORIZ = 2
EKF_VEL_VERT = 4
EKF_POS_HORIZ_REL = 8
EKF_POS_HORIZ_ABS = 16
EKF_POS_VERT_ABS = 32
EKF_CONST_POS_MODE = 128
EKF_PRED_POS_HORIZ_REL = 256
EKF_PRED_POS_HORIZ_ABS = 512


def _heartbeat(c: SimCopter) -> Any:
    # GCS_MAVLINK_Copter::base_mode / vehicle_system_status
    base = (
        M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
        | M.MAV_MODE_FLAG_STABILIZE_ENABLED
        | M.MAV_MODE_FLAG_MANUAL_INPUT_ENABLED
    )
    if c.position_control_active():
        base |= M.MAV_MODE_FLAG_GUIDED_ENABLED
    if c.armed:
        base |= M.MAV_MODE_FLAG_SAFETY_ARMED
    if c.failsafe_active():
        status = M.MAV_STATE_CRITICAL
    elif c.landed:
        status = M.MAV_STATE_STANDBY
    elif c.now < c.boot_done_s:
        status = M.MAV_STATE_BOOT
    else:
        status = M.MAV_STATE_ACTIVE
    return c.mav.heartbeat_encode(
        M.MAV_TYPE_QUADROTOR, M.MAV_AUTOPILOT_ARDUPILOTMEGA, base, int(c.mode), status
    )


def _sys_status(c: SimCopter) -> Any:
    present = _SENSORS | PREARM_BIT
    health = _SENSORS
    if c.gps_has_fix():
        present |= M.MAV_SYS_STATUS_SENSOR_GPS
        health |= M.MAV_SYS_STATUS_SENSOR_GPS
    # GEOFENCE: present and enabled with FENCE_ENABLE, healthy unless breached (AC_Fence)
    if c.params["FENCE_ENABLE"]:
        present |= M.MAV_SYS_STATUS_GEOFENCE
    if not c.fence_breaches:
        health |= M.MAV_SYS_STATUS_GEOFENCE
    if not c.ekf_healthy():
        health &= ~M.MAV_SYS_STATUS_AHRS
    if c.prearm_ok:
        health |= PREARM_BIT
    bat = c.battery
    return c.mav.sys_status_encode(
        present,
        present,
        health,
        120,
        round(bat.voltage_v * 1000),
        round(bat.current_a * 100),
        bat.remaining_pct(c.params["BATT_CAPACITY"]),
        0,
        0,
        0,
        0,
        0,
        0,
    )


def _global_position_int(c: SimCopter) -> Any:
    lat, lon = c.latlon()
    air = c.air
    return c.mav.global_position_int_encode(
        c.time_boot_ms(),
        round(lat * 1e7),
        round(lon * 1e7),
        round((c.origin_alt_m + air.up_m) * 1000),
        round((air.up_m - c.home_local.up) * 1000),
        round(air.vn * 100),
        round(air.ve * 100),
        round(-air.vu * 100),
        round(air.yaw_deg * 100),
    )


def _local_position_ned(c: SimCopter) -> Any:
    air = c.air
    return c.mav.local_position_ned_encode(
        c.time_boot_ms(), air.north_m, air.east_m, -air.up_m, air.vn, air.ve, -air.vu
    )


def _attitude(c: SimCopter) -> Any:
    air = c.air
    yaw = math.radians(air.yaw_deg)
    yaw = yaw - 2 * math.pi if yaw > math.pi else yaw
    return c.mav.attitude_encode(
        c.time_boot_ms(),
        air.roll_rad,
        air.pitch_rad,
        yaw,
        0.0,
        0.0,
        math.radians(air.yaw_rate_dps),
    )


def _vfr_hud(c: SimCopter) -> Any:
    air = c.air
    throttle = 0 if not c.armed else (12 if c.landed else 38)
    return c.mav.vfr_hud_encode(
        air.airspeed_mps,
        air.groundspeed_mps,
        round(air.yaw_deg) % 360,
        throttle,
        c.origin_alt_m + air.up_m,
        air.vu,
    )


def _gps_raw_int(c: SimCopter) -> Any:
    lat, lon = c.latlon()
    air = c.air
    fix = c.gps_fix_type()
    has = fix >= 3
    cog = round(math.degrees(math.atan2(air.ve, air.vn)) % 360 * 100) if has else 0
    return c.mav.gps_raw_int_encode(
        round(c.now * 1e6),
        fix,
        round(lat * 1e7) if has else 0,
        round(lon * 1e7) if has else 0,
        round((c.origin_alt_m + air.up_m) * 1000) if has else 0,
        121 if has else 9999,
        200 if has else 9999,
        round(air.groundspeed_mps * 100),
        cog,
        10 if has else 0,
        0,
        300,
        500,
        150,
        0,
        0,
    )


def _battery_status(c: SimCopter) -> Any:
    bat = c.battery
    cells = [round(bat.voltage_v * 1000)] + [65535] * 9
    return c.mav.battery_status_encode(
        0,
        M.MAV_BATTERY_FUNCTION_UNKNOWN,
        M.MAV_BATTERY_TYPE_UNKNOWN,
        32767,
        cells,
        round(bat.current_a * 100),
        round(bat.consumed_mah),
        round(bat.consumed_wh * 36),
        bat.remaining_pct(c.params["BATT_CAPACITY"]),
        0,
        M.MAV_BATTERY_CHARGE_STATE_LOW if c.battery_fs.level else M.MAV_BATTERY_CHARGE_STATE_OK,
    )


def _mission_current(c: SimCopter) -> Any:
    return c.mission_current_message()


def _extended_sys_state(c: SimCopter) -> Any:
    return c.mav.extended_sys_state_encode(M.MAV_VTOL_STATE_UNDEFINED, c.landed_state())


def _ekf_status_report(c: SimCopter) -> Any:
    return c.mav.ekf_status_report_encode(c.ekf_flags(), 0.02, 0.03, 0.01, 0.02, 0.0, 0.0)


def _home_position(c: SimCopter) -> Any | None:
    return c.home_position_message()


def _gps_global_origin(c: SimCopter) -> Any | None:
    if not c.origin_set:
        return None
    return c.mav.gps_global_origin_encode(
        round(c.origin_lat * 1e7),
        round(c.origin_lon * 1e7),
        round(c.origin_alt_m * 1000),
        round(c.now * 1e6),
    )


def _nav_controller_output(c: SimCopter) -> Any:
    dist, bearing = c.nav_distance_bearing()
    return c.mav.nav_controller_output_encode(
        math.degrees(c.air.roll_rad),
        math.degrees(c.air.pitch_rad),
        round(bearing),
        round(bearing),
        min(65535, round(dist)),
        0.0,
        0.0,
        0.0,
    )


def _system_time(c: SimCopter) -> Any:
    return c.mav.system_time_encode(round(c.wall_epoch_us()), c.time_boot_ms())


def _wind(c: SimCopter) -> Any:
    p = c.params
    return c.mav.wind_encode(p["SIM_WIND_DIR"], p["SIM_WIND_SPD"], 0.0)


def _power_status(c: SimCopter) -> Any:
    return c.mav.power_status_encode(5000, 0, 0)


def _meminfo(c: SimCopter) -> Any:
    return c.mav.meminfo_encode(65535, 65535, 65536)


def _fence_status(c: SimCopter) -> Any | None:
    if not c.params["FENCE_ENABLE"]:
        return None
    return c.mav.fence_status_encode(
        1 if c.fence_breaches else 0,
        c.fence_breach_count,
        c.fence_breach_type(),
        round(c.fence_breach_time * 1000),
        0,
    )


def _rc_channels(c: SimCopter) -> Any:
    # SITL's idle radio: sticks centred, throttle low, mode switch in position 6
    ch = [1500, 1500, c.throttle_pwm(), 1500, 1800, 1000, 1000, 1800] + [0] * 10
    return c.mav.rc_channels_encode(c.time_boot_ms(), 8, *ch, 255)


def _servo_output_raw(c: SimCopter) -> Any:
    pwm = 1000 if not c.armed else (1100 if c.landed else 1550)
    return c.mav.servo_output_raw_encode(
        round(c.now * 1e6) & 0xFFFFFFFF, 0, *([pwm] * 4), *([0] * 4)
    )


def _raw_imu(c: SimCopter) -> Any:
    return c.mav.raw_imu_encode(round(c.now * 1e6), 0, 0, -1000, 0, 0, 0, 200, 0, 400)


def _scaled_pressure(c: SimCopter) -> Any:
    press = 1013.25 * (1 - 2.25577e-5 * (c.origin_alt_m + c.air.up_m)) ** 5.25588
    return c.mav.scaled_pressure_encode(c.time_boot_ms(), press, 0.0, 2500)


def _ahrs(c: SimCopter) -> Any:
    return c.mav.ahrs_encode(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _position_target_global_int(c: SimCopter) -> Any | None:
    return c.position_target_message()


ARDUCOPTER_CAPABILITIES = 64495
"""AUTOPILOT_VERSION.capabilities of ArduCopter 4.7 SITL as recorded: GCS_MAVLINK::capabilities
and GCS_MAVLINK_Copter::capabilities (mission float/int, param float, COMMAND_INT, FTP,
attitude and local/global position targets, terrain, flight termination, compass
calibration, MAVLink 2, fence and rally missions)."""
SIM_CAPABILITIES = ARDUCOPTER_CAPABILITIES & ~M.MAV_PROTOCOL_CAPABILITY_FTP
"""What the simulator advertises: ArduCopter's set without MAVLink FTP, which it does not
serve (a client told FTP is there, e.g. MAVProxy, fetches parameters by FTP and would wait
on a server that never answers)."""
FLIGHT_SW_VERSION = (4 << 24) | (7 << 16) | (0 << 8) | 0
"""4.7.0, FIRMWARE_VERSION_TYPE_DEV (0), packed as send_autopilot_version does."""
FLIGHT_CUSTOM_VERSION = b"90700977"
"""The first 8 characters of the git hash (AP_FWVersion::fw_hash_str)."""


def _autopilot_version(c: SimCopter) -> Any:
    """GCS_MAVLINK::send_autopilot_version on SITL: no board, USB ids or UID (all zero)."""
    return c.mav.autopilot_version_encode(
        SIM_CAPABILITIES,
        FLIGHT_SW_VERSION,
        0,
        0,
        0,
        list(FLIGHT_CUSTOM_VERSION),
        [0] * 8,
        [0] * 8,
        0,
        0,
        0,
        [0] * 18,
    )


BUILDERS: dict[int, Callable[[SimCopter], Any]] = {
    M.MAVLINK_MSG_ID_HEARTBEAT: _heartbeat,
    M.MAVLINK_MSG_ID_SYS_STATUS: _sys_status,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: _global_position_int,
    M.MAVLINK_MSG_ID_LOCAL_POSITION_NED: _local_position_ned,
    M.MAVLINK_MSG_ID_ATTITUDE: _attitude,
    M.MAVLINK_MSG_ID_VFR_HUD: _vfr_hud,
    M.MAVLINK_MSG_ID_GPS_RAW_INT: _gps_raw_int,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: _battery_status,
    M.MAVLINK_MSG_ID_MISSION_CURRENT: _mission_current,
    M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: _extended_sys_state,
    M.MAVLINK_MSG_ID_EKF_STATUS_REPORT: _ekf_status_report,
    M.MAVLINK_MSG_ID_HOME_POSITION: _home_position,
    M.MAVLINK_MSG_ID_GPS_GLOBAL_ORIGIN: _gps_global_origin,
    M.MAVLINK_MSG_ID_NAV_CONTROLLER_OUTPUT: _nav_controller_output,
    M.MAVLINK_MSG_ID_SYSTEM_TIME: _system_time,
    M.MAVLINK_MSG_ID_WIND: _wind,
    M.MAVLINK_MSG_ID_POWER_STATUS: _power_status,
    M.MAVLINK_MSG_ID_MEMINFO: _meminfo,
    M.MAVLINK_MSG_ID_FENCE_STATUS: _fence_status,
    M.MAVLINK_MSG_ID_RC_CHANNELS: _rc_channels,
    M.MAVLINK_MSG_ID_SERVO_OUTPUT_RAW: _servo_output_raw,
    M.MAVLINK_MSG_ID_RAW_IMU: _raw_imu,
    M.MAVLINK_MSG_ID_SCALED_PRESSURE: _scaled_pressure,
    M.MAVLINK_MSG_ID_AHRS: _ahrs,
    M.MAVLINK_MSG_ID_POSITION_TARGET_GLOBAL_INT: _position_target_global_int,
    M.MAVLINK_MSG_ID_AUTOPILOT_VERSION: _autopilot_version,
}

# ArduCopter's STREAM_*_msgs (GCS_MAVLink_Copter.cpp); EXTENDED_SYS_STATE is in none of
# them: a ground station asks for it with SET_MESSAGE_INTERVAL or REQUEST_MESSAGE.
STREAM_GROUPS: dict[int, tuple[int, ...]] = {
    M.MAV_DATA_STREAM_RAW_SENSORS: (
        M.MAVLINK_MSG_ID_RAW_IMU,
        M.MAVLINK_MSG_ID_SCALED_PRESSURE,
    ),
    M.MAV_DATA_STREAM_EXTENDED_STATUS: (
        M.MAVLINK_MSG_ID_SYS_STATUS,
        M.MAVLINK_MSG_ID_POWER_STATUS,
        M.MAVLINK_MSG_ID_MEMINFO,
        M.MAVLINK_MSG_ID_MISSION_CURRENT,
        M.MAVLINK_MSG_ID_GPS_RAW_INT,
        M.MAVLINK_MSG_ID_NAV_CONTROLLER_OUTPUT,
        M.MAVLINK_MSG_ID_FENCE_STATUS,
        M.MAVLINK_MSG_ID_POSITION_TARGET_GLOBAL_INT,
    ),
    M.MAV_DATA_STREAM_RC_CHANNELS: (
        M.MAVLINK_MSG_ID_SERVO_OUTPUT_RAW,
        M.MAVLINK_MSG_ID_RC_CHANNELS,
    ),
    M.MAV_DATA_STREAM_POSITION: (
        M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT,
        M.MAVLINK_MSG_ID_LOCAL_POSITION_NED,
    ),
    M.MAV_DATA_STREAM_EXTRA1: (M.MAVLINK_MSG_ID_ATTITUDE,),
    M.MAV_DATA_STREAM_EXTRA2: (M.MAVLINK_MSG_ID_VFR_HUD,),
    M.MAV_DATA_STREAM_EXTRA3: (
        M.MAVLINK_MSG_ID_AHRS,
        M.MAVLINK_MSG_ID_SYSTEM_TIME,
        M.MAVLINK_MSG_ID_WIND,
        M.MAVLINK_MSG_ID_BATTERY_STATUS,
        M.MAVLINK_MSG_ID_EKF_STATUS_REPORT,
    ),
}
STREAM_GROUPS[M.MAV_DATA_STREAM_ALL] = tuple(
    msg for group in STREAM_GROUPS.values() for msg in group
)
