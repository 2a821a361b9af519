"""Helpers for tests to import (``from support import ...``)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

TEST_PASSWORD_COST = "14"
"""scrypt cost (log2 N) of test accounts: 60 ms a hash instead of the default's 0.75 s.

The default cost (OWASP's 2^17) is tested once, in tests/web/test_hardening.py; every
other test signs in many times and only needs a real hash, not a slow one.
"""


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SteppedClock:
    """Wall-clock time [s since the epoch] that a test moves forward (token expiry...).

    It reads the real clock plus every :meth:`advance` so far: the app's other
    timestamps stay believable while a test jumps hours ahead.
    """

    def __init__(self) -> None:
        self.ahead_s = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead_s

    def advance(self, seconds: float) -> None:
        self.ahead_s += seconds


def wait_until(
    check: Callable[[], T],
    timeout_s: float,
    what: str,
    *,
    accept: Callable[[T], object] = bool,
    every_s: float = 0.1,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``check`` every ``every_s`` [s] until ``accept`` takes its value; return that value.

    ``accept`` is truthiness unless given, so ``check`` may return the value a
    test goes on with (a snapshot, a list of events). Fails after ``timeout_s``
    [s] naming ``what`` and the last value ``check`` returned, so a timeout says
    how far things got. Give generous deadlines: CI runs on two shared cores.
    Exceptions of the types in ``ignoring`` (say ``OSError`` while a server
    starts) count as "not yet". ``every_s=0`` suits a ``check`` that blocks
    itself (a receive with a timeout).
    """
    deadline = time.monotonic() + timeout_s
    last: object = "nothing (check never returned)"
    while True:
        try:
            value = check()
        except ignoring as error:
            last = error
        else:
            if accept(value):
                return value
            last = value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout_s:g} s waiting for {what}; last seen: {last!r}"
            )
        if every_s:
            time.sleep(every_s)


def wait_event(
    subscription: Any,
    timeout_s: float,
    what: str,
    match: Callable[[Any], bool] = lambda event: True,
) -> Any:
    """The next event of ``subscription`` (an event bus subscription) that ``match`` accepts.

    Events it does not accept are dropped. Fails naming ``what``, and the last
    event dropped, after ``timeout_s`` [s].
    """
    deadline = time.monotonic() + timeout_s
    last = None
    while (remaining := deadline - time.monotonic()) > 0:
        event = subscription.get(timeout_s=min(remaining, 1.0))
        if event is not None:
            if match(event):
                return event
            last = event
    raise AssertionError(
        f"timed out after {timeout_s:g} s waiting for {what}; last event dropped: {last!r}"
    )


def wait_events(
    subscription: Any,
    count: int,
    timeout_s: float,
    what: str,
    match: Callable[[Any], bool] = lambda event: True,
) -> list[Any]:
    """The next ``count`` events of ``subscription`` that ``match`` accepts (others dropped).

    Fails after ``timeout_s`` [s] naming ``what`` and the events gathered so far.
    """
    deadline = time.monotonic() + timeout_s
    found: list[Any] = []
    while len(found) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"timed out after {timeout_s:g} s waiting for {what}: "
                f"{len(found)} of {count} events, {found!r}"
            )
        event = subscription.get(timeout_s=min(remaining, 1.0))
        if event is not None and match(event):
            found.append(event)
    return found


def heartbeat_answer(connection: Any, timeout_s: float, what: str) -> Any:
    """The HEARTBEAT a pymavlink ``connection`` hears back while it sends its own, once
    every 0.2 s: an endpoint that listens (udpin) answers only whoever spoke to it."""

    def greet() -> Any:
        connection.mav.heartbeat_send(6, 8, 0, 0, 0)  # a GCS (MAV_TYPE_GCS, autopilot invalid)
        return connection.recv_match(type="HEARTBEAT", blocking=True, timeout=0.2)

    return wait_until(greet, timeout_s, what, every_s=0)


def command_outcome(subscription: Any, request_id: str, timeout_s: float = 120.0) -> Any:
    """The COMMAND_RESULT event of command or operation ``request_id`` on ``subscription``."""
    return wait_event(
        subscription,
        timeout_s,
        f"the outcome of {request_id}",
        lambda event: event.data.get("command_id") == request_id,
    )


