"""The drone profile: speeds, battery, altitudes and camera the planner assumes.

A profile is a TOML file; :func:`load_profile` reads one over the documented
defaults shipped in ``dronepatrol/data/profile.toml``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

from dronepatrol.fence_storage import FenceCapacity


class ProfileError(ValueError):
    """A profile file is unusable; the message names the key and the fix."""


@dataclass(frozen=True)
class DroneProfile:
    """What the planner assumes about the aircraft (see ``data/profile.toml``).

    Energy is counted as equivalent hover time: a sortie's energy fraction is
    ``sum(time_i * power_ratio_i) / hover_endurance_s`` and must stay within
    ``usable_battery_frac``.
    """

    name: str = "default patrol quadcopter"
    cruise_speed_mps: float = 10.0
    climb_rate_mps: float = 2.5
    descent_rate_mps: float = 1.5
    turnaround_s: float = 6.0
    hover_endurance_s: float = 1800.0
    usable_battery_frac: float = 0.75
    cruise_power_ratio: float = 0.9
    climb_power_ratio: float = 1.6
    descent_power_ratio: float = 0.7
    patrol_altitude_m: float = 60.0
    transit_altitude_m: float = 80.0
    max_altitude_m: float = 120.0
    short_hop_m: float = 250.0
    camera_hfov_deg: float = 70.0
    camera_vfov_deg: float = 55.0
    side_overlap: float = 0.2
    dwell_s: float = 20.0
    orbit_radius_m: float = 0.0
    orbit_speed_mps: float = 5.0
    nofly_margin_m: float = 25.0
    fence_margin_m: float = 150.0
    fence_storage_bytes: float = 560.0

    @property
    def fence_capacity(self) -> FenceCapacity:
        """The vehicle's fence storage the planner fits each fence into."""
        return FenceCapacity(int(self.fence_storage_bytes))

    def __post_init__(self) -> None:
        problems = []
        positive = [
            "cruise_speed_mps",
            "climb_rate_mps",
            "descent_rate_mps",
            "hover_endurance_s",
            "patrol_altitude_m",
            "transit_altitude_m",
            "max_altitude_m",
            "orbit_speed_mps",
            "cruise_power_ratio",
            "climb_power_ratio",
            "descent_power_ratio",
        ]
        for key in positive:
            if not getattr(self, key) > 0:
                problems.append(f"{key} must be greater than 0")
        for key in (
            "turnaround_s",
            "short_hop_m",
            "dwell_s",
            "orbit_radius_m",
            "nofly_margin_m",
            "fence_margin_m",
        ):
            if getattr(self, key) < 0:
                problems.append(f"{key} must be at least 0")
        if self.fence_storage_bytes < 48:
            problems.append("fence_storage_bytes must be at least 48 (ArduPilot's smallest area)")
        if not 0 < self.usable_battery_frac <= 1:
            problems.append("usable_battery_frac must be in (0, 1]")
        if not 0 <= self.side_overlap < 0.9:
            problems.append("side_overlap must be in [0, 0.9)")
        for key in ("camera_hfov_deg", "camera_vfov_deg"):
            if not 0 < getattr(self, key) < 170:
                problems.append(f"{key} must be in (0, 170)")
        for key in ("patrol_altitude_m", "transit_altitude_m"):
            if getattr(self, key) > self.max_altitude_m:
                problems.append(f"{key} must not exceed max_altitude_m ({self.max_altitude_m:g})")
        if problems:
            raise ProfileError("; ".join(problems))

    def swath_width_m(self, altitude_m: float | None = None) -> float:
        """Width [m] of ground the camera sees across track at ``altitude_m`` (flat ground).

        >>> round(DroneProfile().swath_width_m(60.0), 1)
        84.0
        """
        alt = self.patrol_altitude_m if altitude_m is None else altitude_m
        return 2.0 * alt * math.tan(math.radians(self.camera_hfov_deg) / 2.0)

    def footprint_length_m(self, altitude_m: float | None = None) -> float:
        """Length [m] of ground the camera sees along track at ``altitude_m``."""
        alt = self.patrol_altitude_m if altitude_m is None else altitude_m
        return 2.0 * alt * math.tan(math.radians(self.camera_vfov_deg) / 2.0)

    def lane_spacing_m(self, altitude_m: float | None = None) -> float:
        """Distance [m] between neighbouring survey lanes: swath less the side overlap."""
        return self.swath_width_m(altitude_m) * (1.0 - self.side_overlap)

    def as_dict(self) -> dict[str, Any]:
        """The profile plus derived figures (swath width, lane spacing), JSON-ready."""
        out: dict[str, Any] = asdict(self)
        out["swath_width_m"] = round(self.swath_width_m(), 2)
        out["lane_spacing_m"] = round(self.lane_spacing_m(), 2)
        out["altitude_m"] = self.patrol_altitude_m
        return out


DEFAULT_PROFILE_RESOURCE = "data/profile.toml"


def default_profile_text() -> str:
    """The shipped, documented default profile (TOML)."""
    return resources.files("dronepatrol").joinpath(DEFAULT_PROFILE_RESOURCE).read_text("utf-8")


def load_profile(path: str | Path | None = None) -> DroneProfile:
    """The default profile, overridden by the keys in the TOML file ``path``.

    Raises :class:`ProfileError` naming the file and the key for unknown keys,
    wrong types or values out of range.
    """
    values = tomllib.loads(default_profile_text())
    label = "default profile"
    if path is not None:
        label = str(path)
        try:
            given = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ProfileError(f"{label}: file not found; give a TOML drone profile") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{label}: cannot read it ({exc})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"{label}: not valid TOML ({exc})") from exc
        values.update(given)
    known = {f.name: f for f in fields(DroneProfile)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ProfileError(
            f"{label}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(known)}"
        )
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key == "name":
            clean[key] = str(value)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ProfileError(f"{label}: {key} = {value!r} is not a number")
        else:
            clean[key] = float(value)
    try:
        return DroneProfile(**clean)
    except ProfileError as exc:
        raise ProfileError(f"{label}: {exc}") from exc
