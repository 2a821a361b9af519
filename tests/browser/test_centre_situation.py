"""The centre's City page draws a station's incidents and lockdown points and plays its
drone's video from the city's media server, in a real Chromium with the CSP enforced.

A real Mosquitto broker and a real Janus on loopback; the centre app is served in this
process, and station ``north`` is a :class:`StationLink` here, publishing a situation
whose incident note is hostile markup, and an H.264 feed of its drone to Janus.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from support import (
    TEST_PASSWORD_COST,
    browser_page,
    expose_modules,
    need_janus,
    sign_in,
    wait_until,
)

from dronepatrol.accounts import Role
from dronepatrol.city import Centre, StationLink
from dronepatrol.city.local_broker import LocalBroker
from dronepatrol.database import make_engine, upgrade
from dronepatrol.events import EventBus, EventKind
from dronepatrol.settings import Settings
from dronepatrol.video.media_server import ExternalJanus, JanusConfig, JanusServer, MediaFanout
from dronepatrol.video.publisher import H264Options
from dronepatrol.web import create_app

pytestmark = pytest.mark.browser

PASSWORD = "centre-situation-admin"
HOSTILE = '<img src=x onerror="window.__pwned = 1">fire & "smoke"'
VIOLATIONS = """window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + (e.sample || e.blockedURI)));"""

INCIDENT_AT = """() => { let at = null;
  const map = dp.map();
  if (!map) return null; // the page makes its map once its first answers are in
  map.eachLayer((l) => {
    if (l.options && String(l.options.className).startsWith("city-incident")) {
      const p = map.latLngToContainerPoint(l.getLatLng());
      const box = map.getContainer().getBoundingClientRect();
      if (map.getBounds().contains(l.getLatLng())) at = [box.left + p.x, box.top + p.y];
    }
  });
  return at; }"""

SITUATION = {
    "incidents": [
        {
            "id": 4,
            "kind": "incident",
            "status": "open",
            "priority": "key",
            "note": HOSTILE,
            "lat_deg": -35.3620,
            "lon_deg": 149.1650,
            "vehicle": None,
            "created_s": 100.0,
        }
    ],
    "open_incidents": 1,
    "lockdown": {
        "name": "close the <gates>",
        "started_by": "chief",
        "started_s": 120.0,
        "points": [
            {
                "id": "G1",
                "name": "east gate",
                "lat_deg": -35.3580,
                "lon_deg": 149.1700,
                "vehicle": "north-1",
                "status": "dispatched",
            }
        ],
    },
}


def serve(app, stack: list) -> str:
    """``app`` served by waitress on a free loopback port, in a thread; its base URL."""
    from waitress.server import create_server
    from waitress.wasyncore import close_all

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = create_server(app, sockets=[listener], threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:
        # closed on the server's own loop thread: closed from here, a socket could vanish
        # under its select() (EBADF kills the loop and leaves the clients' sockets open)
        server.trigger.pull_trigger(lambda: close_all(server._map))
        thread.join(5)
        server.task_dispatcher.shutdown(timeout=5)
        listener.close()

    stack.append(stop)
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


def feed(publisher, stop: threading.Event) -> None:
    """A small moving picture, 10 frames a second, until ``stop``."""
    frame = np.zeros((240, 320, 3), np.uint8)
    n = 0
    while not stop.is_set():
        frame[:] = (n * 7 % 255, 90, 160)
        frame[100:140, (n * 8) % 280 : (n * 8) % 280 + 40] = 255
        publisher.submit(frame.copy(), time.time())
        n += 1
        stop.wait(0.1)


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Iterator[str]:
    """A centre with the city's media server, and station north with an incident, a
    lockdown and a drone (north-1) whose feed goes to that media server."""
    if shutil.which("mosquitto") is None and shutil.which("mosquitto", path="/usr/sbin") is None:
        pytest.skip("mosquitto is not installed: run `make system-deps`")
    need_janus()
    tmp: Path = tmp_path_factory.mktemp("centre-situation")
    stack: list = []
    try:
        broker = LocalBroker(tmp / "broker", ["north"]).start()
        stack.append(broker.stop)
        settings = Settings(data_dir=tmp / "centre", password_cost=TEST_PASSWORD_COST)
        app = create_app({"TESTING": True, "SETTINGS": settings})
        room = app.extensions["dronepatrol"]
        room.accounts.add_user("admin", Role.ADMIN, PASSWORD)
        centre = Centre(room.engine, broker.centre_settings()).start()
        stack.append(centre.stop)
        room.city = centre
        base = serve(app, stack)
        stack.append(room.stop)  # before the server: it ends the page's event stream
        # the city's media server, stopped before the app: no viewer's long poll outlives it
        janus = JanusServer(JanusConfig(ice_interfaces=("lo",))).start()
        stack.append(janus.stop)
        app.extensions["media_server"] = MediaFanout(
            ExternalJanus(janus.api.url, janus.admin_key)
        ).start()

        published = MediaFanout(
            ExternalJanus(janus.api.url, janus.admin_key),
            H264Options(bitrate_bps=300_000, fps=10.0),
        ).start()
        stack.append(published.stop)
        stop_feed = threading.Event()
        feeder = threading.Thread(
            target=feed, args=(published.publisher_for("north-1"), stop_feed), daemon=True
        )
        feeder.start()
        stack.append(lambda: (stop_feed.set(), feeder.join(5)))

        bus = EventBus()
        engine = upgrade(make_engine(f"sqlite:///{tmp / 'north.db'}"))
        stack.append(engine.dispose)
        link = StationLink(
            "north",
            bus,
            engine,
            broker.station_settings("north"),
            situation=lambda: SITUATION,
            video=lambda: [
                {"vehicle": m.vehicle_id, "mountpoint": m.id, "media_server": "city"}
                for m in published.mountpoints()
            ],
        ).start()
        stack.append(link.stop)
        assert link.wait_connected(10)
        for n, (lat, lon) in enumerate([(-35.3600, 149.1660), (-35.3630, 149.1620)], 1):
            bus.emit(
                EventKind.TELEMETRY,
                f"north-{n}",
                lat_deg=lat,
                lon_deg=lon,
                alt_rel_m=30.0,
                armed=True,
                mode="GUIDED",
                heading_deg=0,
            )
        yield base
    finally:
        for stop in reversed(stack):
            stop()


def test_the_centre_page_draws_a_stations_incident_and_lockdown_and_plays_its_video(
    browser, city: str, artifacts: Path
) -> None:
    with browser_page(browser, city, bypass_csp=False) as page:
        page.add_init_script(VIOLATIONS)
        sign_in(page, PASSWORD, lands="/city")  # a centre's first page

        # the incident and the lockdown's point on the map, each with its legend entry
        expose_modules(page)
        where = wait_until(
            lambda: page.evaluate(INCIDENT_AT), 30, "the incident's marker on the map"
        )
        hold = page.locator(".city-hold")
        hold.wait_for(timeout=10_000)
        legend = page.locator(".map-legend li")
        wait_until(
            lambda: (
                {"city-incident-open", "city-hold-dispatched"}
                <= {li.get_attribute("data-symbol") for li in legend.all()}
            ),
            10,
            "the legend entries",
        )
        page.mouse.move(*where)
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.wait_for(timeout=5_000)
        assert (
            tooltip.inner_text() == f"north · incident #4 · key · waiting for a drone · {HOSTILE}"
        )
        hold.hover()
        tooltip = page.locator(".leaflet-tooltip", has_text="lockdown")
        tooltip.wait_for(timeout=5_000)
        assert tooltip.inner_text() == (
            "north · lockdown close the <gates> · point east gate · north-1 · drone on its way"
        )

        # listed beside the map, the station's text shown as text and never run
        listed = page.locator('#situation section[data-station="north"]')
        assert HOSTILE in listed.locator('li[data-incident="4"]').inner_text()
        assert "close the <gates>" in listed.locator(".lockdown").inner_text()
        assert listed.locator('li[data-point="G1"]').inner_text() == (
            "point east gate: north-1 · drone on its way"
        )
        assert page.locator('img[src="x"]').count() == 0
        assert page.evaluate("() => window.__pwned") is None

        # a drone's video from the city's media server over WebRTC
        choose = page.locator("#city-video-drone")
        wait_until(lambda: choose.locator("option").count() == 3, 15, "both drones to choose")
        choose.select_option("north/north-1")
        video = page.locator("#city-video")
        message = page.locator("#city-video-message")
        try:
            wait_until(
                lambda: video.evaluate("v => !v.hidden && v.videoWidth > 0"),
                30,
                "the drone's video to play",
                every_s=0.25,
            )
        except AssertionError:
            page.screenshot(path=str(artifacts / "centre-video-failure.png"))
            raise AssertionError(message.inner_text()) from None
        assert video.evaluate("v => [v.videoWidth, v.videoHeight]") == [320, 240]
        assert message.inner_text() == "Live: north-1 of station north."
        page.screenshot(path=str(artifacts / "centre-situation.png"))

        # a drone whose station announced no feed: said in words, nothing left playing
        choose.select_option("north/north-2")
        wait_until(lambda: "No video" in message.inner_text(), 10, "the no-feed message")
        assert (
            message.inner_text()
            == "No video of north-2: station north has no video feed of north-2."
        )
        assert video.is_hidden()
        assert page.evaluate("() => window.__violations") == []
        assert page.console_errors == [], page.console_errors