@contextmanager
def browser_page(browser: Any, base_url: str, **context_options: Any) -> Iterator[Any]:
    """A fresh page of a Playwright ``browser`` at ``base_url`` (1366x800 unless given).

    It records console and page errors in ``page.console_errors`` (a test ends by
    asserting there are none) and accepts every dialog, keeping its text in
    ``page.dialogs`` (so a test can check what a confirm asked).
    """
    context_options.setdefault("viewport", {"width": 1366, "height": 800})
    # Playwright's wait_for_function evaluates strings, which the app's CSP forbids;
    # tests/browser/test_hostile_text.py loads every page with the CSP enforced.
    context_options.setdefault("bypass_csp", True)
    context = browser.new_context(base_url=base_url, **context_options)
    page = context.new_page()
    page.console_errors = []
    page.dialogs = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))

    def accept(dialog: Any) -> None:
        page.dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    try:
        yield page
    finally:
        context.close()


EXPOSE_MODULES = """async () => {
  const [api, events, map] = await Promise.all(
    [import("/static/api.js"), import("/static/events.js"), import("/static/map.js")]);
  window.dp = { api: api.api, outcome: events.outcome,
                map: () => map.mapOf(document.getElementById("map")) };
}"""


def expose_modules(page: Any) -> None:
    """Give test code the page's own modules as ``window.dp``: ``dp.api``, ``dp.outcome``
    and ``dp.map()`` (the page's Leaflet map, once made).

    The app's scripts are ES modules sharing nothing through ``window``; a module
    imported again by its URL is the same instance the page runs, so ``dp.outcome``
    hears the page's event stream and ``dp.map()`` is the map on screen. Call it
    again after a navigation or reload.
    """
    page.evaluate(EXPOSE_MODULES)


def sign_in(page: Any, password: str, username: str = "admin", lands: str = "/") -> None:
    """Sign in through the login form from the first page, and land on ``lands`` (the
    Operations page; a command centre's is its City page)."""
    page.goto("/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{lands}")


def served_demo(data_dir: Path, admin_password: str, *options: str, drones: int = 2, **kwargs):
    """``dronepatrol serve --demo DRONES OPTIONS`` as a process; yields its base URL once
    healthy (keywords as :func:`served_app`)."""
    return served_app(data_dir, admin_password, "--demo", str(drones), *options, **kwargs)


STOP_TIMEOUT_S = 20.0
"""How long ``serve`` may take to stop everything after Ctrl-C or SIGTERM [s]."""


@contextmanager
def served_app(
    data_dir: Path, admin_password: str, *options: str, stop_signal: int = signal.SIGINT
) -> Iterator[str]:
    """``dronepatrol serve OPTIONS`` as a process; yields its base URL once healthy.

    The server's output goes to ``data_dir/serve.log``. On exit it gets
    ``stop_signal`` (Ctrl-C by default) and must stop cleanly: exit status 0
    within :data:`STOP_TIMEOUT_S`, no traceback in the log, every thread of its
    own stopped, and no process left in its process group.
    """
    port = free_tcp_port()
    env = {
        **os.environ,
        "DRONEPATROL_DATA_DIR": str(data_dir),
        "DRONEPATROL_ADMIN_PASSWORD": admin_password,
    }
    log_path = Path(data_dir) / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dronepatrol", "serve", "--port", str(port), *options],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: anything it starts is seen
        )
        base = f"http://127.0.0.1:{port}"
        stopped_in_s = None
        try:
            listening = f"control app on {base} ".encode()

            def healthy() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(
                        "the server exited:\n" + log_path.read_text(errors="replace")
                    )
                # Another process may have taken the port picked above before this one
                # bound it: its answer must not pass for ours (a test once signed in to a
                # stranger's app and got 401), so the port counts once serve says it
                # listens on it.
                if listening not in log_path.read_bytes():
                    return False
                with urllib.request.urlopen(f"{base}/api/health", timeout=2):
                    return True

            wait_until(healthy, 60, f"/api/health at {base}", every_s=0.3, ignoring=(OSError,))
            yield base
        finally:
            stopping = time.monotonic()
            proc.send_signal(stop_signal)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
                stopped_in_s = time.monotonic() - stopping
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    output = log_path.read_text(errors="replace")
    assert stopped_in_s is not None, f"serve did not stop in {STOP_TIMEOUT_S:g} s:\n{output}"
    assert proc.returncode == 0, f"serve exited with {proc.returncode}:\n{output}"
    assert "Traceback" not in output, output
    assert "DronePatrol control app stopped" in output, output  # no thread left running
    try:
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        pass  # nothing it started outlives it
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("serve left processes running in its process group")


