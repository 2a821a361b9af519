"""The handle other threads hold for one vehicle: snapshots in, jobs out.

Every method that talks to the vehicle comes in two forms: ``submit_*``
returns at once with a future (and, for commands, a command id) whose outcome
also arrives as an event, for web handlers that must never block on the
radio; the plain form waits for the outcome and raises a typed error, for
scripts and the CLI. Nothing here touches the connection: jobs run on the
link's owner thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass

from dronepatrol.events import EventKind
from dronepatrol.fence_storage import SITL_COPTER_4_7, FenceCapacity, fence_misfit
from dronepatrol.mavlink.errors import (
    FenceTooBigError,
    FlightError,
    LinkDownError,
    MissionTransferError,
    MissionVerifyError,
    VehicleError,
)
from dronepatrol.mavlink.flight import FlightOps
from dronepatrol.mavlink.jobs import CommandJob, CommandSpec, ParamJob
from dronepatrol.mavlink.readback import compare_items
from dronepatrol.mavlink.transfer import ClearJob, DownloadJob, TransferTimeouts, UploadJob
from dronepatrol.mission import Cmd, Frame, Mission, MissionItem, MissionType
from dronepatrol.state import LinkState, VehicleSnapshot


@dataclass(frozen=True)
class CommandHandle:
    """A submitted command: its id (as in COMMAND_SENT/RESULT events) and its future."""

    command_id: str
    future: Future

    def result(self, timeout_s: float | None = None):
        """Wait for the ACK; raises the command's typed error when refused."""
        return self.future.result(timeout_s)


def home_item(lat_deg: float, lon_deg: float, alt_amsl_m: float) -> MissionItem:
    """Mission item 0: home, absolute altitude (ArduPilot overwrites it with its own home)."""
    return MissionItem(
        command=Cmd.NAV_WAYPOINT,
        frame=Frame.GLOBAL,
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        alt_m=alt_amsl_m,
    )


