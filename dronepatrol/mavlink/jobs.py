"""Request/answer protocols as explicit state machines run by the link thread.

Each job is one exchange with one vehicle: a command waiting for its
COMMAND_ACK, a parameter read or write (and, in :mod:`.transfer`, a
mission/fence/rally upload or download). The link's owner thread starts
it, offers it every inbound message of its vehicle and ticks it for
timeouts; the job completes a
:class:`concurrent.futures.Future` that callers may wait on (scripts) or not
(web handlers, which learn the outcome from the event).

Events published (``vehicle_id`` set; ``data`` keys):

* ``COMMAND_SENT`` -- ``command_id`` (str), ``command`` (MAV_CMD number),
  ``name`` (MAV_CMD name), ``params`` (list of 7), ``source`` (who sent it), ``attempt``.
* ``COMMAND_RESULT`` -- ``command_id``, ``command``, ``name``, ``ok`` (bool),
  ``result`` (MAV_RESULT name or ``TIMEOUT``), ``result_code`` (int or None),
  ``reason`` (the autopilot's STATUSTEXT, may be empty), ``source``,
  ``attempts``, ``elapsed_s`` [s].

Flight operations submitted by name (:mod:`dronepatrol.mavlink.operations`) publish
the same two kinds with ``operation`` True, ``command`` None, ``name`` the
operation and ``result`` ``DONE`` or the error's name.

Mission, fence and rally transfers are jobs too, in :mod:`dronepatrol.mavlink.transfer`.
"""

from __future__ import annotations

import itertools
from concurrent.futures import Future
from dataclasses import dataclass

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.events import EventKind
from dronepatrol.mavlink.errors import MAV_RESULT_NAMES, CommandError, CommandTimeout, ParamError

MAV_RESULT_ACCEPTED = mavlink.MAV_RESULT_ACCEPTED
MAV_RESULT_IN_PROGRESS = mavlink.MAV_RESULT_IN_PROGRESS
REASON_SEVERITY = 4
"""STATUSTEXTs at MAV_SEVERITY_WARNING or worse explain a refusal; INFO texts do not."""
_command_ids = itertools.count(1)


def command_name(command: int) -> str:
    """MAV_CMD name without its prefix, e.g. ``COMPONENT_ARM_DISARM``."""
    entry = mavlink.enums["MAV_CMD"].get(command)
    return entry.name.removeprefix("MAV_CMD_") if entry else f"MAV_CMD({command})"


def next_command_id() -> str:
    return f"cmd-{next(_command_ids)}"


class Job:
    """One protocol exchange. Subclasses implement start/on_message/tick."""

    lane = "command"
    """Jobs in one lane of one vehicle run one after another."""

    def __init__(self) -> None:
        self.future: Future = Future()
        self.session = None  # set by the link when the job starts

    @property
    def done(self) -> bool:
        return self.future.done()

    def start(self, session, now: float) -> None:
        raise NotImplementedError

    def on_message(self, msg, now: float) -> None:
        """Offered every inbound message of this job's vehicle."""

    def tick(self, now: float) -> None:
        """Called at least every 50 ms: handle timeouts."""

    def fail(self, error: Exception) -> None:
        if not self.future.done():
            self.future.set_exception(error)

    def finish(self, result) -> None:
        if not self.future.done():
            self.future.set_result(result)


@dataclass(frozen=True)
class CommandSpec:
    """A MAV_CMD to send: ``params`` are param1..param7; ``use_int`` sends COMMAND_INT.

    For COMMAND_INT, param5/param6 are latitude/longitude [deg] (sent as
    degE7) and ``frame`` is the MAV_FRAME of param7's altitude.
    """

    command: int
    params: tuple[float, ...] = (0, 0, 0, 0, 0, 0, 0)
    use_int: bool = False
    frame: int = 6  # MAV_FRAME_GLOBAL_RELATIVE_ALT_INT


