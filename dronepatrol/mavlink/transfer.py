"""Mission, fence and rally transfer: the MAVLink mission protocol as state machines.

One job per transfer, run by the link's owner thread like every other job
(:mod:`dronepatrol.mavlink.jobs`): upload (MISSION_COUNT, then answer the
vehicle's MISSION_REQUEST or MISSION_REQUEST_INT with MISSION_ITEM_INT until
its MISSION_ACK), download (MISSION_REQUEST_LIST, MISSION_COUNT, MISSION_REQUEST_INT for
each item, a few outstanding at a time, MISSION_ACK) and clear, each with the
protocol's timeouts and retries; MAV_MISSION_RESULT codes become
:class:`MissionTransferError`.

Event published (``vehicle_id`` set; ``data`` keys):

* ``MISSION_UPLOAD`` -- transfer progress and outcome: ``phase`` (``upload``,
  ``download``, ``verify``, ``failed``), ``mission_type`` (``mission``,
  ``fence``, ``rally``), ``sent`` / ``received`` (items so far), ``total``,
  ``result`` (MAV_MISSION_RESULT name, ``TIMEOUT`` or ``MISMATCH`` at the end),
  ``reason``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.events import EventKind
from dronepatrol.mavlink.errors import MAV_MISSION_RESULT_NAMES, MissionTransferError
from dronepatrol.mavlink.jobs import REASON_SEVERITY, Job
from dronepatrol.mission import MissionItem

MISSION_TYPE_NAMES = {0: "mission", 1: "fence", 2: "rally"}
MAV_MISSION_OPERATION_CANCELLED = 15
MAX_RESTARTS = 2
REASON_WAIT_S = 0.3
"""How long a refusal waits for the vehicle's STATUSTEXT: ArduPilot sends MISSION_ACK first
and its reason ("Only 70 items are supported") a few milliseconds after [s]."""
"""Whole-upload restarts after the vehicle cancels a transfer that timed out on its side."""


@dataclass(frozen=True)
class TransferTimeouts:
    """The mission protocol's timing, as QGroundControl uses it.

    ``ack_s`` [s] for handshakes (COUNT, REQUEST_LIST, the final ACK) and for
    the vehicle's next request during an upload; ``item_s`` [s] for each item
    we request during a download; ``retries`` per step.
    """

    ack_s: float = 1.5
    item_s: float = 0.25
    retries: int = 5


def item_to_msg(
    item: MissionItem, seq: int, mission_type: int, sysid: int, compid: int, current: int = 0
):
    """MISSION_ITEM_INT for ``item`` at ``seq`` (plain frames are sent as their _INT twin)."""
    frame = {0: 5, 3: 6, 10: 11}.get(int(item.frame), int(item.frame))
    return mavlink.MAVLink_mission_item_int_message(
        sysid,
        compid,
        seq,
        frame,
        int(item.command),
        current,
        int(item.autocontinue),
        item.param1,
        item.param2,
        item.param3,
        item.param4,
        round(item.lat_deg * 1e7),
        round(item.lon_deg * 1e7),
        float(item.alt_m),
        mission_type,
    )


def msg_to_item(msg) -> MissionItem:
    """A MissionItem from MISSION_ITEM_INT or MISSION_ITEM (frames kept as sent)."""
    if msg._type == "MISSION_ITEM_INT":
        lat, lon = msg.x * 1e-7, msg.y * 1e-7
    else:
        lat, lon = float(msg.x), float(msg.y)
    return MissionItem(
        command=msg.command,
        frame=msg.frame,
        param1=msg.param1,
        param2=msg.param2,
        param3=msg.param3,
        param4=msg.param4,
        lat_deg=lat,
        lon_deg=lon,
        alt_m=msg.z,
        autocontinue=bool(msg.autocontinue),
    )


class _TransferJob(Job):
    lane = "mission"

    def __init__(self, mission_type: int, timeouts: TransferTimeouts) -> None:
        super().__init__()
        self.mission_type = mission_type
        self.timeouts = timeouts
        self.type_name = MISSION_TYPE_NAMES.get(mission_type, str(mission_type))
        self.tries = 0
        self.deadline = 0.0
        self.started_at = 0.0

    def _ours(self, msg) -> bool:
        return getattr(msg, "mission_type", 0) == self.mission_type and getattr(
            msg, "target_system", self.session.gcs_sysid
        ) in (0, self.session.gcs_sysid)

    def _ack(self, result: int) -> None:
        s = self.session
        s.send(mavlink.MAVLink_mission_ack_message(s.sysid, s.compid, result, self.mission_type))

    def _progress(self, **data) -> None:
        self.session.emit(EventKind.MISSION_UPLOAD, mission_type=self.type_name, **data)

    def _failed(
        self, result: int | None, reason: str, cancel: bool = True, items_sent: int = 0
    ) -> None:
        if cancel:
            self._ack(15)  # MAV_MISSION_OPERATION_CANCELLED ends the vehicle's side too
        name = "TIMEOUT" if result is None else MAV_MISSION_RESULT_NAMES.get(result, str(result))
        self._progress(phase="failed", result=name, reason=reason)
        self.fail(MissionTransferError(self.mission_type, result, reason, items_sent=items_sent))


class UploadJob(_TransferJob):
    """Upload a list by MISSION_COUNT, answering the vehicle's requests.

    ``items`` are the wire items in sequence order (for the mission type,
    item 0 is home). The vehicle asks with MISSION_REQUEST or
    MISSION_REQUEST_INT; both are answered with MISSION_ITEM_INT. ArduPilot
    re-requests by itself and answers a duplicate item with
    INVALID_SEQUENCE without ending the transfer, so that ACK is ignored
    while items are outstanding.
    """

    def __init__(self, items, mission_type: int, timeouts: TransferTimeouts) -> None:
        super().__init__(mission_type, timeouts)
        self.items = list(items)
        self.highest_sent = -1
        self.requested = False
        self.restarts = 0
        self.refused: int | None = None
        """MAV_MISSION_RESULT of a refusal waiting for its STATUSTEXT."""

    def start(self, session, now: float) -> None:
        self.session = session
        self.started_at = now
        self._send_count(now)

    def _send_count(self, now: float) -> None:
        s = self.session
        s.send(
            mavlink.MAVLink_mission_count_message(
                s.sysid, s.compid, len(self.items), self.mission_type
            )
        )
        self.tries += 1
        self.deadline = now + self.timeouts.ack_s

    def _refused(self, result: int, reason: str = "") -> None:
        """Fail with the vehicle's own reason: ``reason``, else its latest warning."""
        if not reason:
            texts = self.session.tracker.recent_texts(self.started_at, REASON_SEVERITY)
            reason = texts[-1] if texts else "vehicle refused the list"
        self._failed(result, reason, cancel=False, items_sent=self.highest_sent + 1)

    def on_message(self, msg, now: float) -> None:
        if self.done:
            return
        kind = msg._type
        if self.refused is not None:
            if kind == "STATUSTEXT" and msg.severity <= REASON_SEVERITY:
                self._refused(self.refused, msg.text)
            return
        if kind in ("MISSION_REQUEST", "MISSION_REQUEST_INT") and self._ours(msg):
            seq = msg.seq
            if not 0 <= seq < len(self.items):
                self._failed(
                    13,
                    f"vehicle asked for item {seq} of {len(self.items)}",
                    items_sent=self.highest_sent + 1,
                )
                return
            s = self.session
            s.send(item_to_msg(self.items[seq], seq, self.mission_type, s.sysid, s.compid))
            self.requested = True
            self.tries = 0
            self.deadline = now + self.timeouts.ack_s
            if seq > self.highest_sent:
                self.highest_sent = seq
                self._progress(phase="upload", sent=seq + 1, total=len(self.items))
        elif kind == "MISSION_ACK" and self._ours(msg):
            all_sent = self.highest_sent == len(self.items) - 1
            if msg.type == 0 and all_sent:
                self._progress(
                    phase="upload", result="ACCEPTED", sent=len(self.items), total=len(self.items)
                )
                self.finish(len(self.items))
            elif msg.type == 13 and not all_sent:
                return  # duplicate item answered INVALID_SEQUENCE; the vehicle re-requests
            elif msg.type == MAV_MISSION_OPERATION_CANCELLED and self.restarts < MAX_RESTARTS:
                # The vehicle gave up waiting (ArduPilot: 8 s without an item); start over.
                self.restarts += 1
                self.requested = False
                self.highest_sent = -1
                self.tries = 0
                self._progress(
                    phase="upload",
                    sent=0,
                    total=len(self.items),
                    reason="vehicle cancelled the transfer; restarting",
                )
                self._send_count(now)
            elif msg.type == 0:
                self._failed(
                    13,
                    "vehicle accepted before every item was sent",
                    cancel=False,
                    items_sent=self.highest_sent + 1,
                )
            elif self.session.tracker.recent_texts(self.started_at, REASON_SEVERITY):
                self._refused(msg.type)
            else:
                self.refused = msg.type  # its reason follows the ACK
                self.deadline = now + REASON_WAIT_S

    def tick(self, now: float) -> None:
        if self.done or now < self.deadline:
            return
        if self.refused is not None:
            self._refused(self.refused)
        elif self.tries > self.timeouts.retries:
            self._failed(
                None,
                f"no answer after {self.tries} tries "
                f"({self.highest_sent + 1}/{len(self.items)} items sent)",
                items_sent=self.highest_sent + 1,
            )
        elif not self.requested:
            self._send_count(now)
        else:
            # The vehicle re-requests by itself; resend the last item in case ours was lost.
            s = self.session
            seq = self.highest_sent
            s.send(item_to_msg(self.items[seq], seq, self.mission_type, s.sysid, s.compid))
            self.tries += 1
            self.deadline = now + self.timeouts.ack_s


