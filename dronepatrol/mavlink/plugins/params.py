"""Parameters: read and set one at a time with PARAM_REQUEST_READ / PARAM_SET, echo checked."""

from __future__ import annotations

from concurrent.futures import Future

from dronepatrol.mavlink.channel import VehicleChannel
from dronepatrol.mavlink.jobs import ParamJob
from dronepatrol.mavlink.waiting import wait_outcome


class ParamPlugin:
    """One vehicle's parameters; refusals and silence raise ParamError."""

    def __init__(self, channel: VehicleChannel) -> None:
        self._channel = channel

    def submit(self, name: str, value: float | None = None) -> Future:
        """Read (``value`` None) or set a parameter; the future holds the vehicle's value."""
        return self._channel.submit(ParamJob(name, value))

    def read(self, name: str, timeout_s: float = 10.0) -> float:
        """Read ``name`` fresh from the vehicle."""
        return wait_outcome(self.submit(name), timeout_s, f"read {name}")

    def set(self, name: str, value: float, timeout_s: float = 10.0) -> float:
        """Set a parameter and return the value the vehicle echoed back."""
        return wait_outcome(self.submit(name, value), timeout_s, f"set {name}")

    def heard(self) -> dict[str, float]:
        """Parameters heard so far, without asking (those the controller relies on are read
        on connect)."""
        return self._channel.heard_params()
