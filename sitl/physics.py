"""Kinematic multicopter, wind and battery for the simulated ArduCopter.

The model is what a position-controlled copter looks like from a ground
station: it moves toward a target with the speed and acceleration limits
the WPNAV_* parameters give, climbs and descends at their rates, turns at a
limited yaw rate, is pushed a little by wind it mostly rejects, and draws
current by flight phase from SITL's battery model (:class:`Battery`).
Positions are metres north/east/up of the vehicle's EKF origin (its home).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

GRAVITY_MSS = 9.80665

HOVER_CURRENT_A = 28.0
"""Current at hover on SITL's default quad frame [A]."""
IDLE_CURRENT_A = 3.0
"""Armed on the ground, motors at spin-arm [A]."""
AVIONICS_CURRENT_A = 0.0
"""Disarmed: SITL's current is the motors' alone, so nothing is drawn [A]."""
PACK_RESISTANCE_OHM = 0.01
"""Internal resistance of SITL's frame model (Frame::Model refBatRes) [ohm]."""
PACK_MAX_VOLTAGE_V = 4.2 * 3
"""Full pack voltage of SITL's frame model (maxVoltage, 3S) [V]."""
VOLTAGE_FILTER_HZ = 10.0
"""SIM_Battery's low-pass filter on the pack voltage [Hz]."""

# SIM_Battery.cpp soc_table: resting volts per cell against state of charge [%]
SOC_TABLE: tuple[tuple[float, float], ...] = (
    (4.173, 100),
    (4.112, 96.15),
    (4.085, 92.31),
    (4.071, 88.46),
    (4.039, 84.62),
    (3.987, 80.77),
    (3.943, 76.92),
    (3.908, 73.08),
    (3.887, 69.23),
    (3.854, 65.38),
    (3.833, 61.54),
    (3.801, 57.69),
    (3.783, 53.85),
    (3.742, 50),
    (3.715, 46.15),
    (3.679, 42.31),
    (3.636, 38.46),
    (3.588, 34.62),
    (3.543, 30.77),
    (3.503, 26.92),
    (3.462, 23.08),
    (3.379, 19.23),
    (3.296, 15.38),
    (3.218, 11.54),
    (3.165, 7.69),
    (3.091, 3.85),
    (2.977, 2.0),
    (2.8, 1.5),
    (2.7, 1.3),
    (2.5, 1.2),
    (2.3, 1.1),
    (2.1, 1.0),
    (1.9, 0.9),
    (1.6, 0.8),
    (1.3, 0.7),
    (1.0, 0.6),
    (0.6, 0.4),
    (0.3, 0.2),
    (0.01, 0.01),
    (0.001, 0.001),
)
WIND_REJECTION = 0.06
"""Fraction of the wind speed the position controller fails to reject (drift) [-]."""


@dataclass
class Limits:
    """Speed and acceleration limits from parameters, in SI units."""

    speed_xy_mps: float = 10.0
    accel_xy_mss: float = 2.5
    climb_mps: float = 2.5
    descent_mps: float = 1.5
    accel_z_mss: float = 1.0
    yaw_rate_dps: float = 60.0


@dataclass
class Target:
    """What the flight controller asks of the airframe this step.

    Either a position (``north_m``/``east_m``/``up_m``; None keeps that axis
    still) or, when ``vel_*`` is set, a velocity on that axis.
    """

    north_m: float | None = None
    east_m: float | None = None
    up_m: float | None = None
    vel_n_mps: float | None = None
    vel_e_mps: float | None = None
    vel_u_mps: float | None = None
    yaw_deg: float | None = None
    speed_xy_mps: float | None = None


def _approach_speed(distance_m: float, accel_mss: float, max_mps: float) -> float:
    """Speed that still stops at the target: min(max, sqrt(2 a d), kP d) [m/s]."""
    if distance_m <= 0.0:
        return 0.0
    return min(max_mps, math.sqrt(2.0 * accel_mss * distance_m), 1.0 * distance_m)


