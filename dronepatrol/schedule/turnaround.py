"""Battery turnaround at the station: how long a landed drone waits before it can patrol again.

Kept apart from the scheduler's planning so that settings can check it
without loading the planner.
"""

from __future__ import annotations

from dataclasses import dataclass


class ScheduleSettingError(ValueError):
    """A scheduler setting that cannot be used; the message names it and the fix."""


@dataclass(frozen=True)
class Turnaround:
    """Time a drone spends at its station between sorties.

    With spare packs the crew swaps the battery (``swap_s``, checks included);
    without, the pack charges in place at ``charge_full_s`` for 0 -> 100 %
    (linear, a fair model up to ~80 % for LiPo packs). ``launch_min_frac`` is
    the charge a drone must hold to be sent on patrol.

    Attributes:
        mode: ``"swap"`` or ``"charge"``.
        swap_s: landing to ready with a fresh pack [s].
        charge_full_s: charging time from empty to full [s].
        launch_min_frac: least state of charge to launch, 0..1.
    """

    mode: str = "swap"
    swap_s: float = 300.0
    charge_full_s: float = 3600.0
    launch_min_frac: float = 0.9

    def __post_init__(self) -> None:
        if self.mode not in ("swap", "charge"):
            raise ScheduleSettingError(
                f"turnaround mode must be 'swap' or 'charge', got {self.mode!r}"
            )
        if not self.swap_s >= 0:
            raise ScheduleSettingError(f"swap_s must be >= 0 seconds, got {self.swap_s!r}")
        if not self.charge_full_s > 0:
            raise ScheduleSettingError(
                f"charge_full_s must be > 0 seconds, got {self.charge_full_s!r}"
            )
        if not 0.0 < self.launch_min_frac <= 1.0:
            raise ScheduleSettingError(
                f"launch_min_frac must be in (0, 1], got {self.launch_min_frac!r}"
            )

    def ground_time_s(self, charge_frac: float) -> float:
        """Seconds on the ground after landing with ``charge_frac`` left until ready [s]."""
        if self.mode == "swap":
            return self.swap_s
        missing = max(0.0, self.launch_min_frac - max(0.0, charge_frac))
        return missing * self.charge_full_s

    def charge_after_s(self, charge_frac: float) -> float:
        """State of charge once ready again (a fresh pack, or charged to the launch minimum)."""
        if self.mode == "swap":
            return 1.0
        return max(charge_frac, self.launch_min_frac)
