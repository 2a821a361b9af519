"""Arming, disarming, user takeoff and auto-disarm of the simulated copter (AP_Arming_Copter).

Refusals are announced as ArduCopter does: "Arm: <reason>" for an arming
request (the periodic pre-arm report says "PreArm: <reason>"), with the
mandatory position checks run even for a forced arm (param2 = 2989).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dronepatrol.sitl import flight
from dronepatrol.sitl.flight import Point
from dronepatrol.sitl.safety import FENCE_CIRCLE, FENCE_POLYGON, fence_names
from pymavlink.dialects.v20 import ardupilotmega as mavlink

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
        fence_needs_position = bool(
            self.params["FENCE_ENABLE"]
            and int(self.params["FENCE_TYPE"]) & (FENCE_CIRCLE | FENCE_POLYGON)
        )
        if mode_needs_position and not self.position_ok():
            reasons.append("Need Position Estimate")
        elif fence_needs_position and not self.position_ok():
            reasons.append("Fence enabled, need position estimate")
        if forced or not self.params["ARMING_CHECK"]:
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
        if self.params["FENCE_ENABLE"] and self.fence_breaches:
            reasons.append(f"Vehicle breaching {fence_names(self.fence_breaches)}")
        return reasons

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
