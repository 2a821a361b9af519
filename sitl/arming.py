"""Arming, disarming, user takeoff and auto-disarm of the simulated copter (AP_Arming_Copter).

Refusals are announced as ArduCopter does: "Arm: <reason>" for an arming
request (the periodic pre-arm report says "PreArm: <reason>"), with the
mandatory position checks run even for a forced arm (param2 = 2989).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.sitl import flight
from dronepatrol.sitl.flight import Point
from dronepatrol.sitl.safety import FENCE_CIRCLE, FENCE_POLYGON, fence_names
from dronepatrol.state import CopterMode

if TYPE_CHECKING:
    pass

M = mavlink
SEV_CRITICAL = 2
SEV_WARNING = 4
SEV_NOTICE = 5
SEV_INFO = 6


class ArmingMixin:
    """Arming logic of :class:`~dronepatrol.sitl.copter.SimCopter`."""

    def should_disarm_on_failsafe(self) -> bool:
        if self.armed and self.now - self.arm_time < 2.0 and self.landed:
            return True  # in_arming_delay
        if self.mode == CopterMode.AUTO:
            return not self.auto_armed and self.landed
        return self.landed

    def arming_failures(self, forced: bool) -> list[str]:
        """Reasons arming is refused, in ArduCopter's words (without the prefix)."""
        reasons: list[str] = []
        mode_needs_position = self.mode in flight.POSITION_MODES
        if not self.ekf_attitude_ok():
            return ["AHRS: EKF3 not started"]
        # AP_Arming_Copter: a circle or polygon fence in force needs GPS (get_enabled_fences)
        fence_needs_position = bool(self.enabled_fences() & (FENCE_CIRCLE | FENCE_POLYGON))
        if mode_needs_position and not self.position_ok():
            reasons.append("Need Position Estimate")
        elif fence_needs_position and not self.position_ok():
            reasons.append("Fence enabled, need position estimate")
        if forced:
            return reasons
        # AP_Arming::fence_checks runs whatever ARMING_CHECK says
        fence = self.fence_prearm_failure()
        if fence is not None:
            reasons.append(fence)
        if not self.params["ARMING_CHECK"]:
            return reasons
        if self.failsafe_gcs:
            reasons.append("GCS failsafe on")
        if self.battery_fs.level:
            reasons.append("Battery failsafe")
        arm_volt = self.params["BATT_ARM_VOLT"]
        if arm_volt > 0 and self.battery.voltage_v < arm_volt:
            reasons.append(f"Battery 1 below minimum arming voltage {arm_volt:.2f}V")
        if mode_needs_position and self.gps_enabled() and not self.gps_has_fix():
            reasons.append("GPS 1: Bad fix")
        return reasons

    def fence_prearm_failure(self) -> str | None:
        """AC_Fence::pre_arm_check, in its words (None: the fence lets the vehicle arm)."""
        p = self.params
        types = int(p["FENCE_TYPE"]) & 15
        if not p["FENCE_ENABLE"]:
            return None
        if not self.present_fences():
            return "Fences enabled, but none selected"  # e.g. polygon only, none uploaded
        margin = p["FENCE_MARGIN"]
        if types & (FENCE_CIRCLE | FENCE_POLYGON) and not self.position_ok():
            return "Fence requires position"
        if types & FENCE_POLYGON:
            circles = [z for z in self.fence_zones if z.inclusion and z.polygon is None]
            if any(z.radius_m < margin for z in circles):
                return "Polygon fence margin is greater than inclusion circle radius"
        # pre_arm_check_circle and pre_arm_check_alt look at the values whatever FENCE_TYPE
        if p["FENCE_RADIUS"] < 0:
            return "Invalid Circle FENCE_RADIUS value"
        if p["FENCE_RADIUS"] < margin:
            return "Circle FENCE_MARGIN is greater than FENCE_RADIUS"
        if p["FENCE_ALT_MAX"] < 0:
            return "Invalid FENCE_ALT_MAX value"
        if p["FENCE_ALT_MIN"] < -100:
            return "Invalid FENCE_ALT_MIN value"
        if self.fence_breaches:
            return f"Vehicle breaching {fence_names(self.fence_breaches)}"
        if margin < 0:
            return "Invalid FENCE_MARGIN value"
        if p["FENCE_ALT_MAX"] < p["FENCE_ALT_MIN"]:
            return "FENCE_ALT_MAX < FENCE_ALT_MIN"
        if p["FENCE_ALT_MAX"] - p["FENCE_ALT_MIN"] <= 2 * margin:
            return "FENCE_MARGIN too big"
        return None

    def arm(self, forced: bool = False) -> bool:
        """AP_Arming::arm from the GCS; announces failures as "Arm: ..."."""
        if self.armed:
            return True
        reasons = self.arming_failures(forced)
        self.prearm_ok = not reasons  # an arming attempt refreshes the pre-arm state
        if not reasons:
            allows = self.mode not in flight.NOT_ARMABLE
            if self.mode == CopterMode.AUTO:
                allows = bool(int(self.params["AUTO_OPTIONS"]) & 1)
            if not allows:
                reasons.append(f"{flight.MODE_NAMES[self.mode]} mode not armable")
        if reasons:
            for reason in reasons:
                self.text(SEV_CRITICAL, f"Arm: {reason}")
            return False
        self.text(SEV_INFO, "Arming motors")
        self.armed = True
        self.arm_time = self.now
        self.breadcrumbs = []
        self.disarm_timer_start = self.now
        self.auto_armed = False
        if self.home_set and self.landed:
            self._set_home_here()
        if self.mode == CopterMode.AUTO and self.runner.started is False:
            self.runner.reset()
        return True

    def disarm(self, force: bool = False, reason: str = "gcs") -> bool:
        if not self.armed:
            return True
        if reason == "gcs" and not force and not self.landed:
            return False
        self.text(SEV_INFO, "Disarming motors")
        self.armed = False
        self.disarm_time = self.now
        self.auto_armed = False
        self.runner.reset()
        if not self.landed:
            # forced disarm in the air: the vehicle falls; the simulation puts it down
            self.landed = True
            self.air.hold_on_ground()
            self.ground_up_m = 0.0
        return True

    def takeoff(self, alt_rel_m: float) -> bool:
        """Mode::do_user_takeoff: armed, landed, a takeoff-capable mode, above current height."""
        if not self.armed or not self.landed:
            return False
        if self.mode not in (
            CopterMode.GUIDED,
            CopterMode.LOITER,
            CopterMode.ALT_HOLD,
            CopterMode.POSHOLD,
        ):
            return False
        target_up = self.home_local.up + alt_rel_m
        if target_up <= self.air.up_m:
            return False
        if self.mode == CopterMode.GUIDED:
            self.guided.takeoff(target_up)
        else:
            air = self.air
            self.hold_point = Point(air.north_m, air.east_m, air.up_m)
            self.user_takeoff_up = target_up
        self.auto_armed = True
        self._liftoff()
        return True

    def _liftoff(self) -> None:
        self.landed = False
        self.landed_since = None

    def auto_disarm_check(self) -> None:
        """Disarm after DISARM_DELAY seconds armed on the ground."""
        delay = self.params["DISARM_DELAY"]
        if not self.armed or delay <= 0:
            self.disarm_timer_start = None
            return
        if not self.landed:
            self.disarm_timer_start = None
            return
        if self.is_landing_mode_for_disarm() and self.now - self.arm_time > 2.0:
            self.disarm(reason="landed")  # LAND/RTL on the ground disarm at once
            return
        if self.disarm_timer_start is None:
            self.disarm_timer_start = self.now
        if self.now - self.disarm_timer_start >= delay:
            self.disarm(reason="auto")
