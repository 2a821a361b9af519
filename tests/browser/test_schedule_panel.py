"""The patrol schedule in a real browser: proposals appear, one click flies one, off stops it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from support import browser_page, expose_modules, served_demo, sign_in

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "demo-admin-schedule"


@pytest.fixture(scope="module")
def schedule_server(tmp_path_factory) -> Iterator[str]:
    """``dronepatrol serve --demo 2 --schedule approve`` of its own (an approval launches);
    no cameras: the pages tested show no video, and each camera renders frames all along."""
    data = tmp_path_factory.mktemp("schedule-data")
    options = ("--speedup", "5", "--schedule", "approve", "--demo-cameras", "0")
    with served_demo(data, ADMIN_PASSWORD, *options) as base:
        yield base


@pytest.fixture
def operator_page(browser, schedule_server) -> Iterator[object]:
    with browser_page(browser, schedule_server, viewport={"width": 1366, "height": 900}) as page:
        yield page


def test_the_map_names_drones_keeps_station_flags_on_top_and_proposals_out_of_the_way(
    operator_page, artifacts: Path
) -> None:
    """Before anything flies: drones parked at their stations, two sorties proposed."""
    page = operator_page
    sign_in(page, ADMIN_PASSWORD)
    expose_modules(page)
    page.wait_for_function(
        "document.querySelectorAll('#schedule-pending .proposal').length == 2", timeout=180_000
    )
    # every drone's arrow carries its name
    page.wait_for_function(
        """() => [...document.querySelectorAll('.map-label-drone')]
                   .filter((el) => !el.hidden).length === 2""",
        timeout=30_000,
    )
    # a station's flag stands above the drone parked on it: the flag takes the click
    flag = page.evaluate(
        """async () => {
          const map = dp.map();
          const { kitOf } = await import("/static/map/base.js");
          let station = null;
          map.eachLayer((l) => { if (l.feature && l.feature.properties.kind === "station"
                                     && l.feature.properties.id === "S01") station = l; });
          const box = map.getContainer().getBoundingClientRect();
          const p = map.latLngToContainerPoint(station.getLatLng());
          const x = box.left + p.x + 7, y = box.top + p.y - 14;  // on the flag's cloth
          const drones = [...document.querySelectorAll(".drone-icon")].map((el) => {
            const r = el.getBoundingClientRect();
            return r.left <= x && x <= r.right && r.top <= y && y <= r.bottom; });
          const hit = document.elementFromPoint(x, y);
          return { underDrone: drones.some(Boolean),
                   onFlag: !!(hit && hit.closest(".station-icon")),
                   legend: kitOf(map).legend.keys() };
        }"""
    )
    assert flag["underDrone"], "a drone is parked over the station's flag"
    assert flag["onFlag"]
    # proposed tracks: listed as a layer, in the legend, named by a label; they let the
    # pointer through to the targets beneath them (no tooltip of theirs covers a target)
    for symbol in ("proposal", "drone-disarmed", "station", "overwatch", "point"):
        assert symbol in flag["legend"]
    assert "Proposed sorties" in page.locator(".leaflet-control-layers-overlays").inner_text()
    interactive = page.evaluate(
        """() => { const out = []; dp.map().eachLayer((l) => {
             const dashed = l instanceof L.Polyline && l.options.dashArray === "6 6";
             if (dashed) out.push(l.options.interactive);
           }); return out; }"""
    )
    assert interactive == [False, False]
    page.evaluate("() => dp.map().setZoom(15, { animate: false })")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.map-label-proposal')].some((el) => !el.hidden)",
        timeout=10_000,
    )
    page.screenshot(path=str(artifacts / "map-drones-and-proposals.png"))


def test_operator_approves_a_proposed_sortie_and_turns_the_scheduler_off(
    operator_page, artifacts: Path
) -> None:
    page = operator_page
    sign_in(page, ADMIN_PASSWORD)
    expose_modules(page)
    # each drone, once ready at its station, gets its station's most overdue targets
    expect(page.locator("#schedule-pending .proposal")).to_have_count(2, timeout=180_000)
    s01 = page.locator(".proposal", has_text="S01-1")
    expect(s01).to_contain_text("from S01")
    expect(s01).to_contain_text("never patrolled")  # the reason, in words
    expect(page.locator("#schedule-mode")).to_have_value("approve")
    # both proposed sorties are drawn on the map, dashed, for the operator to see first
    page.wait_for_function(
        """() => {
            let dashed = 0;
            if (!dp.map()) return false;
            dp.map().eachLayer((l) => {
                if (l instanceof L.Polyline && l.options.dashArray === "6 6") dashed += 1;
            });
            return dashed === 2;
        }""",
        timeout=30_000,
    )
    page.screenshot(path=str(artifacts / "schedule-01-proposals.png"))

    s01.locator("button[data-approve]").click()
    assert any("Fly proposal" in d for d in page.dialogs)
    flying = page.locator("#schedule-waiting li", has_text=re.compile(r"^S01-1 flying"))
    expect(flying.first).to_be_visible(timeout=60_000)
    # the launch went through: uploaded, checked, airborne in AUTO
    page.wait_for_function(
        """() => {
            const card = document.querySelector(".card[data-vehicle='S01-1']");
            if (!card) return false;
            const alt = parseFloat(card.textContent.split("alt")[1]);
            return card.textContent.includes("AUTO") && alt > 5;
        }""",
        timeout=120_000,
    )
    expect(page.locator(".proposal", has_text="S01-1")).to_have_count(0)
    page.screenshot(path=str(artifacts / "schedule-02-flying.png"))

    page.select_option("#schedule-mode", "off")
    expect(page.locator("#schedule-pending")).to_contain_text("scheduler is off", timeout=30_000)
    expect(page.locator("#schedule-pending .proposal")).to_have_count(0)
    assert page.console_errors == []
