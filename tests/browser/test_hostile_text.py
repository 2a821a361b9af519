"""Hostile text in a real browser: no page runs script from a file, a vehicle or a person.

The patrol network, a large-event file and an incident note carry names and
ids written to break out of HTML (``<img onerror>``) and out of quoted
attributes (``" onmouseover="``). Every page is loaded as a commander would
use it, and Leaflet's tooltips and popups are rendered the moment they are
bound (an init script hooks ``bindTooltip``/``bindPopup``), so text shown
only on hover is checked too. A page passes when no probe element or
attribute reached the DOM and the Content-Security-Policy reported nothing.
A vehicle on a real MAVLink link sends hostile STATUSTEXTs to the fleet cards,
and the City page's goto answer quotes a hostile no-fly zone name.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import browser_page, served_app, sign_in

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "demo-admin-hostile"
MISSIONS = Path(__file__).resolve().parents[2] / "missions"

TAG = '<img src=x class=xss-probe onerror="window.__xss=1">'
"""Breaks out of element content: an image whose error handler would run."""
ATTR = 'q" data-xss-probe="1" onmouseover="window.__xss=1'
"""Breaks out of a double-quoted attribute value."""
SINGLE = "q' data-xss-probe='1"
"""Breaks out of a single-quoted attribute value."""

PROBE_SCRIPT = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + (e.sample || e.blockedURI)));
let leaflet;
Object.defineProperty(window, "L", {
  configurable: true,
  get() { return leaflet; },
  set(value) {
    leaflet = value;
    for (const name of ["bindTooltip", "bindPopup"]) {
      const bind = value.Layer.prototype[name];
      value.Layer.prototype[name] = function (content, options) {
        // what Leaflet does when it opens: a string becomes innerHTML, a node goes in as it is
        if (typeof content === "string" || content instanceof Node) {
          const box = document.createElement("div");
          box.className = "probe-render";
          box.hidden = true;
          if (typeof content === "string") box.innerHTML = content;
          else box.appendChild(content.cloneNode(true));
          document.documentElement.appendChild(box);
        }
        return bind.call(this, content, options);
      };
    }
  },
});
"""


def _hostile_network(path: Path) -> Path:
    network = json.loads((MISSIONS / "canberra-sitl.geojson").read_text())
    payloads = [TAG, ATTR, SINGLE]
    for k, feature in enumerate(network["features"]):
        props = feature["properties"]
        if props["kind"] == "station":
            props["name"] = TAG  # ids stay: the demo drones are named after them
            continue
        props["name"] = payloads[k % 3]
        props["id"] = f"{props['id']}{payloads[(k + 1) % 3]}"
    out = path / "hostile.geojson"
    out.write_text(json.dumps(network))
    return out


def _hostile_event() -> dict:
    event = json.loads((MISSIONS / "canberra-showground-event.geojson").read_text())
    now = datetime.now(UTC)
    for k, feature in enumerate(event["features"]):
        props = feature["properties"]
        if props["kind"] == "zone":
            props["name"] = TAG
            props["start"] = (now - timedelta(minutes=5)).isoformat()
            props["end"] = (now + timedelta(hours=2)).isoformat()
        else:
            props["name"] = [TAG, ATTR, SINGLE][k % 3]
            props["id"] = f"{props['id'][:20]}{[ATTR, TAG, SINGLE][k % 3]}"
    return event


def _api(base: str, method: str, path: str, body: dict, token: str = "") -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("hostile-data")
    network = _hostile_network(data)
    options = ("--demo", "1", "--network", str(network), "--video-fps", "2", "--speedup", "5")
    with served_app(data, ADMIN_PASSWORD, *options) as base:
        token = _api(base, "POST", "/api/login", {"username": "admin", "password": ADMIN_PASSWORD})
        _api(base, "POST", "/api/large-events", _hostile_event(), token["token"])
        incident = {"lat": -35.3632, "lon": 149.1652, "priority": "key", "note": TAG + ATTR}
        _api(base, "POST", "/api/incidents", incident, token["token"])
        yield base


PAGES = {
    "/": "#large-events .event-card",
    "/planner": "#map .leaflet-pane",
    "/video": "#map .leaflet-pane",
    "/incidents": "[data-incident]",
    "/lockdown": "#points tr[data-point]",
    "/sorties": "#map .leaflet-pane",
    "/reports": "main",
}


def test_no_page_runs_script_from_hostile_text(browser, hostile_server, artifacts) -> None:
    with browser_page(browser, hostile_server, bypass_csp=False) as page:
        page.add_init_script(PROBE_SCRIPT)
        sign_in(page, ADMIN_PASSWORD)
        for path, ready in PAGES.items():
            page.goto(path)
            page.wait_for_selector(ready, state="attached", timeout=60_000)
            found = page.evaluate(
                """() => ({
                  probes: document.querySelectorAll(".xss-probe, [data-xss-probe]").length,
                  ran: window.__xss === 1,
                  violations: window.__violations,
                  rendered: document.querySelectorAll(".probe-render").length,
                })"""
            )
            page.screenshot(path=str(artifacts / f"hostile{path.replace('/', '-') or '-'}.png"))
            assert found["probes"] == 0, f"{path}: hostile text became HTML"
            assert not found["ran"], f"{path}: hostile text ran script"
            assert found["violations"] == [], f"{path}: {found['violations']}"
            if path in ("/", "/lockdown"):
                assert found["rendered"] > 0, f"{path}: the tooltip probe saw no tooltip"
        assert page.console_errors == []