class Airframe:
    """Position, velocity and attitude of one copter, stepped in simulated time."""

    def __init__(self, yaw_deg: float = 0.0, seed: int | None = None) -> None:
        self.north_m = 0.0
        self.east_m = 0.0
        self.up_m = 0.0
        self.vn = 0.0
        self.ve = 0.0
        self.vu = 0.0
        self.yaw_deg = yaw_deg % 360.0
        self.yaw_rate_dps = 0.0
        self.roll_rad = 0.0
        self.pitch_rad = 0.0
        self.wind_n = 0.0
        self.wind_e = 0.0
        self._gust_n = 0.0
        self._gust_e = 0.0
        self._rng = random.Random(seed)

    # -- wind -------------------------------------------------------------
    def set_wind(self, speed_mps: float, from_deg: float, turbulence: float, dt: float) -> None:
        """Wind blowing FROM ``from_deg`` (as SIM_WIND_DIR), with random gusts."""
        to_rad = math.radians(from_deg + 180.0)
        self.wind_n = speed_mps * math.cos(to_rad)
        self.wind_e = speed_mps * math.sin(to_rad)
        if turbulence > 0.0:
            # first-order random gusts with a few seconds' correlation
            k = min(1.0, dt / 3.0)
            self._gust_n += k * (self._rng.gauss(0.0, turbulence) - self._gust_n)
            self._gust_e += k * (self._rng.gauss(0.0, turbulence) - self._gust_e)
        else:
            self._gust_n = self._gust_e = 0.0

    # -- motion -----------------------------------------------------------
    @property
    def groundspeed_mps(self) -> float:
        return math.hypot(self.vn, self.ve)

    @property
    def airspeed_mps(self) -> float:
        return math.hypot(
            self.vn - self.wind_n - self._gust_n, self.ve - self.wind_e - self._gust_e
        )

    def hold_on_ground(self) -> None:
        """Landed: no motion, level."""
        self.vn = self.ve = self.vu = 0.0
        self.up_m = 0.0
        self.roll_rad = self.pitch_rad = 0.0
        self.yaw_rate_dps = 0.0

    def step(self, dt: float, target: Target, limits: Limits) -> None:
        """Advance ``dt`` seconds toward ``target`` within ``limits``."""
        speed_max = target.speed_xy_mps or limits.speed_xy_mps
        # horizontal desired velocity
        if target.vel_n_mps is not None or target.vel_e_mps is not None:
            dvn = target.vel_n_mps or 0.0
            dve = target.vel_e_mps or 0.0
            norm = math.hypot(dvn, dve)
            if norm > speed_max:
                dvn, dve = dvn * speed_max / norm, dve * speed_max / norm
        elif target.north_m is not None and target.east_m is not None:
            en, ee = target.north_m - self.north_m, target.east_m - self.east_m
            dist = math.hypot(en, ee)
            spd = _approach_speed(dist, limits.accel_xy_mss, speed_max)
            dvn, dve = (en / dist * spd, ee / dist * spd) if dist > 1e-6 else (0.0, 0.0)
        else:
            # brake to a stop
            dvn = dve = 0.0
        # accelerate toward it, limited
        ax, ay = dvn - self.vn, dve - self.ve
        dv = math.hypot(ax, ay)
        max_dv = limits.accel_xy_mss * dt
        if dv > max_dv:
            ax, ay = ax * max_dv / dv, ay * max_dv / dv
        self.vn += ax
        self.ve += ay

        # vertical
        if target.vel_u_mps is not None:
            dvu = max(-limits.descent_mps, min(limits.climb_mps, target.vel_u_mps))
            if target.vel_u_mps < -limits.descent_mps:
                dvu = target.vel_u_mps  # landing descent may exceed the nav limit
        elif target.up_m is not None:
            err = target.up_m - self.up_m
            lim = limits.climb_mps if err > 0 else limits.descent_mps
            dvu = math.copysign(_approach_speed(abs(err), limits.accel_z_mss, lim), err)
        else:
            dvu = 0.0
        az = max(-limits.accel_z_mss * dt, min(limits.accel_z_mss * dt, dvu - self.vu))
        self.vu += az

        # integrate, with the small residual of wind the controller leaves
        drift_n = (self.wind_n + self._gust_n) * WIND_REJECTION
        drift_e = (self.wind_e + self._gust_e) * WIND_REJECTION
        self.north_m += (self.vn + drift_n) * dt
        self.east_m += (self.ve + drift_e) * dt
        self.up_m += self.vu * dt

        # attitude: tilt for the horizontal acceleration and against the wind
        fwd, right = self._body(ax / dt if dt else 0.0, ay / dt if dt else 0.0)
        wfwd, wright = self._body(self.wind_n - self.vn, self.wind_e - self.ve)
        self.pitch_rad = -math.atan2(fwd + 0.05 * wfwd, GRAVITY_MSS)
        self.roll_rad = math.atan2(right + 0.05 * wright, GRAVITY_MSS)

        # yaw
        if target.yaw_deg is not None:
            err = (target.yaw_deg - self.yaw_deg + 540.0) % 360.0 - 180.0
            step = max(-limits.yaw_rate_dps * dt, min(limits.yaw_rate_dps * dt, err))
            self.yaw_deg = (self.yaw_deg + step) % 360.0
            self.yaw_rate_dps = step / dt if dt else 0.0
        else:
            self.yaw_rate_dps = 0.0

    def _body(self, n: float, e: float) -> tuple[float, float]:
        """Rotate a north/east vector into forward/right of the current heading."""
        y = math.radians(self.yaw_deg)
        return n * math.cos(y) + e * math.sin(y), -n * math.sin(y) + e * math.cos(y)


