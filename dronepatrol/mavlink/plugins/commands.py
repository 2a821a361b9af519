"""The acknowledged MAV_CMD protocol: send, wait for COMMAND_ACK, retry, raise typed errors."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.mavlink.channel import VehicleChannel
from dronepatrol.mavlink.errors import LinkDownError
from dronepatrol.mavlink.jobs import CommandJob, CommandSpec
from dronepatrol.mavlink.plugins.telemetry import TelemetryPlugin
from dronepatrol.mavlink.waiting import wait_outcome
from dronepatrol.state import LinkState

GLOBAL_RELATIVE_ALT_INT = mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
"""COMMAND_INT's usual frame: latitude and longitude in 1e-7 deg, altitude above home [m]."""


@dataclass(frozen=True)
class CommandHandle:
    """A submitted command: its id (as in COMMAND_SENT/RESULT events) and its future."""

    command_id: str
    future: Future

    def result(self, timeout_s: float | None = None) -> Any:
        """Wait for the ACK; raises the command's typed error when refused."""
        return self.future.result(timeout_s)


class CommandPlugin:
    """Sends MAV_CMDs to one vehicle; each comes back as ACCEPTED or a CommandError."""

    def __init__(self, channel: VehicleChannel, telemetry: TelemetryPlugin) -> None:
        self._channel = channel
        self._telemetry = telemetry

    def submit(
        self,
        command: int,
        *params: float,
        use_int: bool = False,
        frame: int = GLOBAL_RELATIVE_ALT_INT,
        source: str = "",
        ack_timeout_s: float = 1.5,
        retries: int = 4,
    ) -> CommandHandle:
        """Queue a MAV_CMD; never blocks. Its COMMAND_RESULT event carries the outcome."""
        job = CommandJob(
            CommandSpec(int(command), tuple(params), use_int, frame),
            source=source,
            ack_timeout_s=ack_timeout_s,
            retries=retries,
        )
        if self._telemetry.snapshot.link is LinkState.CLOSED:
            job.fail(LinkDownError(f"{self._channel.vehicle_id}: link closed"))
            return CommandHandle(job.command_id, job.future)
        self._channel.submit(job)
        return CommandHandle(job.command_id, job.future)

    def run(
        self,
        command: int,
        *params: float,
        use_int: bool = False,
        frame: int = GLOBAL_RELATIVE_ALT_INT,
        source: str = "",
        timeout_s: float = 60.0,
    ) -> None:
        """Send a MAV_CMD and wait for ACCEPTED; raises CommandError with the reason."""
        handle = self.submit(command, *params, use_int=use_int, frame=frame, source=source)
        wait_outcome(handle.future, timeout_s, f"{self._channel.vehicle_id}: command {command}")
