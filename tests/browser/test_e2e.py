"""The control room in a real browser, as an operator uses it on the demo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from support import served_demo, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, admin_password) -> Iterator[str]:
    """A demo of this file's own (``--demo 2``, 4x, cameras at 1 fps): the operator here
    flies one drone on a grid and sends the other to an incident, and the other files'
    shared demo must keep its drones on the ground, whichever file a worker runs first
    (the fleet-card tests found both airborne once and failed)."""
    data = tmp_path_factory.mktemp("e2e-own")
    with served_demo(data, admin_password, "--video-fps", "1", "--speedup", "4") as base:
        yield base


# True once the live picture differs from the one seen at the first call.
NEW_FRAME = """() => {
  const img = document.getElementById("large");
  const pen = document.createElement("canvas");
  [pen.width, pen.height] = [img.naturalWidth, img.naturalHeight];
  const g = pen.getContext("2d");
  g.drawImage(img, 0, 0);
  const pixels = g.getImageData(0, 0, pen.width, pen.height).data;
  let sum = 0;
  for (let k = 0; k < pixels.length; k++) sum = (sum * 31 + pixels[k]) | 0;
  if (window.firstFrame === undefined) window.firstFrame = sum;
  return sum !== window.firstFrame;
}"""


def test_wrong_password_is_told(page) -> None:
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-it")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_have_text("wrong user name or password")
    page.console_errors.clear()  # the 401 of the refused form is expected


def test_operator_flies_a_planned_grid_and_finds_the_sortie(page, admin_password, artifacts):
    sign_in(page, admin_password)
    expect(page.locator(".drone-icon")).to_have_count(2, timeout=60_000)
    expect(page.locator(".card[data-vehicle='S01-1'] .pill.up")).to_be_visible(timeout=60_000)
    # GPS fix and EKF take their time, as on a real copter: the panel says when it can fly
    for vehicle in ("S01-1", "S02-1"):
        ready = page.locator(f".card[data-vehicle='{vehicle}'] .pill.ready")
        expect(ready).to_be_visible(timeout=120_000)
    page.screenshot(path=str(artifacts / "01-operations.png"))

    page.click("nav >> text=Planner")
    page.select_option("#station", "S01")
    page.fill("#targets", "G001")
    page.click("#plan-form button[type=submit]")
    card = page.locator(".card[data-sortie]").first
    expect(card).to_be_visible(timeout=60_000)
    expect(page.locator("#plan-status")).to_contain_text("Plan P")
    card.locator("select.vehicle").select_option("S01-1")
    card.locator("button[data-action=upload]").click()
    expect(card.locator(".answer")).to_contain_text("Uploaded", timeout=120_000)
    card.locator("button[data-action=start]").click()
    expect(card.locator(".answer")).to_contain_text("Flying", timeout=120_000)
    page.screenshot(path=str(artifacts / "02-planner.png"))

    page.click("nav >> text=Operations")
    page.wait_for_function(
        """() => {
            const card = document.querySelector(".card[data-vehicle='S01-1']");
            if (!card) return false;
            const text = card.textContent;
            const alt = parseFloat(text.split("alt")[1]);
            return text.includes("AUTO") && alt > 5;
        }""",
        timeout=120_000,
    )
    page.screenshot(path=str(artifacts / "03-flying.png"))

    page.click("nav >> text=Video")
    page.wait_for_function(
        "() => { const i = document.getElementById('large');"
        " return i && !i.hidden && i.naturalWidth > 0; }",
        timeout=60_000,
    )
    # a later frame of the stream than the first (its burned-in clock ticks every second)
    page.wait_for_function(NEW_FRAME, polling=100, timeout=30_000)
    page.screenshot(path=str(artifacts / "04-video.png"))

    # an incident near the second station: the idle drone there is proposed and sent
    page.click("nav >> text=Incidents")
    expect(page.locator(".drone-icon")).to_have_count(2, timeout=60_000)
    page.fill("#incident-pos", "-35.3630, 149.1830")
    page.fill("#incident-note", "crowd at the east depot gate")
    page.click("#incident-form button[type=submit]")
    dispatch = page.locator("button[data-dispatch]").first
    expect(dispatch).to_contain_text("S02-1", timeout=30_000)
    dispatch.click()
    expect(page.locator("button[data-release]")).to_be_visible(timeout=60_000)
    card = page.locator(".card[data-incident]").first
    expect(card).to_have_attribute("data-status", "on_scene", timeout=180_000)
    expect(card.locator(".pill")).to_have_text("drone on scene")
    page.screenshot(path=str(artifacts / "05-incident.png"))

    page.click("nav >> text=Sorties")
    row = page.locator("#sortie-rows tr[data-id]", has_text="S01-1").first
    expect(row).to_be_visible(timeout=60_000)
    row.click()
    try:
        expect(page.locator("#sortie-detail .card").first).to_be_visible(timeout=30_000)
    except AssertionError as exc:
        page.screenshot(path=str(artifacts / "failure.png"))
        raise AssertionError(f"no sortie detail; console: {page.console_errors}") from exc
    expect(page.locator("#sortie-detail")).to_contain_text("S01-1")
    page.screenshot(path=str(artifacts / "06-sorties.png"))
    assert page.console_errors == []
