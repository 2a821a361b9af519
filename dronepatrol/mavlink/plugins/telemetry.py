"""The vehicle's state as other threads see it: the latest snapshot, and waiting on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from dronepatrol.mavlink.channel import VehicleChannel
from dronepatrol.mavlink.errors import FlightError, LinkDownError
from dronepatrol.state import LandedState, LinkState, VehicleSnapshot


class TelemetryPlugin:
    """Holds the latest immutable :class:`VehicleSnapshot` and wakes those waiting on it.

    The link's owner thread publishes a new snapshot up to 20 times a second
    (:meth:`publish`); every other thread only reads.
    """

    def __init__(self, channel: VehicleChannel) -> None:
        self._channel = channel
        self._cond = threading.Condition()
        self._snapshot = VehicleSnapshot(vehicle_id=channel.vehicle_id, sysid=channel.sysid)

    def publish(self, snapshot: VehicleSnapshot) -> None:
        """Replace the snapshot (owner thread) and wake every waiter."""
        with self._cond:
            self._snapshot = snapshot
            self._cond.notify_all()

    @property
    def snapshot(self) -> VehicleSnapshot:
        """The latest immutable state."""
        return self._snapshot

    def wait_for(
        self,
        predicate: Callable[[VehicleSnapshot], bool],
        timeout_s: float,
        what: str = "condition",
    ) -> VehicleSnapshot:
        """Wait until ``predicate(snapshot)`` holds.

        Raises FlightError after ``timeout_s`` [s], LinkDownError at once when the
        link is closed (so no waiting thread outlives its link).
        """
        vehicle_id = self._channel.vehicle_id
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                snap = self._snapshot
                if predicate(snap):
                    return snap
                if snap.link is LinkState.CLOSED:
                    raise LinkDownError(f"{vehicle_id}: link closed while waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise FlightError(
                        f"{vehicle_id}: timed out after {timeout_s:g} s "
                        f"waiting for {what} (mode {snap.mode}, "
                        f"alt {_alt(snap)}, link {snap.link.value})"
                    )
                self._cond.wait(min(left, 0.5))

    def wait_landed(self, timeout_s: float = 600.0) -> None:
        """Wait until EXTENDED_SYS_STATE says on the ground (or disarmed on the ground)."""
        self.wait_for(
            lambda s: (
                s.link is LinkState.UP
                and (
                    s.landed_state == LandedState.ON_GROUND
                    or (not s.armed and s.landed_state == LandedState.UNDEFINED)
                )
            ),
            timeout_s,
            "landed",
        )

    def recent_statustexts(self, since_s: float) -> list[str]:
        """STATUSTEXTs heard in the last ``since_s`` [s], oldest first."""
        return self._channel.recent_statustexts(since_s)


def _alt(snap: VehicleSnapshot) -> str:
    return f"{snap.position.alt_rel_m:.1f} m" if snap.position else "unknown"