class Battery:
    """SITL's battery (libraries/SITL/SIM_Battery.cpp) and ArduPilot's analog monitor of it.

    The pack: its capacity comes from the frame model (SITL's ``--model``
    JSON ``battCapacityAh``; 0 for the default quad, meaning unlimited).
    SIM_BATT_CAP_AH only reports that value: SITL 4.7 never reads the
    parameter back. With no capacity the voltage is SIM_BATT_VOLTAGE,
    constant, with no sag at all (Battery::set_current); with a capacity
    it is the resting voltage of the remaining charge (``SOC_TABLE`` scaled
    to the 12.6 V pack) less current times 0.01 ohm, through a 10 Hz
    low-pass filter. Setting SIM_BATT_VOLTAGE re-initialises the charge
    from that voltage (Frame::current_and_voltage -> init_voltage).

    The monitor (AP_BattMonitor_Analog): integrates the current it measures
    into ``consumed_mah`` and ``consumed_wh``; remaining % is consumed charge
    against BATT_CAPACITY, as ArduPilot computes it. MAV_CMD_BATTERY_RESET
    rewrites the monitor's count (:meth:`reset_remaining`), never the pack.
    """

    def __init__(self, capacity_ah: float = 0.0, max_voltage_v: float = PACK_MAX_VOLTAGE_V) -> None:
        self.capacity_ah = max(0.0, capacity_ah)
        self.max_voltage_v = max_voltage_v
        self.remaining_ah = self.capacity_ah
        self.voltage_set_v: float | None = None
        self.consumed_mah = 0.0
        self.consumed_wh = 0.0
        self.current_a = 0.0
        self.voltage_v = max_voltage_v

    @property
    def drawn_mah(self) -> float:
        """Charge taken from the pack since it was full [mAh]."""
        return (self.capacity_ah - self.remaining_ah) * 1000.0

    def resting_voltage(self, charge_pct: float) -> float:
        """Battery::get_resting_voltage: the pack's open-circuit voltage at ``charge_pct``."""
        top = SOC_TABLE[0][0]
        for (v_hi, soc_hi), (v_lo, soc_lo) in itertools.pairwise(SOC_TABLE):
            if charge_pct >= soc_lo:
                cell = v_lo + (charge_pct - soc_lo) / (soc_hi - soc_lo) * (v_hi - v_lo)
                return cell / top * self.max_voltage_v
        return 0.001

    def init_voltage(self, voltage_v: float) -> None:
        """Battery::init_voltage: the filter restarts there; the charge follows from it."""
        self.voltage_set_v = voltage_v
        self.voltage_v = voltage_v
        top = SOC_TABLE[0][0]
        cell = voltage_v / self.max_voltage_v * top
        self.remaining_ah = 0.0
        for (v_hi, soc_hi), (v_lo, soc_lo) in itertools.pairwise(SOC_TABLE):
            if cell >= v_lo:
                soc = soc_lo + (cell - v_lo) / (v_hi - v_lo) * (soc_hi - soc_lo)
                self.remaining_ah = self.capacity_ah * soc * 0.01
                break

    def step(self, dt: float, current_a: float, sim_voltage_v: float) -> None:
        """Draw ``current_a`` for ``dt`` seconds; ``sim_voltage_v`` is SIM_BATT_VOLTAGE."""
        if self.voltage_set_v is None or sim_voltage_v != self.voltage_set_v:
            self.init_voltage(sim_voltage_v)
        self.current_a = current_a
        self.remaining_ah = max(0.0, self.remaining_ah - current_a * dt / 3600.0)
        if self.capacity_ah <= 0:
            target = sim_voltage_v
        else:
            charge_pct = 100.0 * self.remaining_ah / self.capacity_ah
            target = self.resting_voltage(charge_pct) - current_a * PACK_RESISTANCE_OHM
        rc = 1.0 / (2.0 * math.pi * VOLTAGE_FILTER_HZ)
        self.voltage_v += (target - self.voltage_v) * (dt / (dt + rc) if dt > 0 else 0.0)
        self.consumed_mah += current_a * dt / 3.6
        self.consumed_wh += self.voltage_v * current_a * dt / 3600.0

    def refill(self) -> None:
        """A full pack in place of this one (the monitor keeps its count)."""
        self.remaining_ah = self.capacity_ah
        self.voltage_set_v = None  # the next step starts again from SIM_BATT_VOLTAGE

    def reset_remaining(self, percentage: float, capacity_mah: float) -> None:
        """AP_BattMonitor_Backend::reset_remaining: the monitor now reads ``percentage`` left.

        The percentage is constrained to 0..100 (a NaN becomes 50, as
        ArduPilot's constrain_float does); consumed mAh is the used share of
        BATT_CAPACITY (0 when the capacity is 0), consumed Wh its best
        estimate at the present voltage.
        """
        pct = 50.0 if math.isnan(percentage) else min(100.0, max(0.0, percentage))
        self.consumed_mah = (100.0 - pct) * 0.01 * capacity_mah
        self.consumed_wh = self.consumed_mah * 0.001 * self.voltage_v

    def remaining_pct(self, capacity_mah: float) -> int:
        if capacity_mah <= 0:
            return -1
        return max(0, min(100, round(100.0 * (1.0 - self.consumed_mah / capacity_mah))))


def pack_param_defaults(capacity_ah: float) -> dict[str, float]:
    """Parameter defaults a frame model with this pack sets (Frame::init).

    SIM_BATT_CAP_AH reports the capacity; a pack with a capacity also sets
    BATT_CAPACITY to it, so the monitor's percentage follows the pack.
    """
    if capacity_ah <= 0:
        return {}
    return {"SIM_BATT_CAP_AH": capacity_ah, "BATT_CAPACITY": capacity_ah * 1000.0}


def flight_current_a(airframe: Airframe, armed: bool, flying: bool) -> float:
    """Current by phase: ~28 A hovering, more climbing and fast, less descending [A]."""
    if not armed:
        return AVIONICS_CURRENT_A
    if not flying:
        return IDLE_CURRENT_A
    climb = max(-1.0, min(1.5, airframe.vu / 2.5))
    speed = airframe.airspeed_mps / 10.0
    return HOVER_CURRENT_A * (1.0 + 0.25 * climb + 0.12 * speed * speed)