WATCHED_FROM_OUTSIDE = """async (message) => {
  const { placeOrders } = await import("/static/city_orders.js");
  const box = document.createElement("div");
  box.style.height = "200px";
  document.body.appendChild(box);
  const map = L.map(box).setView([-35.3, 149.1], 15);
  const accepted = { route: null, watch: { from_outside: true, lat: -35.3, lon: 149.1, message } };
  const orders = placeOrders(map, { legend: { show() {} } },
    (_v, _name, _answer, _body, onAccepted) => onAccepted(accepted));
  const card = document.createElement("div");
  card.className = "card";
  const controls = document.createElement("div");
  const answer = document.createElement("p");
  card.append(controls, answer);
  document.body.appendChild(card);
  orders.addButtons(controls, () => ({ vehicle: "north-1", station: "north" }), answer);
  controls.querySelector('button[data-command="goto"]').click();
  map.fire("click", { latlng: L.latLng(-35.3005, 149.1005) });
  card.querySelector('form[data-order="goto"]').requestSubmit();
  map.eachLayer((l) => l.getTooltip && l.getTooltip() && l.openTooltip());
  return {
    probes: document.querySelectorAll(".xss-probe, [data-xss-probe]").length,
    tooltips: [...document.querySelectorAll(".leaflet-tooltip")].map((t) => t.textContent),
  };
}"""


def test_a_goto_watched_from_outside_shows_the_zone_name_as_text(page, admin_password) -> None:
    """The City page's goto answer quotes the station's no-fly zone by name (its network
    file's text): its tooltip once put that name into the page as HTML."""
    sign_in(page, admin_password)
    message = f"watching from 180 m outside the no-fly zone '{TAG}'"
    found = page.evaluate(WATCHED_FROM_OUTSIDE, message)
    assert found["probes"] == 0, "a no-fly zone's name became HTML"
    assert found["tooltips"] == [message]


class HostileVehicle:
    """A vehicle on a real MAVLink link whose STATUSTEXT is written to break out of HTML.

    It sends what an ArduCopter sends at rest (a heartbeat, its position) once a
    second, and a STATUSTEXT that alternates between an element and an attribute
    break-out (50 characters is all MAVLink carries).
    """

    TEXTS = ("<img src=x class=xss-probe>", 'q" data-xss-probe="1')

    def __init__(self, port: int) -> None:
        from pymavlink import mavutil

        self._mavlink = mavutil.mavlink
        self._link = mavutil.mavlink_connection(
            f"udpout:127.0.0.1:{port}", source_system=1, source_component=1
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hostile-vehicle", daemon=True)

    def __enter__(self) -> HostileVehicle:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._link.close()

    def _run(self) -> None:
        mav, k = self._mavlink, 0
        while not self._stop.is_set():
            link = self._link.mav
            link.heartbeat_send(
                mav.MAV_TYPE_QUADROTOR,
                mav.MAV_AUTOPILOT_ARDUPILOTMEGA,
                mav.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
                0,
                mav.MAV_STATE_STANDBY,
            )
            link.global_position_int_send(k * 1000, -353632610, 1491652300, 584000, 0, 0, 0, 0, 0)
            link.statustext_send(mav.MAV_SEVERITY_WARNING, self.TEXTS[k % 2].encode())
            k += 1
            self._stop.wait(1.0)


SEEN_OR_PROBED = """(texts) => {
  window.__seen = window.__seen || new Set();
  const shown = document.querySelector(".card[data-vehicle='1'] .statustext");
  if (shown && texts.includes(shown.textContent)) window.__seen.add(shown.textContent);
  return window.__seen.size === texts.length
    || document.querySelector(".xss-probe, [data-xss-probe]") !== null;
}"""


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_vehicle_s_status_text_is_shown_as_text(browser, tmp_path, artifacts) -> None:
    """A vehicle's message reaches every operator's fleet card: it must stay text."""
    port = _free_udp_port()
    options = ("--connect", f"udpin:127.0.0.1:{port}", "--schedule", "off")
    with (
        served_app(tmp_path, ADMIN_PASSWORD, *options) as base,
        HostileVehicle(port),
        browser_page(browser, base, bypass_csp=False) as page,
    ):
        page.add_init_script(PROBE_SCRIPT)
        sign_in(page, ADMIN_PASSWORD)
        # both texts in turn on the drone's card, or hostile markup in the page: whichever first
        page.wait_for_function(SEEN_OR_PROBED, arg=list(HostileVehicle.TEXTS), timeout=60_000)
        found = page.evaluate(
            """() => ({
              probes: document.querySelectorAll(".xss-probe, [data-xss-probe]").length,
              violations: window.__violations,
              seen: [...window.__seen].sort(),
            })"""
        )
        page.screenshot(path=str(artifacts / "hostile-vehicle.png"))
        assert found == {"probes": 0, "violations": [], "seen": sorted(HostileVehicle.TEXTS)}
