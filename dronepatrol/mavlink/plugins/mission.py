"""The MAVLink mission protocol's three lists on one vehicle: mission, fence and rally.

Uploads are verified by reading the list back; a sortie's upload writes all
three and leaves nothing half-written on the vehicle when one fails. Every
list call names its :class:`~dronepatrol.mission.MissionType`, as MAVSDK's
``mission_raw`` does; the fence's storage limit is checked before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager

from dronepatrol.events import EventKind
from dronepatrol.fence_storage import SITL_COPTER_4_7, FenceCapacity, fence_misfit
from dronepatrol.mavlink.channel import VehicleChannel
from dronepatrol.mavlink.errors import (
    FenceTooBigError,
    MissionTransferError,
    MissionVerifyError,
    VehicleError,
)
from dronepatrol.mavlink.plugins.telemetry import TelemetryPlugin
from dronepatrol.mavlink.readback import compare_items
from dronepatrol.mavlink.transfer import ClearJob, DownloadJob, TransferTimeouts, UploadJob
from dronepatrol.mavlink.waiting import wait_outcome
from dronepatrol.mission import Cmd, Frame, Mission, MissionItem, MissionType


def home_item(lat_deg: float, lon_deg: float, alt_amsl_m: float) -> MissionItem:
    """Mission item 0: home, absolute altitude (ArduPilot overwrites it with its own home)."""
    return MissionItem(
        command=Cmd.NAV_WAYPOINT,
        frame=Frame.GLOBAL,
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        alt_m=alt_amsl_m,
    )


class MissionPlugin:
    """Upload, download and clear a vehicle's mission, fence and rally lists.

    Attributes:
        timeouts: the mission protocol's timing used by transfers.
        fence_capacity: the vehicle's fence storage, checked before any upload (a
            drone profile's ``fence_storage_bytes`` sets it for boards that store
            more or less).
    """

    def __init__(self, channel: VehicleChannel, telemetry: TelemetryPlugin) -> None:
        self._channel = channel
        self._telemetry = telemetry
        self.timeouts = TransferTimeouts()
        self.fence_capacity: FenceCapacity = SITL_COPTER_4_7

    # ---- one list ------------------------------------------------------------------

    def submit_upload(
        self, items: Sequence[MissionItem], mission_type: MissionType = MissionType.MISSION
    ) -> Future:
        """Upload wire items (mission: item 0 is home); the future holds the count."""
        return self._channel.submit(UploadJob(items, int(mission_type), self.timeouts))

    def submit_download(self, mission_type: MissionType = MissionType.MISSION) -> Future:
        """Download a list; the future holds the items (mission: item 0 is home)."""
        return self._channel.submit(DownloadJob(int(mission_type), self.timeouts))

    def download(
        self, mission_type: MissionType = MissionType.MISSION, timeout_s: float = 120.0
    ) -> list[MissionItem]:
        """The vehicle's stored list of ``mission_type`` (mission: item 0 is home)."""
        return wait_outcome(self.submit_download(mission_type), timeout_s, "download")

    def clear(
        self, mission_type: MissionType = MissionType.MISSION, timeout_s: float = 30.0
    ) -> None:
        """Delete the vehicle's stored list of ``mission_type``."""
        job = ClearJob(int(mission_type), self.timeouts)
        wait_outcome(self._channel.submit(job), timeout_s, "clear")

    def upload_items(
        self,
        items: Sequence[MissionItem],
        mission_type: MissionType,
        verify: bool = True,
        timeout_s: float = 300.0,
    ) -> int:
        """Upload wire items and, with ``verify``, read them back and compare."""
        wait_outcome(self.submit_upload(items, mission_type), timeout_s, "upload")
        if verify:
            got = self.download(mission_type, timeout_s)
            problems = compare_items(
                list(items), got, mission_type == MissionType.MISSION, mission_type
            )
            self._channel.bus.emit(
                EventKind.MISSION_UPLOAD,
                self._channel.vehicle_id,
                phase="verify",
                mission_type=mission_type.name.lower(),
                total=len(items),
                result="MISMATCH" if problems else "ACCEPTED",
                reason="; ".join(problems[:5]),
            )
            if problems:
                raise MissionVerifyError(int(mission_type), "; ".join(problems[:5]))
        return len(items)

    # ---- a sortie's three lists -----------------------------------------------------------

    def wire_items(self, mission: Mission) -> list[MissionItem]:
        """The mission as sent: home (plan's, else the vehicle's) then the items."""
        if mission.home is not None:
            lat, lon, alt = mission.home
        else:
            snap = self._telemetry.snapshot
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

    def upload(self, mission: Mission, verify: bool = True, timeout_s: float = 300.0) -> None:
        """Upload and verify the mission, its fence and its rally points.

        Fence and rally lists are always written, empty ones too, so that a
        previous sortie's fence never survives on the vehicle unnoticed. A fence
        that cannot fit the vehicle's storage is refused before anything is sent.
        """
        self.check_fence_fits(mission)
        with self.undo_on_failure():
            self.upload_items(self.wire_items(mission), MissionType.MISSION, verify, timeout_s)
            self.upload_items(mission.fence_items(), MissionType.FENCE, verify, timeout_s)
            self.upload_items(mission.rally_items(), MissionType.RALLY, verify, timeout_s)

    @contextmanager
    def undo_on_failure(self) -> Iterator[None]:
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
