"""GPS and EKF of the simulated copter: start-up timeline, health flags and GPS loss.

Start-up as SITL shows it: EKF attitude first, a 3D GPS fix after ~10 s,
then the EKF origin ("EKF3 IMU0 origin set", "is using GPS"), home and
GPS_GLOBAL_ORIGIN after ~40 s of simulated time. SIM_GPS_DISABLE (or
SIM_GPS1_ENABLE 0) drops the fix; the EKF dead-reckons for 10 s, then loses
its absolute position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.sitl import telemetry
from dronepatrol.sitl.flight import Point

if TYPE_CHECKING:
    pass

M = mavlink
SEV_CRITICAL = 2
SEV_WARNING = 4
SEV_NOTICE = 5
SEV_INFO = 6


class EstimatorMixin:
    """GPS/EKF state of :class:`~dronepatrol.sitl.copter.SimCopter`."""

    def gps_enabled(self) -> bool:
        return not self.params["SIM_GPS_DISABLE"]

    def gps_has_fix(self) -> bool:
        return self.gps_enabled() and self.now >= self.startup.gps_fix_s

    def gps_fix_type(self) -> int:
        if self.now < 0.5:
            return M.GPS_FIX_TYPE_NO_GPS
        return M.GPS_FIX_TYPE_3D_FIX if self.gps_has_fix() else M.GPS_FIX_TYPE_NO_FIX

    def ekf_attitude_ok(self) -> bool:
        return self.now >= self.startup.ekf_attitude_s

    def position_ok(self) -> bool:
        """EKF has an absolute position: origin set and GPS not lost for over 10 s."""
        if not self.origin_set:
            return False
        return self._gps_lost_at is None or self.now - self._gps_lost_at < 10.0

    def ekf_healthy(self) -> bool:
        return self.ekf_attitude_ok()

    def ekf_flags(self) -> int:
        if not self.ekf_attitude_ok():
            return 1024  # EKF_UNINITIALIZED
        flags = telemetry.EKF_ATTITUDE | telemetry.EKF_VEL_VERT | telemetry.EKF_POS_VERT_ABS
        if self.position_ok():
            flags |= (
                telemetry.EKF_VEL_HORIZ
                | telemetry.EKF_POS_HORIZ_REL
                | telemetry.EKF_POS_HORIZ_ABS
                | telemetry.EKF_PRED_POS_HORIZ_REL
                | telemetry.EKF_PRED_POS_HORIZ_ABS
            )
        else:
            flags |= telemetry.EKF_CONST_POS_MODE
        return flags

    def _update_estimator(self) -> None:
        st = self.startup
        if self._ekf_announced == 0 and self.now >= 0.1:
            self._ekf_announced = 1
            self.send_banner()
        if self._ekf_announced == 1 and self.ekf_attitude_ok():
            self._ekf_announced = 2
            self.text(SEV_INFO, "EKF3 IMU0 initialised")
            self.text(SEV_INFO, "EKF3 IMU0 tilt alignment complete")
            self.text(SEV_INFO, "EKF3 IMU0 MAG0 initial yaw alignment complete")
        if self._ekf_announced == 2 and self.now >= 0.5 and self.gps_enabled():
            self._ekf_announced = 3
            self.text(SEV_INFO, "GPS 1: detected u-blox")
        if not self.origin_set and self.gps_has_fix() and self.now >= st.ekf_gps_s:
            self.origin_set = True
            self.text(SEV_INFO, "EKF3 IMU0 origin set")
            self.text(SEV_INFO, "EKF3 IMU0 is using GPS")
            self._set_home_here()
            self.emit(telemetry.BUILDERS[M.MAVLINK_MSG_ID_GPS_GLOBAL_ORIGIN](self))
        # GPS loss and recovery once running
        if self.origin_set:
            if not self.gps_enabled() and self._gps_lost_at is None:
                self._gps_lost_at = self.now
                self.text(SEV_WARNING, "GPS 1: not healthy")
            elif self.gps_enabled() and self._gps_lost_at is not None:
                was_bad = not self.position_ok()
                self._gps_lost_at = None
                if was_bad:
                    self.text(SEV_INFO, "EKF3 IMU0 is using GPS")

    def send_banner(self) -> None:
        """Firmware version and frame, as GCS_MAVLINK_Copter::send_banner."""
        self.text(SEV_INFO, "ArduCopter V4.7.0-dev (90700977)")  # AP_FWVersion::fw_string
        # (SITL's next line, a system id hashed from the host, has no counterpart here)
        frame = {0: "PLUS", 1: "X"}.get(int(self.params["FRAME_TYPE"]), "X")
        self.text(SEV_INFO, f"Frame: QUAD/{frame}")

    def _set_home_here(self) -> None:
        air = self.air
        self.home_local = Point(air.north_m, air.east_m, air.up_m if self.landed else 0.0)
        self.home_set = True
        self.emit(self.home_position_message())