class CommandJob(Job):
    """Send a command and wait for its COMMAND_ACK, by MAVLink's command protocol.

    Resent after ``ack_timeout_s`` without an ACK, COMMAND_LONG with its
    ``confirmation`` field incremented, up to ``retries`` times. IN_PROGRESS
    ACKs extend the wait. A refusal waits ``reason_grace_s`` for a
    STATUSTEXT when none came with it, so the error carries the autopilot's words.
    """

    lane = "command"

    def __init__(
        self,
        spec: CommandSpec,
        source: str = "",
        ack_timeout_s: float = 1.5,
        retries: int = 4,
        in_progress_timeout_s: float = 30.0,
        reason_grace_s: float = 0.3,
    ) -> None:
        super().__init__()
        self.spec = spec
        self.source = source
        self.command_id = next_command_id()
        self.name = command_name(spec.command)
        self.ack_timeout_s = ack_timeout_s
        self.retries = retries
        self.in_progress_timeout_s = in_progress_timeout_s
        self.reason_grace_s = reason_grace_s
        self.attempt = 0
        self.started = 0.0
        self.deadline = 0.0
        self.refusal: int | None = None
        self.refused_at = 0.0

    def start(self, session, now: float) -> None:
        self.session = session
        self.started = now
        self._send(now)

    def _send(self, now: float) -> None:
        session, spec = self.session, self.spec
        p = [float(v) for v in spec.params] + [0.0] * (7 - len(spec.params))
        if spec.use_int:
            msg = mavlink.MAVLink_command_int_message(
                session.sysid,
                session.compid,
                spec.frame,
                spec.command,
                0,
                0,
                p[0],
                p[1],
                p[2],
                p[3],
                round(p[4] * 1e7),
                round(p[5] * 1e7),
                p[6],
            )
        else:
            msg = mavlink.MAVLink_command_long_message(
                session.sysid, session.compid, spec.command, min(self.attempt, 255), *p
            )
        session.send(msg)
        self.attempt += 1
        self.deadline = now + self.ack_timeout_s
        session.emit(
            EventKind.COMMAND_SENT,
            command_id=self.command_id,
            command=spec.command,
            name=self.name,
            params=p,
            source=self.source,
            attempt=self.attempt,
        )

    def on_message(self, msg, now: float) -> None:
        if msg._type != "COMMAND_ACK" or msg.command != self.spec.command or self.done:
            return
        target = getattr(msg, "target_system", 0)
        component = getattr(msg, "target_component", 0)
        if target not in (0, self.session.gcs_sysid) or component not in (
            0,
            self.session.link.gcs_compid,
        ):
            return  # another ground station's command (one sharing the link, say)
        if self.refusal is not None:
            return
        if msg.result == MAV_RESULT_IN_PROGRESS:
            self.deadline = now + self.in_progress_timeout_s
            return
        if msg.result == MAV_RESULT_ACCEPTED:
            self._complete(now, MAV_RESULT_ACCEPTED, "")
            return
        self.refusal = msg.result
        self.refused_at = now
        if self.session.tracker.recent_texts(self.started, REASON_SEVERITY):
            self._complete(now, msg.result, self._reason())

    def tick(self, now: float) -> None:
        if self.done:
            return
        if self.refusal is not None:
            if self.session.tracker.recent_texts(self.started, REASON_SEVERITY) or (
                now - self.refused_at >= self.reason_grace_s
            ):
                self._complete(now, self.refusal, self._reason())
            return
        if now >= self.deadline:
            if self.attempt > self.retries:
                self._complete(now, None, self._reason())
            else:
                self._send(now)

    def _reason(self) -> str:
        texts = self.session.tracker.recent_texts(self.started, REASON_SEVERITY)
        if not texts:
            return ""
        relevant = [t for t in texts if t.lower().startswith(("prearm", "arm", "disarm"))]
        return (relevant or texts)[-1]

    def _complete(self, now: float, result: int | None, reason: str) -> None:
        ok = result == MAV_RESULT_ACCEPTED
        self.session.emit(
            EventKind.COMMAND_RESULT,
            command_id=self.command_id,
            command=self.spec.command,
            name=self.name,
            ok=ok,
            result="TIMEOUT" if result is None else MAV_RESULT_NAMES.get(result, str(result)),
            result_code=result,
            reason=reason,
            source=self.source,
            attempts=self.attempt,
            elapsed_s=round(now - self.started, 3),
        )
        if ok:
            self.finish(result)
        elif result is None:
            self.fail(CommandTimeout(self.spec.command, self.name, reason))
        else:
            self.fail(CommandError(self.spec.command, self.name, result, reason))


class ParamJob(Job):
    """Read (``value`` None) or set a parameter and wait for its PARAM_VALUE echo."""

    lane = "param"

    def __init__(
        self, name: str, value: float | None = None, timeout_s: float = 1.0, retries: int = 3
    ) -> None:
        super().__init__()
        if len(name) > 16:
            raise ParamError(f"parameter name {name!r} is longer than 16 characters")
        self.name = name
        self.value = value
        self.timeout_s = timeout_s
        self.retries = retries
        self.attempt = 0
        self.deadline = 0.0
        self.kept: float | None = None

    def start(self, session, now: float) -> None:
        self.session = session
        self._send(now)

    def _send(self, now: float) -> None:
        s = self.session
        if self.value is None:
            msg = mavlink.MAVLink_param_request_read_message(
                s.sysid, s.compid, self.name.encode(), -1
            )
        else:
            msg = mavlink.MAVLink_param_set_message(
                s.sysid,
                s.compid,
                self.name.encode(),
                float(self.value),
                mavlink.MAV_PARAM_TYPE_REAL32,
            )
        s.send(msg)
        self.attempt += 1
        self.deadline = now + self.timeout_s

    def on_message(self, msg, now: float) -> None:
        if msg._type != "PARAM_VALUE" or self.done:
            return
        name = msg.param_id if isinstance(msg.param_id, str) else msg.param_id.decode()
        if name.rstrip("\x00") != self.name:
            return
        value = float(msg.param_value)
        if self.value is not None and abs(value - self.value) > 1e-4 * max(1.0, abs(self.value)):
            # Either the vehicle refused the value or this echo answers an earlier read:
            # ask again; only echoes that keep disagreeing are a refusal.
            self.kept = value
            if self.attempt > self.retries:
                self.fail(
                    ParamError(f"{self.name}: vehicle kept {value:g}, refused {self.value:g}")
                )
            else:
                self._send(now)
            return
        self.finish(value)

    def tick(self, now: float) -> None:
        if self.done or now < self.deadline:
            return
        if self.attempt > self.retries:
            if self.kept is not None:
                self.fail(
                    ParamError(f"{self.name}: vehicle kept {self.kept:g}, refused {self.value:g}")
                )
                return
            what = "set" if self.value is not None else "read"
            self.fail(ParamError(f"{self.name}: no answer to {what} after {self.attempt} tries"))
        else:
            self._send(now)