# ------------------------------------------------------------------ a reported day

REPORT_DAY = "2025-11-29"
"""The day :func:`seed_report_day` fills, read in :data:`REPORT_ZONE`."""

REPORT_ZONE = "+08:00"

REPORT_DAY_START_S = 1_764_345_600.0
"""Midnight starting :data:`REPORT_DAY` in :data:`REPORT_ZONE` [s since the epoch]."""


def _feature(kind: str, fid: str, geometry: dict, **props: object) -> dict:
    return {
        "type": "Feature",
        "properties": {"kind": kind, "id": fid, **props},
        "geometry": geometry,
    }


REPORT_NETWORK = {
    "type": "FeatureCollection",
    "name": "Report test network",
    "features": [
        _feature(
            "station", "N", {"type": "Point", "coordinates": [149.165, -35.360]}, name="North"
        ),
        _feature(
            "station", "S", {"type": "Point", "coordinates": [149.165, -35.400]}, name="South"
        ),
        _feature(
            "point",
            "K1",
            {"type": "Point", "coordinates": [149.166, -35.361]},
            priority="key",
            station="N",
            name="School gate",
        ),
        _feature(
            "line",
            "A1",
            {"type": "LineString", "coordinates": [[149.160, -35.362], [149.170, -35.362]]},
            priority="attention",
            station="N",
            name="Main road",
        ),
        _feature(
            "grid",
            "G1",
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [149.160, -35.398],
                        [149.164, -35.398],
                        [149.164, -35.395],
                        [149.160, -35.395],
                        [149.160, -35.398],
                    ]
                ],
            },
            priority="general",
            station="S",
            name="Market",
        ),
        _feature(
            "point",
            "K2",
            {"type": "Point", "coordinates": [149.166, -35.401]},
            priority="key",
            station="S",
            name="Bank",
            revisit_min=60,
        ),
    ],
}
"""A small patrol network: stations N and S, a key point and an attention line of N, a
general grid and a key point (revisit 60 min) of S."""


def seed_report_day(engine) -> None:
    """Fill a migrated database with one worked day of patrol over :data:`REPORT_NETWORK`.

    Times are hours after :data:`REPORT_DAY_START_S`. The figures they give are
    worked out in tests/records/test_patrol_report.py.
    """
    from sqlalchemy.orm import Session

    from dronepatrol.database import Incident, Sortie, TargetVisit, TrackSample, VehicleRecord

    def at(hours: float) -> float:
        return REPORT_DAY_START_S + hours * 3600.0

    north, south = (-35.3605, 149.1652), (-35.3998, 149.1648)  # take-off spots
    with Session(engine) as session:
        session.add_all(
            [
                VehicleRecord(id="V1", name="N-1", first_seen_s=at(-48), last_seen_s=at(30)),
                VehicleRecord(id="V2", name="S-1", first_seen_s=at(-48), last_seen_s=at(30)),
            ]
        )
        session.flush()

        def sortie(vehicle, start_h, end_h, spot, battery, last_h=None, station=""):
            row = Sortie(
                vehicle_id=vehicle,
                started_s=at(start_h),
                ended_s=None if end_h is None else at(end_h),
                outcome=None if end_h is None else "completed",
                station=station,
            )
            session.add(row)
            session.flush()
            if spot is not None:
                last = end_h if end_h is not None else last_h
                mid = (start_h + last) / 2
                for hours, pct in ((start_h, battery[0]), (mid, None), (last, battery[1])):
                    session.add(
                        TrackSample(
                            sortie_id=row.id,
                            time_s=at(hours),
                            lat_deg=spot[0],
                            lon_deg=spot[1],
                            alt_rel_m=40.0,
                            battery_pct=pct,
                        )
                    )
            return row.id

        a = sortie("V1", 5 / 60, 50 / 60, north, (100.0, 40.0))
        sortie("V1", 80 / 60, 125 / 60, north, (95.0, 35.0))
        c = sortie("V2", 410 / 60, 440 / 60, south, (100.0, 70.0))
        sortie("V2", -0.5, 0.5, south, (100.0, 50.0))  # began the day before
        sortie("V2", 23 + 40 / 60, None, south, (90.0, 80.0), last_h=24 + 10 / 60)  # open
        sortie("V1", 10.0, 10.5, None, None, station="N")  # no track: the plan's station

        def visit(target, hours, imaged, sortie_id=a):
            session.add(
                TargetVisit(
                    target_id=target, sortie_id=sortie_id, patrolled_s=at(hours), imaged=imaged
                )
            )

        for hours in (-10 / 60, 15 / 60, 45 / 60, 1.5, 24 + 10 / 60):
            visit("K1", hours, 35.0)
        visit("A1", 1.0, 0.92)
        visit("A1", 2.5, 0.97)
        for hours, imaged in ((7.0, 0.96), (14.0, 0.99), (21.0, 0.95)):
            visit("G1", hours, imaged, c)
        visit("X9", 3.0, 1.0)  # not in the network
        visit("G1", 24.0, 1.0)  # the next day's first moment

        def incident(priority, spot, created_h, dispatched, airborne, on_scene):
            created = at(created_h)
            session.add(
                Incident(
                    created_s=created,
                    lat_deg=spot[0],
                    lon_deg=spot[1],
                    priority=priority,
                    creator="commander",
                    status="on_scene" if on_scene else "failed",
                    dispatched_s=None if dispatched is None else created + dispatched,
                    airborne_s=None if airborne is None else created + airborne,
                    on_scene_s=None if on_scene is None else created + on_scene,
                )
            )

        incident("key", (-35.362, 149.167), 3.0, 30, 90, 300)
        incident("attention", (-35.358, 149.160), 5.0, 60, 120, 420)
        incident("key", (-35.401, 149.163), 9.0, 20, 80, 200)
        incident("general", (-35.397, 149.170), 12.0, 45, None, None)
        incident("key", (-35.362, 149.167), -10 / 60, 10, 20, 30)  # the day before
        session.commit()