class Vehicle(FlightOps):
    """One vehicle on a :class:`~dronepatrol.mavlink.link.Link`.

    Attributes:
        vehicle_id: the controller's id; sysid: its MAVLink system id.
        timeouts: the mission protocol's timing used by transfers.
    """

    def __init__(self, link, sysid: int, vehicle_id: str) -> None:
        self.link = link
        self.sysid = sysid
        self.vehicle_id = vehicle_id
        self.timeouts = TransferTimeouts()
        self.fence_capacity: FenceCapacity = SITL_COPTER_4_7
        """The vehicle's fence storage, checked before any upload (a drone profile's
        ``fence_storage_bytes`` sets it for boards that store more or less)."""
        self._cond = threading.Condition()
        self._snapshot = VehicleSnapshot(vehicle_id=vehicle_id, sysid=sysid)

    def __repr__(self) -> str:
        return f"Vehicle({self.vehicle_id!r}, sysid={self.sysid}, {self.link.url})"

    # ---- state ----------------------------------------------------------------

    def _set_snapshot(self, snapshot: VehicleSnapshot) -> None:
        with self._cond:
            self._snapshot = snapshot
            self._cond.notify_all()

    @property
    def snapshot(self) -> VehicleSnapshot:
        """The latest immutable state (refreshed by the link thread up to 20 times a second)."""
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
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                snap = self._snapshot
                if predicate(snap):
                    return snap
                if snap.link is LinkState.CLOSED:
                    raise LinkDownError(f"{self.vehicle_id}: link closed while waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise FlightError(
                        f"{self.vehicle_id}: timed out after {timeout_s:g} s "
                        f"waiting for {what} (mode {snap.mode}, "
                        f"alt {_alt(snap)}, link {snap.link.value})"
                    )
                self._cond.wait(min(left, 0.5))

    def params(self) -> dict[str, float]:
        """Parameters read so far (those the controller relies on are read on connect)."""
        session = self.link.sessions.get(self.sysid)
        return dict(session.tracker.params) if session else {}

    def recent_statustexts(self, since_s: float) -> list[str]:
        """STATUSTEXTs heard in the last ``since_s`` seconds, oldest first."""
        session = self.link.sessions.get(self.sysid)
        if session is None:
            return []
        return session.tracker.recent_texts(time.monotonic() - since_s)

    # ---- commands ----------------------------------------------------------------

    def submit_command(
        self,
        command: int,
        *params: float,
        use_int: bool = False,
        frame: int = 6,
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
        if self._snapshot.link is LinkState.CLOSED:
            job.fail(LinkDownError(f"{self.vehicle_id}: link closed"))
            return CommandHandle(job.command_id, job.future)
        self.link.submit(self.sysid, job)
        return CommandHandle(job.command_id, job.future)

    def command(
        self,
        command: int,
        *params: float,
        use_int: bool = False,
        frame: int = 6,
        source: str = "",
        timeout_s: float = 60.0,
    ) -> None:
        """Send a MAV_CMD and wait for ACCEPTED; raises CommandError with the reason."""
        handle = self.submit_command(command, *params, use_int=use_int, frame=frame, source=source)
        _wait(handle.future, timeout_s, f"{self.vehicle_id}: command {command}")

    # ---- parameters ---------------------------------------------------------------

    def submit_param(self, name: str, value: float | None = None) -> Future:
        """Read (``value`` None) or set a parameter; the future holds the vehicle's value."""
        return self.link.submit(self.sysid, ParamJob(name, value))

    def read_param(self, name: str, timeout_s: float = 10.0) -> float:
        return _wait(self.submit_param(name), timeout_s, f"read {name}")

    def set_param(self, name: str, value: float, timeout_s: float = 10.0) -> float:
        """Set a parameter and return the value the vehicle echoed back."""
        return _wait(self.submit_param(name, value), timeout_s, f"set {name}")

    # ---- mission, fence and rally transfer -------------------------------------------

    def submit_upload(
        self, items: Sequence[MissionItem], mission_type: MissionType = MissionType.MISSION
    ) -> Future:
        """Upload wire items (mission: item 0 is home); the future holds the count."""
        return self.link.submit(self.sysid, UploadJob(items, int(mission_type), self.timeouts))

    def submit_download(self, mission_type: MissionType = MissionType.MISSION) -> Future:
        """Download a list; the future holds the items (mission: item 0 is home)."""
        return self.link.submit(self.sysid, DownloadJob(int(mission_type), self.timeouts))

    def download(
        self, mission_type: MissionType = MissionType.MISSION, timeout_s: float = 120.0
    ) -> list[MissionItem]:
        return _wait(self.submit_download(mission_type), timeout_s, "download")

    def clear(
        self, mission_type: MissionType = MissionType.MISSION, timeout_s: float = 30.0
    ) -> None:
        """Delete the vehicle's stored list of ``mission_type``."""
        job = ClearJob(int(mission_type), self.timeouts)
        _wait(self.link.submit(self.sysid, job), timeout_s, "clear")

    def upload_items(
        self,
        items: Sequence[MissionItem],
        mission_type: MissionType,
        verify: bool = True,
        timeout_s: float = 300.0,
    ) -> int:
        """Upload wire items and, with ``verify``, read them back and compare."""
        _wait(self.submit_upload(items, mission_type), timeout_s, "upload")
        if verify:
            got = self.download(mission_type, timeout_s)
            problems = compare_items(
                list(items), got, mission_type == MissionType.MISSION, mission_type
            )
            self.link.bus.emit(
                EventKind.MISSION_UPLOAD,
                self.vehicle_id,
                phase="verify",
                mission_type=mission_type.name.lower(),
                total=len(items),
                result="MISMATCH" if problems else "ACCEPTED",
                reason="; ".join(problems[:5]),
            )
            if problems:
                raise MissionVerifyError(int(mission_type), "; ".join(problems[:5]))
        return len(items)

    def mission_wire_items(self, mission: Mission) -> list[MissionItem]:
        """The mission as sent: home (plan's, else the vehicle's) then the items."""
        if mission.home is not None:
            lat, lon, alt = mission.home
        else:
            snap = self._snapshot
            place = snap.home or snap.position
            lat, lon, alt = (
                (place.lat_deg, place.lon_deg, place.alt_amsl_m) if place else (0.0, 0.0, 0.0)
            )
        return [home_item(lat, lon, alt), *mission.items]

    def check_fence_fits(self, mission: Mission) -> None:
        """Raise FenceTooBigError when ``mission``'s fence exceeds ``fence_capacity``."""
        why = fence_misfit(mission, self.fence_capacity)
        if why:
            raise FenceTooBigError(why)

    def upload_mission(
        self, mission: Mission, verify: bool = True, timeout_s: float = 300.0
    ) -> None:
        """Upload and verify the mission, its fence and its rally points.

        Fence and rally lists are always written, empty ones too, so that a
        previous sortie's fence never survives on the vehicle unnoticed. A fence
        that cannot fit the vehicle's storage is refused before anything is sent.
        """
        self.check_fence_fits(mission)
        with self.undo_on_failure():
            self.upload_items(
                self.mission_wire_items(mission), MissionType.MISSION, verify, timeout_s
            )
            self.upload_items(mission.fence_items(), MissionType.FENCE, verify, timeout_s)
            self.upload_items(mission.rally_items(), MissionType.RALLY, verify, timeout_s)

    @contextmanager
    def undo_on_failure(self):
        """Leave no half-written sortie on the vehicle when a transfer in the block fails.

        ArduPilot writes mission and rally items as they arrive (a refused or
        broken upload leaves the first items new and the rest old) and keeps a
        fence only when the whole list arrived. So when any transfer fails, the
        mission list is cleared (a mission whose fence or rally points did not
        make it must not be flown in AUTO), and so is a rally list that the
        vehicle took part of. The error is raised again, with what was cleared.
        """
        try:
            yield
        except MissionTransferError as exc:
            cleared: list[str] = []
            notes: list[str] = []
            types = [MissionType.MISSION]
            if exc.mission_type == MissionType.RALLY and exc.items_sent:
                types.append(MissionType.RALLY)
            for mission_type in types:
                try:
                    self.clear(mission_type, timeout_s=10.0)
                    cleared.append(mission_type.name.lower())
                except VehicleError as clear_exc:
                    notes.append(f"could not clear the {mission_type.name.lower()}: {clear_exc}")
            if cleared:
                notes.insert(0, f"cleared the vehicle's {' and '.join(cleared)} list")
            exc.cleared = tuple(cleared)
            exc.args = ("; ".join([str(exc), *notes]),)
            raise


def _alt(snap: VehicleSnapshot) -> str:
    return f"{snap.position.alt_rel_m:.1f} m" if snap.position else "unknown"


def _wait(future: Future, timeout_s: float, what: str):
    try:
        return future.result(timeout_s)
    except FutureTimeout:
        raise FlightError(f"{what}: no outcome within {timeout_s:g} s") from None
