"""The simulated pilot's sticks: SITL's idle radio and RC overrides, for the pilot modes.

SITL's radio idles with sticks centred and throttle low, so in STABILIZE,
ALT_HOLD, LOITER and POSHOLD a flying copter descends unless a ground station
moves the throttle with RC_CHANNELS_OVERRIDE or MANUAL_CONTROL (each
override lasts RC_OVERRIDE_TIME seconds). Climb rates follow
get_pilot_desired_climb_rate: nothing inside THR_DZ around mid stick, up to
PILOT_SPEED_UP / PILOT_SPEED_DN at the ends [m/s].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.sitl import flight
from dronepatrol.sitl.avoid import adjust_velocity
from dronepatrol.sitl.flight import Point
from dronepatrol.sitl.physics import Target

if TYPE_CHECKING:
    pass

M = mavlink
SEV_CRITICAL = 2
SEV_WARNING = 4
SEV_NOTICE = 5
SEV_INFO = 6


class PilotMixin:
    """Stick handling of :class:`~dronepatrol.sitl.copter.SimCopter`."""

    def throttle_pwm(self) -> int:
        """Throttle stick [PWM]: a live RC override, else SITL's idle radio (1000)."""
        value = self.rc_override.get(3)
        timeout = self.params["RC_OVERRIDE_TIME"]
        if value is not None and (timeout < 0 or self.now - value[1] <= timeout):
            return value[0]
        return 1000

    def pilot_climb_mps(self) -> float:
        """get_pilot_desired_climb_rate: stick outside THR_DZ around mid climbs or descends."""
        p = self.params
        ctrl = max(0, min(1000, self.throttle_pwm() - 1000))
        dz = p["THR_DZ"]
        speed_up = p["PILOT_SPEED_UP"] / 100.0
        speed_dn = (p["PILOT_SPEED_DN"] or p["PILOT_SPEED_UP"]) / 100.0
        if ctrl < 500 - dz:
            return -speed_dn * (500 - dz - ctrl) / (500 - dz)
        if ctrl > 500 + dz:
            return speed_up * (ctrl - 500 - dz) / (500 - dz)
        return 0.0

    def pilot_target(self) -> Target:
        """STABILIZE/ALT_HOLD/LOITER/POSHOLD: centred sticks hold position, throttle sets climb."""
        air = self.air
        if self.hold_point is None:
            self.hold_point = self.stopping_point()
        hp = self.hold_point
        if self.user_takeoff_up is not None:
            if air.up_m < self.user_takeoff_up - flight.TAKEOFF_DONE_M:
                return Target(north_m=hp.north, east_m=hp.east, up_m=self.user_takeoff_up)
            self.user_takeoff_up = None
            self.hold_point = hp = Point(hp.north, hp.east, air.up_m)
        climb = self.pilot_climb_mps()
        if climb > 0.0:  # get_avoidance_adjusted_climbrate: AC_Avoid stops below the fence
            climb = adjust_velocity(self, 0.0, 0.0, climb)[2]
        if climb == 0.0:
            return Target(north_m=hp.north, east_m=hp.east, up_m=hp.up, yaw_deg=self.yaw_hold_deg)
        self.hold_point = Point(hp.north, hp.east, air.up_m)
        return Target(north_m=hp.north, east_m=hp.east, vel_u_mps=climb, yaw_deg=self.yaw_hold_deg)
