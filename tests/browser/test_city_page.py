"""The command centre's City page over a real city: a Mosquitto broker, a centre and a
station flying a simulated drone, each its own process, and a real Chromium.

The page draws the station's network and drone from ``GET /api/city``, sends an RTL
through the station and shows the station's answer (refused on the ground; accepted
and then completed in the air), sends an orbit and a goto to a place picked on the map
inside the station's substation no-fly zone (the orbit refused with the reason, the
goto watched from outside), and marks the station and its drone stale once the
station stops.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import browser_page, expose_modules, sign_in, wait_until

from dronepatrol.accounts import AccountService, Role
from dronepatrol.cli.city import CityDemo
from dronepatrol.database import make_engine
from dronepatrol.network import load_network
from dronepatrol.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.serial]

PASSWORD = "city-page-admin"
VIEWER_PASSWORD = "city-page-viewer"

NETWORK_FEATURES = """() => { let n = 0;
  dp.map().eachLayer((l) => { if (l.feature && l.feature.properties) n += 1; });
  return n; }"""

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"

ROUTE_DRAWN = """() => { let n = 0;
  dp.map().eachLayer((l) => { if (l.getLatLngs && l.options.dashArray === "6 5") n += 1; });
  return n; }"""

DRONE_MARKER = """(title) => { let found = null;
  dp.map().eachLayer((l) => { if (l.options && l.options.title === title) found = l; });
  const svg = found && found.getElement() && found.getElement().querySelector("svg");
  return svg ? svg.getAttribute("aria-label") : null; }"""


VIOLATIONS = """window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + (e.sample || e.blockedURI)));"""


def take_off(station_url: str, vehicle: str) -> bool:
    """Ask the station itself to take ``vehicle`` off; False while it is not ready yet."""
    login = urllib.request.Request(
        station_url + "/api/login",
        data=json.dumps({"username": "admin", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=15) as response:
        token = json.load(response)["token"]
    request = urllib.request.Request(
        f"{station_url}/api/vehicles/{vehicle}/commands",
        data=json.dumps({"command": "takeoff", "alt_m": 15.0, "confirm": True}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status == 202
    except urllib.error.HTTPError as error:
        assert error.code == 409, error.read()
        return False


def order_at(page, card, order: str, lat: float, lon: float, alt_m: float) -> None:
    """Press the card's goto/orbit button, click (lat, lon) on the map, set the altitude, send."""
    card.locator(f'button[data-command="{order}"]').click()
    form = card.locator(f'form[data-order="{order}"]')
    form.wait_for(state="visible")
    page.evaluate(f"() => dp.map().setView([{lat}, {lon}], 16, {{ animate: false }})")
    point = page.evaluate(
        f"() => {{ const p = dp.map().latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }}"
    )
    page.locator("#map").click(position={"x": point[0], "y": point[1]})
    assert "?" in form.locator(".pick").inner_text()  # "Send north-1 to -35.36…, 149.16…?"
    form.locator("input[name=alt_m]").fill(f"{alt_m:g}")
    form.locator("button[type=submit]").click()


@pytest.fixture
def city(tmp_path: Path) -> Iterator[CityDemo]:
    """A broker, a centre (SQLite, with a viewer account) and station ``north`` with one
    simulated drone."""
    if shutil.which("mosquitto") is None and shutil.which("mosquitto", path="/usr/sbin") is None:
        pytest.skip("mosquitto is not installed: run `make system-deps`")
    with CityDemo(tmp_path, ["north"], admin_password=PASSWORD, tls=False, speedup=3.0) as demo:
        engine = make_engine(Settings(data_dir=demo.centre.data_dir).effective_database_url)
        AccountService(engine).add_user("viewer", Role.VIEWER, VIEWER_PASSWORD)
        engine.dispose()
        yield demo
    for node in demo.nodes():
        assert "Traceback" not in node.log(), node.log()[-3000:]


