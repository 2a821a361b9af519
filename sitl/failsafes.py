"""The simulated copter's 10 Hz checks: GCS, EKF, battery and fence failsafes, pre-arm display.

As ArduCopter's failsafe.cpp, ekf_check.cpp, AP_BattMonitor and fence.cpp:
each failsafe announces itself ("GCS Failsafe", "Battery Failsafe",
"EKF variance", "Polygon fence breached") and takes the action its parameter
selects (FS_GCS_ENABLE, BATT_FS_LOW_ACT / BATT_FS_CRT_ACT, FS_EKF_ACTION,
FENCE_ACTION), disarming instead when the copter is on the ground.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dronepatrol.sitl.flight import POSITION_MODES
from dronepatrol.sitl.safety import fence_names
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.state import CopterMode

if TYPE_CHECKING:
    from dronepatrol.sitl.copter import SimCopter

M = mavlink
SEV_CRITICAL = 2
SEV_WARNING = 4
SEV_NOTICE = 5
SEV_INFO = 6
ACCEPTED = M.MAV_RESULT_ACCEPTED
TEMPORARILY_REJECTED = M.MAV_RESULT_TEMPORARILY_REJECTED
DENIED = M.MAV_RESULT_DENIED
UNSUPPORTED = M.MAV_RESULT_UNSUPPORTED
FAILED = M.MAV_RESULT_FAILED

# FS_GCS_ENABLE values to failsafe actions (Copter::failsafe_gcs_on_event)
_GCS_ACTIONS = {
    1: "rtl",
    2: "rtl",
    3: "smartrtl_rtl",
    4: "smartrtl_land",
    5: "land",
    6: "auto_rtl",
    7: "brake_land",
}
# BATT_FS_*_ACT values (Copter FailsafeAction)
_BATT_ACTIONS = {
    0: "none",
    1: "land",
    2: "rtl",
    3: "smartrtl_rtl",
    4: "smartrtl_land",
    5: "terminate",
    6: "auto_rtl",
    7: "brake_land",
}
# FS_OPTIONS bits (Copter::FailsafeOption)
FS_OPT_GCS_CONTINUE_IF_AUTO = 1 << 1
FS_OPT_CONTINUE_IF_LANDING = 1 << 3
FS_OPT_GCS_CONTINUE_IF_PILOT_CONTROL = 1 << 4
AUTOPILOT_MODES = frozenset(
    {CopterMode.AUTO, CopterMode.GUIDED, CopterMode.RTL, CopterMode.SMART_RTL, CopterMode.LAND}
)
"""Modes whose Mode::is_autopilot() is true: no pilot to hand control back to."""

PREARM_DISPLAY_PERIOD_S = 30.0
"""Failing pre-arm checks are announced this often while disarmed [s]."""
FENCE_GIVE_UP_DISTANCE_M = 100.0
"""More than this far outside the fence the copter lands instead of returning (AC_Fence)."""


class FailsafeMixin:
    """Periodic checks of :class:`~dronepatrol.sitl.handlers.Handlers`."""

    c: SimCopter
    _ekf_bad_since: float | None

    def slow_checks(self) -> None:
        c = self.c
        self._gcs_failsafe()
        self._ekf_failsafe()
        self._battery_failsafe()
        self._fence()
        c.auto_disarm_check()
        self._prearm()

    def _gcs_failsafe(self) -> None:
        c = self.c
        enable = int(c.params["FS_GCS_ENABLE"])
        if enable == 0 or c.gcs_last_seen is None:
            return
        silent = c.now - c.gcs_last_seen
        timeout = c.params["FS_GCS_TIMEOUT"]
        if silent < timeout and c.failsafe_gcs:
            c.failsafe_gcs = False
            c.text(SEV_WARNING, "GCS Failsafe Cleared")
        elif silent > timeout and not c.failsafe_gcs:
            c.failsafe_gcs = True
            action = _GCS_ACTIONS.get(enable, "rtl")
            options = int(c.params["FS_OPTIONS"])
            if not c.armed:
                action = "none"
                c.text(SEV_WARNING, "GCS Failsafe")
            elif c.should_disarm_on_failsafe():
                c.disarm(reason="failsafe")
                action = "none"
                c.text(SEV_WARNING, "GCS Failsafe - Disarming")
            elif c.is_landing() and options & FS_OPT_CONTINUE_IF_LANDING:
                c.text(SEV_WARNING, "GCS Failsafe - Continuing Landing")
                action = "land"
            elif c.mode == CopterMode.AUTO and options & FS_OPT_GCS_CONTINUE_IF_AUTO:
                c.text(SEV_WARNING, "GCS Failsafe - Continuing Auto Mode")
                action = "none"
            elif options & FS_OPT_GCS_CONTINUE_IF_PILOT_CONTROL and c.mode not in AUTOPILOT_MODES:
                c.text(SEV_WARNING, "GCS Failsafe - Continuing Pilot Control")
                action = "none"
            else:
                c.text(SEV_WARNING, "GCS Failsafe")
            c.do_failsafe_action(action, "gcs_failsafe")

    def _ekf_failsafe(self) -> None:
        """ekf_check: a lost position estimate for 1 s triggers FS_EKF_ACTION."""
        c = self.c
        bad = c.origin_set and not c.position_ok()
        if not bad:
            self._ekf_bad_since = None
            if c.failsafe_ekf:
                c.failsafe_ekf = False
                c.text(SEV_CRITICAL, "EKF variance cleared")
            return
        if self._ekf_bad_since is None:
            self._ekf_bad_since = c.now
        if c.failsafe_ekf or c.now - self._ekf_bad_since < 1.0:
            return
        c.failsafe_ekf = True
        c.text(SEV_CRITICAL, "EKF variance")
        if not c.armed or c.landed:
            return
        action = int(c.params["FS_EKF_ACTION"])
        needs_gps = c.mode in POSITION_MODES
        if not needs_gps and action != 3:
            return
        if action == 2 and c.set_mode(CopterMode.ALT_HOLD):
            return
        if action in (1, 2, 3):
            c.land_with_pause("ekf_failsafe")

    def _battery_failsafe(self) -> None:
        c = self.c
        hit = c.battery_fs.check(c.now, c.battery.voltage_v, c.battery.consumed_mah, c.params)
        if hit is None:
            return
        level, name = hit
        c.text(
            SEV_WARNING,
            f"Battery 1 is {name} {c.battery.voltage_v:.2f}V used {c.battery.consumed_mah:.0f} mAh",
        )
        param = "BATT_FS_CRT_ACT" if level == 2 else "BATT_FS_LOW_ACT"
        action = _BATT_ACTIONS.get(int(c.params[param]), "none")
        if c.should_disarm_on_failsafe() and c.armed:
            c.disarm(reason="failsafe")
            c.text(SEV_WARNING, "Battery Failsafe - Disarming")
            return
        landing_ok = int(c.params["FS_OPTIONS"]) & FS_OPT_CONTINUE_IF_LANDING
        if c.is_landing() and landing_ok and action != "none":
            c.text(SEV_WARNING, "Battery Failsafe - Continuing Landing")
            action = "land"
            if c.armed:
                c.do_failsafe_action(action, "battery_failsafe")
            return
        c.text(SEV_WARNING, "Battery Failsafe")
        if c.armed:
            c.do_failsafe_action(action, "battery_failsafe")

    def _fence(self) -> None:
        """Copter::fence_check: announce a new breach, then disarm, land or RTL."""
        c = self.c
        new = c.fence_check()
        if not new or not c.armed:
            return
        if not c.landed:
            c.text(SEV_NOTICE, f"{fence_names(new)} breached")
        action = int(c.params["FENCE_ACTION"])
        if action == 0:  # report only
            return
        if c.landed:
            c.disarm(reason="fence")
            return
        if c.fence_breach_distance(new) > FENCE_GIVE_UP_DISTANCE_M:
            c.set_mode(CopterMode.LAND)
            return
        if action == 2:
            c.set_mode(CopterMode.LAND)
        elif action == 3:
            if not c.set_mode(CopterMode.SMART_RTL) and not c.set_mode(CopterMode.RTL):
                c.set_mode(CopterMode.LAND)
        elif action == 4:
            if not c.set_mode(CopterMode.BRAKE):
                c.set_mode(CopterMode.LAND)
        elif action == 5:
            if not c.set_mode(CopterMode.SMART_RTL):
                c.set_mode(CopterMode.LAND)
        elif not c.set_mode(CopterMode.RTL):
            c.set_mode(CopterMode.LAND)

    def _prearm(self) -> None:
        c = self.c
        if c.armed:
            c.prearm_ok = True
            return
        if c.now < c._prearm_next_check:
            return
        c._prearm_next_check = c.now + 1.0
        reasons = c.arming_failures(forced=False)
        c.prearm_ok = not reasons
        if reasons and c.now >= c._prearm_next_display and c.now > 5.0:
            # AP_Arming reports every failing check every PREARM_DISPLAY_PERIOD seconds
            c._prearm_next_display = c.now + PREARM_DISPLAY_PERIOD_S
            for reason in reasons:
                c.text(SEV_CRITICAL, f"PreArm: {reason}")
