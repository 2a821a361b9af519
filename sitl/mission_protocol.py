"""Mission, fence and rally storage and the MAVLink mission protocol, as ArduPilot runs it.

Follows ArduPilot's GCS_MAVLink/MissionItemProtocol: an upload (MISSION_COUNT
or MISSION_WRITE_PARTIAL_LIST) makes the vehicle ask for each item with
MISSION_REQUEST (even on MAVLink 2), accept MISSION_ITEM_INT or MISSION_ITEM
answers, re-request an item after 1 s of silence and give up with
MISSION_ACK OPERATION_CANCELLED after 8 s; only the system that started an
upload may continue it; downloads answer MISSION_REQUEST_LIST with
MISSION_COUNT and each MISSION_REQUEST_INT with MISSION_ITEM_INT. For the
mission type item 0 is home and reads back as the current home position;
integer frames read back as their float equivalents (6 -> 3, 5 -> 0).
Times are simulated seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.sitl.storage import (
    FENCE_STORAGE_BYTES,
    LOCATION_COMMANDS,
    MAX_ITEMS,
    degrees_to_e7,
    e7_to_degrees,
    fence_storage_required,
    stored_fence_item,
    stored_mission_item,
    stored_rally_item,
)

MISSION = mavlink.MAV_MISSION_TYPE_MISSION
FENCE = mavlink.MAV_MISSION_TYPE_FENCE
RALLY = mavlink.MAV_MISSION_TYPE_RALLY

UPLOAD_TIMEOUT_S = 8.0
"""Upload abandoned after this long without an item (MissionItemProtocol upload_timeout_ms)."""
REREQUEST_S = 1.0
"""An item is asked for again after this long without an answer."""

_LOCATION_FRAMES = {0, 2, 3, 5, 6, 10, 11}

# Commands AP_Mission stores (others are answered MAV_MISSION_UNSUPPORTED).
MISSION_COMMANDS = {
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    30,
    31,
    82,
    83,
    84,
    85,
    92,
    93,
    94,  # NAV_*
    112,
    113,
    114,
    115,
    159,  # CONDITION_*
    176,
    177,
    178,
    179,
    181,
    182,
    183,
    184,
    189,
    191,
    195,
    197,
    200,
    201,
    202,
    203,  # DO_*
    205,
    206,
    207,
    208,
    209,
    210,
    211,
    212,
    213,
    214,
    215,
    216,
    217,
    218,
    219,
    220,
    222,
    223,
    2000,
    2001,
    2500,
    2501,
    3000,
    42600,
}
FENCE_COMMANDS = {5000, 5001, 5002, 5003, 5004}
RALLY_COMMANDS = {5100}


@dataclass(frozen=True)
class Item:
    """One stored item, in MISSION_ITEM_INT terms (x/y are degE7, z metres)."""

    seq: int
    frame: int
    command: int
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: int = 0
    y: int = 0
    z: float = 0.0
    autocontinue: int = 1

    @property
    def lat_deg(self) -> float:
        return self.x / 1e7

    @property
    def lon_deg(self) -> float:
        return self.y / 1e7


def item_from_message(msg: Any) -> Item:
    """An Item (MISSION_ITEM_INT terms) from MISSION_ITEM_INT or (float) MISSION_ITEM.

    A MISSION_ITEM's x/y become degE7 only for commands with a position
    (AP_Mission::convert_MISSION_ITEM_to_MISSION_ITEM_INT); other commands
    keep them as plain numbers.
    """
    if msg.get_type() == "MISSION_ITEM":
        if msg.command in LOCATION_COMMANDS:
            x, y = degrees_to_e7(msg.x), degrees_to_e7(msg.y)
        else:
            x, y = _int32(msg.x), _int32(msg.y)
    else:
        x, y = msg.x, msg.y
    return Item(
        seq=msg.seq,
        frame=msg.frame,
        command=msg.command,
        param1=msg.param1,
        param2=msg.param2,
        param3=msg.param3,
        param4=msg.param4,
        x=x,
        y=y,
        z=msg.z,
        autocontinue=msg.autocontinue,
    )


def _int32(value: float) -> int:
    """A float field converted to int32_t (truncated; out of range or NaN: 0)."""
    if not math.isfinite(value) or abs(value) >= 2**31:
        return 0
    return int(value)


def stored_form(mission_type: int, item: Item) -> Item:
    """``item`` as the vehicle stores it, i.e. as a download reads it back."""
    if mission_type == MISSION:
        return stored_mission_item(item)
    if mission_type == FENCE:
        return stored_fence_item(item)
    return stored_rally_item(item)


def validate_item(mission_type: int, item: Item) -> int:
    """MAV_MISSION_RESULT for storing ``item`` (ACCEPTED or the reason it is refused)."""
    allowed = {MISSION: MISSION_COMMANDS, FENCE: FENCE_COMMANDS, RALLY: RALLY_COMMANDS}
    if item.command not in allowed[mission_type]:
        return mavlink.MAV_MISSION_UNSUPPORTED
    is_nav_location = mission_type != MISSION or item.command in LOCATION_COMMANDS
    # MAV_FRAME_MISSION is an absolute frame to AP_Mission, unknown to the fence loader
    frames = _LOCATION_FRAMES if mission_type == MISSION else _LOCATION_FRAMES - {2}
    if is_nav_location and item.frame not in frames:
        return mavlink.MAV_MISSION_UNSUPPORTED_FRAME
    if is_nav_location and (abs(item.x) > 900_000_000 or abs(item.y) > 1_800_000_000):
        return mavlink.MAV_MISSION_INVALID_PARAM5_X
    return mavlink.MAV_MISSION_ACCEPTED


def validate_fence(items: list[Item]) -> str | None:
    """Why a fence list is unusable (polygon vertex counts must match), or None."""
    i = 0
    while i < len(items):
        it = items[i]
        if it.command in (5001, 5002):
            count = int(it.param1)
            if count < 3 or i + count > len(items):
                return "bad polygon vertex count"
            if any(
                items[j].command != it.command or int(items[j].param1) != count
                for j in range(i, i + count)
            ):
                return "polygon vertices interleaved"
            i += count
            continue
        if it.command in (5003, 5004) and it.param1 <= 0:
            return "circle radius must be positive"
        i += 1
    return None


class ItemStore:
    """The stored items of one mission type (mission items include item 0: home)."""

    def __init__(self, mission_type: int) -> None:
        self.mission_type = mission_type
        self.items: list[Item] = []
        self.version = 0  # bumped on every change; the copter re-reads fences/missions then

    def count(self) -> int:
        if self.mission_type == MISSION:
            return len(self.items) + 1
        return len(self.items)

    def commands(self) -> list[Item]:
        """Items after home (mission) or all items (fence, rally), seq-ordered."""
        return list(self.items)

    def clear(self) -> None:
        self.items = []
        self.version += 1


@dataclass
class _Upload:
    client: Any
    sysid: int
    compid: int
    first: int
    last: int
    request_i: int
    received: list[Item]
    last_receive_s: float
    last_request_s: float
    partial: bool


class MissionProtocol:
    """ArduPilot's MissionItemProtocol for one mission type of one vehicle.

    ``send(client, message)`` sends to the link a request came from;
    ``text(severity, text)`` sends a STATUSTEXT; ``home()`` gives the home
    Item or None; ``on_change()`` is called after a completed upload or clear.
    """

    def __init__(
        self,
        store: ItemStore,
        encoder: mavlink.MAVLink,
        send: Callable[[Any, Any], None],
        text: Callable[[int, str], None],
        home: Callable[[], Item | None],
        on_change: Callable[[int], None],
    ) -> None:
        self.store = store
        self.mav = encoder
        self.send = send
        self.text = text
        self.home = home
        self.on_change = on_change
        self.upload: _Upload | None = None
        # MissionItemProtocol warns once per upload about the float (non-_INT) forms
        self.item_warning_sent = False
        self.request_warning_sent = False

    def warn_float_item(self) -> None:
        """send_mission_item_warning: a MISSION_ITEM (not _INT) arrived for this protocol."""
        if not self.item_warning_sent:
            self.item_warning_sent = True
            self.text(4, "got MISSION_ITEM; GCS should send MISSION_ITEM_INT")

    @property
    def mission_type(self) -> int:
        return self.store.mission_type

    # -- helpers ------------------------------------------------------------
    def _ack(self, client: Any, sysid: int, compid: int, result: int) -> None:
        self.send(client, self.mav.mission_ack_encode(sysid, compid, result, self.mission_type))

    def _request(self, now: float) -> None:
        up = self.upload
        assert up is not None
        up.last_request_s = now
        self.send(
            up.client,
            self.mav.mission_request_encode(up.sysid, up.compid, up.request_i, self.mission_type),
        )

    def _start_requests(self, now: float) -> None:
        """init_send_requests: ask for the first item; the float-form warnings re-arm."""
        self.item_warning_sent = False
        self.request_warning_sent = False
        self._request(now)

    # -- upload -------------------------------------------------------------
    def handle_count(self, client: Any, msg: Any, now: float) -> None:
        if self.upload is not None:
            if (msg.get_srcSystem(), msg.get_srcComponent()) != (
                self.upload.sysid,
                self.upload.compid,
            ):
                self._ack(client, msg.get_srcSystem(), msg.get_srcComponent(), 14)  # DENIED
                return
            self.upload = None  # the same system restarts its upload
        if msg.count > MAX_ITEMS[self.mission_type]:
            self._ack(client, msg.get_srcSystem(), msg.get_srcComponent(), 4)  # NO_SPACE
            self.text(4, f"Only {MAX_ITEMS[self.mission_type]} items are supported")
            return
        self.upload = _Upload(
            client=client,
            sysid=msg.get_srcSystem(),
            compid=msg.get_srcComponent(),
            first=0,
            last=msg.count - 1,
            request_i=0,
            received=[],
            last_receive_s=now,
            last_request_s=now,
            partial=False,
        )
        if msg.count == 0:
            self._complete(now)
            return
        self._start_requests(now)

    def handle_write_partial(self, client: Any, msg: Any, now: float) -> None:
        count = self.store.count()
        if msg.start_index > count or msg.end_index > count or msg.end_index < msg.start_index:
            self.text(4, "Flight plan update rejected")
            self._ack(client, msg.get_srcSystem(), msg.get_srcComponent(), 1)  # ERROR
            return
        self.upload = _Upload(
            client=client,
            sysid=msg.get_srcSystem(),
            compid=msg.get_srcComponent(),
            first=msg.start_index,
            last=msg.end_index,
            request_i=msg.start_index,
            received=[],
            last_receive_s=now,
            last_request_s=now,
            partial=True,
        )
        self._start_requests(now)

    def handle_item(self, client: Any, msg: Any, now: float) -> None:
        up = self.upload
        src = (msg.get_srcSystem(), msg.get_srcComponent())
        if up is None:
            # ArduPilot answers a stray item with an error ack
            self._ack(client, src[0], src[1], 1)
            return
        if msg.seq != up.request_i:
            self._ack(client, src[0], src[1], 13)  # INVALID_SEQUENCE
            return
        if src != (up.sysid, up.compid):
            self._ack(client, src[0], src[1], 14)  # DENIED
            return
        item = item_from_message(msg)
        is_home = self.mission_type == MISSION and item.seq == 0
        result = 0 if is_home else validate_item(self.mission_type, item)
        if result != 0:
            self._ack(client, src[0], src[1], result)
            self.upload = None
            return
        if not is_home:
            up.received.append(stored_form(self.mission_type, item))
        up.last_receive_s = now
        up.request_i += 1
        if up.request_i > up.last:
            self._complete(now)
            return
        self._request(now)

    def _complete(self, now: float) -> None:
        up = self.upload
        assert up is not None
        offset = 1 if self.mission_type == MISSION else 0
        if up.partial:
            items = list(self.store.items)
            for it in up.received:
                idx = it.seq - offset
                if idx < len(items):
                    items[idx] = it
                else:
                    items.append(it)
        else:
            items = up.received
        items = [replace(it, seq=i + offset) for i, it in enumerate(items)]
        result = 0
        notes: list[tuple[int, str]] = []  # STATUSTEXT is queued: it follows the ack
        if self.mission_type == FENCE:
            result = self._fence_result(items, notes)
        if result == 0:
            self.store.items = items
            self.store.version += 1
            if self.mission_type == MISSION:
                notes.append((6, "Flight plan received"))
        self._ack(up.client, up.sysid, up.compid, result)
        for severity, text in notes:
            self.text(severity, text)
        self.upload = None
        if result == 0:
            self.on_change(self.mission_type)

    def _fence_result(self, items: list[Item], notes: list[tuple[int, str]]) -> int:
        """AC_PolyFence_loader::write_fence: validate, check the room, index (SITL)."""
        if validate_fence(items) is not None:
            notes.append((4, "Fence validation failed"))
            return mavlink.MAV_MISSION_ERROR
        need = fence_storage_required(items)
        if need > FENCE_STORAGE_BYTES:
            notes.append((4, "Fence exceeds storage size"))
            return mavlink.MAV_MISSION_ERROR
        if need + 1 > FENCE_STORAGE_BYTES:  # no room left for the end-of-storage marker
            return mavlink.MAV_MISSION_ERROR
        notes.append((7, "Fence Indexed OK"))
        return mavlink.MAV_MISSION_ACCEPTED

    def update(self, now: float) -> None:
        """Timeouts and re-requests; call every step."""
        up = self.upload
        if up is None:
            return
        if now - up.last_receive_s > UPLOAD_TIMEOUT_S:
            self._ack(up.client, up.sysid, up.compid, 15)  # OPERATION_CANCELLED
            self.upload = None
            return
        if now - up.last_request_s > REREQUEST_S:
            self._request(now)

    # -- download -------------------------------------------------------------
    def handle_request_list(self, client: Any, msg: Any) -> None:
        if self.upload is not None:
            self._ack(client, msg.get_srcSystem(), msg.get_srcComponent(), 14)
            return
        self.send(
            client,
            self.mav.mission_count_encode(
                msg.get_srcSystem(), msg.get_srcComponent(), self.store.count(), self.mission_type
            ),
        )

    def _item_at(self, seq: int) -> Item | None:
        if self.mission_type == MISSION:
            if seq == 0:
                return self.home() or Item(seq=0, frame=0, command=16)
            seq -= 1
        if 0 <= seq < len(self.store.items):
            return self.store.items[seq]
        return None

    def handle_request(self, client: Any, msg: Any, want_int: bool) -> None:
        src = (msg.get_srcSystem(), msg.get_srcComponent())
        if self.upload is not None:
            self._ack(client, src[0], src[1], 14)
            return
        item = self._item_at(msg.seq)
        if item is None:
            self._ack(client, src[0], src[1], 13)  # INVALID_SEQUENCE
            return
        current = 0
        if want_int:
            out = self.mav.mission_item_int_encode(
                src[0],
                src[1],
                msg.seq,
                item.frame,
                item.command,
                current,
                item.autocontinue,
                item.param1,
                item.param2,
                item.param3,
                item.param4,
                item.x,
                item.y,
                item.z,
                self.mission_type,
            )
        else:
            x: float = item.x
            y: float = item.y
            if item.command in LOCATION_COMMANDS or self.mission_type != MISSION:
                x, y = e7_to_degrees(item.x), e7_to_degrees(item.y)
            out = self.mav.mission_item_encode(
                src[0],
                src[1],
                msg.seq,
                item.frame,
                item.command,
                current,
                item.autocontinue,
                item.param1,
                item.param2,
                item.param3,
                item.param4,
                x,
                y,
                item.z,
                self.mission_type,
            )
        self.send(client, out)
        if not want_int and not self.request_warning_sent:
            self.request_warning_sent = True
            self.text(4, "got MISSION_REQUEST; use MISSION_REQUEST_INT!")

    def handle_clear_all(self, client: Any, msg: Any) -> None:
        ok = self.upload is None
        if ok:
            self.store.clear()
            self.on_change(self.mission_type)
        self._ack(client, msg.get_srcSystem(), msg.get_srcComponent(), 0 if ok else 1)