class DownloadJob(_TransferJob):
    """Download a list: REQUEST_LIST -> COUNT -> REQUEST_INT (pipelined) -> ITEM_INT -> ACK.

    Up to ``window`` MISSION_REQUEST_INTs are outstanding at a time, as
    MAVProxy keeps five: ArduPilot answers each request on its own, so the
    read-back costs one round trip per ``window`` items instead of one per
    item. Items are kept by sequence number whatever order they arrive in; a
    request unanswered for ``item_s`` is sent again, and ``retries`` rounds
    without any new item fail the download.
    """

    def __init__(self, mission_type: int, timeouts: TransferTimeouts, window: int = 5) -> None:
        super().__init__(mission_type, timeouts)
        self.window = max(1, window)
        self.count: int | None = None
        self.received: dict[int, MissionItem] = {}
        self.asked_at: dict[int, float] = {}
        self.next_seq = 0

    @property
    def items(self) -> list[MissionItem]:
        """The items received so far, in sequence order."""
        return [self.received[k] for k in sorted(self.received)]

    def start(self, session, now: float) -> None:
        self.session = session
        self._request_list(now)

    def _request_list(self, now: float) -> None:
        s = self.session
        s.send(mavlink.MAVLink_mission_request_list_message(s.sysid, s.compid, self.mission_type))
        self.tries += 1
        self.deadline = now + self.timeouts.ack_s

    def _ask(self, seq: int, now: float) -> None:
        s = self.session
        s.send(
            mavlink.MAVLink_mission_request_int_message(s.sysid, s.compid, seq, self.mission_type)
        )
        self.asked_at[seq] = now

    def _fill_window(self, now: float) -> None:
        assert self.count is not None
        for seq, at in list(self.asked_at.items()):
            if now - at >= self.timeouts.item_s:
                self._ask(seq, now)  # its answer was lost
        while self.next_seq < self.count and len(self.asked_at) < self.window:
            self._ask(self.next_seq, now)
            self.next_seq += 1
        self.deadline = now + self.timeouts.item_s

    def on_message(self, msg, now: float) -> None:
        if self.done:
            return
        kind = msg._type
        if kind == "MISSION_COUNT" and self._ours(msg) and self.count is None:
            self.count = msg.count
            self.tries = 0
            if self.count == 0:
                self._ack(0)
                self.finish([])
            else:
                self._fill_window(now)
        elif kind in ("MISSION_ITEM_INT", "MISSION_ITEM") and self._ours(msg):
            seq = msg.seq
            if self.count is None or not 0 <= seq < self.count or seq in self.received:
                return  # a late duplicate
            self.received[seq] = msg_to_item(msg)
            self.asked_at.pop(seq, None)
            self.tries = 0
            self._progress(phase="download", received=len(self.received), total=self.count)
            if len(self.received) == self.count:
                self._ack(0)
                self.finish(self.items)
            else:
                self._fill_window(now)
        elif kind == "MISSION_ACK" and self._ours(msg) and msg.type != 0:
            self._failed(msg.type, "vehicle ended the download", cancel=False)

    def tick(self, now: float) -> None:
        if self.done or now < self.deadline:
            return
        if self.tries > self.timeouts.retries:
            missing = sorted(set(range(self.count or 0)) - set(self.received))
            got = (
                "no MISSION_COUNT"
                if self.count is None
                else (f"item {missing[0]} of {self.count} never came")
            )
            self._failed(None, f"{got} after {self.tries} requests")
        elif self.count is None:
            self._request_list(now)
        else:
            self.tries += 1
            late = [k for k, at in self.asked_at.items() if now - at >= self.timeouts.item_s]
            for seq in late:
                self._ask(seq, now)
            self.deadline = now + self.timeouts.item_s


class ClearJob(_TransferJob):
    """MISSION_CLEAR_ALL for one list type, waiting for its MISSION_ACK."""

    def start(self, session, now: float) -> None:
        self.session = session
        self._send(now)

    def _send(self, now: float) -> None:
        s = self.session
        s.send(mavlink.MAVLink_mission_clear_all_message(s.sysid, s.compid, self.mission_type))
        self.tries += 1
        self.deadline = now + self.timeouts.ack_s

    def on_message(self, msg, now: float) -> None:
        if self.done or msg._type != "MISSION_ACK" or not self._ours(msg):
            return
        if msg.type == 0:
            self.finish(0)
        else:
            self._failed(msg.type, "vehicle refused to clear", cancel=False)

    def tick(self, now: float) -> None:
        if self.done or now < self.deadline:
            return
        if self.tries > self.timeouts.retries:
            self._failed(None, "no MISSION_ACK to clear", cancel=False)
        else:
            self._send(now)