def test_the_centre_page_shows_a_station_commands_its_drone_and_marks_it_stale(
    browser, city: CityDemo, artifacts: Path
) -> None:
    # a viewer, with the CSP enforced: the live page without a violation, and no commands
    with browser_page(browser, city.centre.url, bypass_csp=False) as page:
        page.add_init_script(VIOLATIONS)
        sign_in(page, VIEWER_PASSWORD, username="viewer", lands="/city")  # a centre's first page
        page.wait_for_selector('#drones .card[data-station="north"]', timeout=60_000)
        assert page.evaluate("() => window.__violations") == []
        assert page.locator("#drones button").count() == 0
        assert page.locator("#order-hint").is_hidden()  # no goto or orbit for a viewer
        assert page.console_errors == [], page.console_errors

    with browser_page(browser, city.centre.url) as page:
        sign_in(page, PASSWORD, lands="/city")  # a centre's first page
        assert page.locator('meta[http-equiv="refresh"]').count() == 0
        expose_modules(page)
        # the station's network and its drone on the map, the station listed as live
        page.wait_for_function(f"dp.map() && ({NETWORK_FEATURES})() > 0", timeout=60_000)
        row = page.locator('#stations tr[data-station="north"]')
        row.wait_for(timeout=30_000)
        assert row.locator("td.state").inner_text() == "live"
        card = page.locator('#drones .card[data-station="north"]')
        card.wait_for(timeout=60_000)
        vehicle = card.get_attribute("data-vehicle")
        title = f"{vehicle} (north)"
        page.wait_for_function(f"({DRONE_MARKER})({title!r}) !== null", timeout=30_000)
        assert page.evaluate(f"({DRONE_MARKER})({title!r})") == vehicle

        # RTL from the page goes through the station, whose answer the card shows
        card.locator('button[data-command="rtl"]').click()
        answer = card.locator(".answer")
        page.wait_for_function(
            "(el) => !el.textContent.includes('sent to station')",
            arg=answer.element_handle(),
            timeout=30_000,
        )
        text = answer.inner_text()
        assert re.search(r"accepted by station north|station north: (refused|expired)", text), text

        # airborne, the drone takes the RTL: accepted by the station, then completed
        wait_until(lambda: take_off(city.stations["north"].url, vehicle), 120, "a take-off")
        wait_until(lambda: "yes" in card.locator(".figures").inner_text(), 60, "the drone armed")

        # an orbit round the substation would enter it: the station refuses, saying why;
        # a goto there is flown to the nearest safe point outside, camera on the place
        zone = next(z for z in load_network(EXAMPLE).nofly if z.name == "Substation")
        lat, lon = zone.geometry.centroid.y, zone.geometry.centroid.x
        assert page.locator("#order-hint").is_visible()
        order_at(page, card, "orbit", lat, lon, 20)
        wait_until(lambda: "refused" in answer.inner_text(), 30, "the orbit refused")
        assert "orbit of 50 m" in answer.inner_text() and "Substation" in answer.inner_text()
        order_at(page, card, "goto", lat, lon, 20)
        wait_until(lambda: "accepted" in answer.inner_text(), 30, "the goto accepted")
        assert re.fullmatch(
            r"Go to: accepted by station north \(watching from \d+ m outside the no-fly zone "
            r"'Substation'\), waiting for the drone…",
            answer.inner_text(),
        ), answer.inner_text()
        assert page.evaluate(f"({ROUTE_DRAWN})()") == 1  # the path the station flies
        page.screenshot(path=str(artifacts / "city-00-goto-watched-from-outside.png"))

        # the RTL takes the card: the goto it cut short says nothing more there
        card.locator('button[data-command="rtl"]').click()
        wait_until(
            lambda: re.search(r"completed|failed", answer.inner_text()),
            60,
            "the RTL's outcome on the card",
        )
        # the station's RTL operation
        assert answer.inner_text() == "RTL: completed (DONE)", answer.inner_text()
        page.screenshot(path=str(artifacts / "city-01-live.png"))

        # the station stops: the centre page marks it and its drone stale, in words
        city.stations["north"].stop()
        wait_until(
            lambda: "STALE" in row.locator("td.state").inner_text(), 30, "north marked stale"
        )
        assert "stale" in card.locator(".where").inner_text()
        assert page.evaluate(f"({DRONE_MARKER})({title!r})") == f"{vehicle} (stale)"
        assert card.locator('button[data-command="rtl"]').is_disabled()
        page.screenshot(path=str(artifacts / "city-02-stale.png"))
        # the browser logs a refused command's 409; nothing else may go wrong
        assert [e for e in page.console_errors if "409" not in e] == []
