"""Typed errors for everything a vehicle can refuse or a link can fail at.

A command either succeeds or raises one of these, carrying the autopilot's
own result code and its STATUSTEXT reason; never a silent ``False``.
"""

from __future__ import annotations

from collections.abc import Sequence

MAV_RESULT_NAMES = {
    0: "ACCEPTED",
    1: "TEMPORARILY_REJECTED",
    2: "DENIED",
    3: "UNSUPPORTED",
    4: "FAILED",
    5: "IN_PROGRESS",
    6: "CANCELLED",
    7: "COMMAND_LONG_ONLY",
    8: "COMMAND_INT_ONLY",
    9: "COMMAND_UNSUPPORTED_MAV_FRAME",
}

MAV_MISSION_RESULT_NAMES = {
    0: "ACCEPTED",
    1: "ERROR",
    2: "UNSUPPORTED_FRAME",
    3: "UNSUPPORTED",
    4: "NO_SPACE",
    5: "INVALID",
    6: "INVALID_PARAM1",
    7: "INVALID_PARAM2",
    8: "INVALID_PARAM3",
    9: "INVALID_PARAM4",
    10: "INVALID_PARAM5_X",
    11: "INVALID_PARAM6_Y",
    12: "INVALID_PARAM7",
    13: "INVALID_SEQUENCE",
    14: "DENIED",
    15: "OPERATION_CANCELLED",
}


class VehicleError(Exception):
    """Base of every error a vehicle operation raises."""


class LinkDownError(VehicleError):
    """The vehicle is not heard (link lost or closed), so nothing can be sent."""


class CommandError(VehicleError):
    """The autopilot refused a command.

    Attributes:
        command: MAV_CMD number; command_name its name.
        result: MAV_RESULT code, or None when no COMMAND_ACK came at all.
        result_name: MAV_RESULT name (``DENIED``, ``FAILED``...) or ``TIMEOUT``.
        reason: the autopilot's STATUSTEXT explaining it (may be empty).
    """

    def __init__(self, command: int, command_name: str, result: int | None, reason: str = ""):
        self.command = command
        self.command_name = command_name
        self.result = result
        self.result_name = (
            "TIMEOUT" if result is None else MAV_RESULT_NAMES.get(result, str(result))
        )
        self.reason = reason
        text = f"{command_name} refused: {self.result_name}"
        if result is None:
            text = f"{command_name}: no COMMAND_ACK from the vehicle"
        if reason:
            text += f" ({reason})"
        super().__init__(text)


class CommandTimeout(CommandError):
    """No COMMAND_ACK arrived after every retry."""

    def __init__(self, command: int, command_name: str, reason: str = ""):
        super().__init__(command, command_name, None, reason)


class MissionTransferError(VehicleError):
    """A mission, fence or rally transfer failed.

    Attributes:
        mission_type: MAV_MISSION_TYPE (0 mission, 1 fence, 2 rally).
        result: MAV_MISSION_RESULT from the vehicle's MISSION_ACK, or None
            for a timeout or a verification mismatch.
        result_name: its name, ``TIMEOUT`` or ``MISMATCH``.
        reason: what went wrong, in words (the vehicle's STATUSTEXT when it gave one).
        items_sent: items sent before the failure; ArduPilot writes mission and rally
            items as they arrive, so a non-zero count means its list may have changed.
    """

    def __init__(
        self,
        mission_type: int,
        result: int | None,
        reason: str,
        name: str = "",
        items_sent: int = 0,
    ):
        self.mission_type = mission_type
        self.items_sent = items_sent
        self.cleared: tuple[str, ...] = ()
        """Lists cleared on the vehicle after this failure (none half-written is left)."""
        self.result = result
        self.result_name = name or (
            MAV_MISSION_RESULT_NAMES.get(result, str(result)) if result is not None else "TIMEOUT"
        )
        self.reason = reason
        kind = {0: "mission", 1: "fence", 2: "rally"}.get(mission_type, str(mission_type))
        super().__init__(f"{kind} transfer failed: {self.result_name}: {reason}")


class MissionVerifyError(MissionTransferError):
    """The list read back from the vehicle differs from what was uploaded."""

    def __init__(self, mission_type: int, reason: str):
        super().__init__(mission_type, None, reason, name="MISMATCH")


class FenceTooBigError(MissionTransferError):
    """The mission's fence needs more storage than the vehicle has; nothing was uploaded."""

    def __init__(self, reason: str):
        super().__init__(1, None, reason, name="TOO_BIG")


class ParamError(VehicleError):
    """A parameter could not be read or set (unknown name, no answer, refused value)."""


class NotReadyError(VehicleError):
    """The vehicle did not become ready to arm in time; ``reasons`` lists what blocks it."""

    def __init__(self, reasons: Sequence[str]):
        self.reasons = tuple(reasons)
        super().__init__("vehicle not ready to arm: " + "; ".join(self.reasons))


class PreflightError(VehicleError):
    """Preflight checks failed; ``failures`` maps each check's name to its reason."""

    def __init__(self, failures: dict[str, str]):
        self.failures = dict(failures)
        lines = [f"{name}: {reason}" for name, reason in self.failures.items()]
        super().__init__("preflight checks failed: " + "; ".join(lines))


class FlightError(VehicleError):
    """A flight operation did not reach its goal (e.g. never reached takeoff altitude)."""