# ------------------------------------------------------------------ a recorded hover


def track_snapshot(
    t_s: float, lat_deg: float, lon_deg: float, alt_m: float, armed: bool = True
) -> Any:
    """Vehicle "1" in AUTO at (lat, lon), ``alt_m`` [m] above a home 584 m above sea level,
    heading north, at ``t_s`` [s since the epoch]: one sample of a scripted track."""
    from dronepatrol.state import LinkState, Position, VehicleSnapshot

    return VehicleSnapshot(
        "1",
        link=LinkState.UP,
        armed=armed,
        mode="AUTO",
        time_s=t_s,
        heading_deg=0.0,
        position=Position(lat_deg, lon_deg, 584.0 + alt_m, alt_m),
    )


def publish_hover(
    bus: Any, lat_deg: float, lon_deg: float, t0_s: float, hover_s: float = 40.0
) -> float:
    """Publish one sortie of vehicle "1" on ``bus`` as the fleet would: armed, 5 s climbing
    300 m south of (lat, lon), ``hover_s`` [s] over it at 40 m, landed, disarmed.

    Telemetry is stamped from ``t0_s`` [s since the epoch] at 2 Hz, so a recorder on the bus
    stores a sortie whose track times are known exactly. Returns the landing time [s].
    """
    from dronepatrol.events import EventKind
    from dronepatrol.geo import offset
    from dronepatrol.records import telemetry_event

    def at(t: float, lat: float, lon: float, alt: float, armed: bool = True) -> Any:
        return telemetry_event(track_snapshot(t, lat, lon, alt, armed))

    bus.emit(EventKind.ARMED, "1")
    t = t0_s
    for _ in range(10):
        bus.publish(at(t, *offset(lat_deg, lon_deg, -300, 0), 40))
        t += 0.5
    for _ in range(int(hover_s / 0.5)):
        bus.publish(at(t, lat_deg, lon_deg, 40))
        t += 0.5
    bus.publish(at(t, lat_deg, lon_deg, 0, armed=False))
    bus.emit(EventKind.DISARMED, "1")
    return t


def need_janus() -> None:
    """Skip without the Janus media server on a developer's machine; fail in CI, where
    ``make test`` installs it (``make system-deps``)."""
    import pytest

    if shutil.which("janus") is None:
        if os.environ.get("CI"):
            pytest.fail("Janus is not installed; `make test` installs it (make system-deps)")
        pytest.skip("Janus is not installed: run `make system-deps` (apt-get install janus)")
