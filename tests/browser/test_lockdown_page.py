"""Closing the city gates in a real browser: three drones, eight exits, five left uncovered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from support import browser_page, expose_modules, served_demo, sign_in

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "demo-admin-lockdown"


@pytest.fixture(scope="module")
def three_drone_server(tmp_path_factory) -> Iterator[str]:
    """``dronepatrol serve --demo 3`` (two drones at S01, one at S02, 5x speed) of its own.

    Its own server, not the shared demo: a lockdown takes every drone it can. No
    cameras and no scheduler: the page shows neither, and each costs CPU all along.
    """
    data = tmp_path_factory.mktemp("lockdown-data")
    options = ("--speedup", "5", "--demo-cameras", "0", "--schedule", "off")
    with served_demo(data, ADMIN_PASSWORD, *options, drones=3) as base:
        yield base


@pytest.fixture
def commander_page(browser, three_drone_server) -> Iterator[object]:
    with browser_page(browser, three_drone_server) as page:
        yield page


# Overwatch points (class "overwatch-hold" on the map) drawn in red: uncovered or failed.
RED_HOLDS = """() => {
  let n = 0;
  dp.map().eachLayer((l) => {
    const overwatch = l.options && l.options.className === "overwatch-hold";
    if (overwatch && l.options.color === "#ff5d5d") n += 1;
  });
  return n;
}"""

# A dispatched point whose ETA, read again later, is smaller: it counts down.
COUNTED_DOWN = """() => {
  const first = window.firstEtas || (window.firstEtas = {});
  for (const row of document.querySelectorAll("#points tr[data-status=dispatched]")) {
    const eta = row.querySelector("td.eta").dataset.etaS;
    if (eta === "") continue;
    const id = row.dataset.point;
    if (!(id in first)) first[id] = Number(eta);
    else if (Number(eta) < first[id]) {
      const text = row.querySelector("td.eta").textContent;
      return { point: id, first: first[id], later: Number(eta), text };
    }
  }
  return false;
}"""


# Counts the page's reads of the lockdown as their answers are parsed; what the page does
# with an answer runs right after, before the page's next task.
COUNT_LOCKDOWN_ANSWERS = """() => {
  window.lockdownAnswers = 0;
  const json = Response.prototype.json;
  Response.prototype.json = async function () {
    const data = await json.call(this);
    if (new URL(this.url).pathname === "/api/lockdown") window.lockdownAnswers += 1;
    return data;
  };
}"""


def _statuses(page) -> list[str]:
    return page.locator("#points tr[data-point]").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"
    )


def test_commander_closes_the_gates_and_releases(commander_page, artifacts: Path) -> None:
    page = commander_page
    sign_in(page, ADMIN_PASSWORD)
    # a drone can only be sent once it knows where it is
    expect(page.locator("#fleet .pill.ready")).to_have_count(3, timeout=180_000)

    page.click("nav >> text=Lockdown")
    page.wait_for_selector("#plan option[value=gates]", state="attached", timeout=30_000)
    page.select_option("#plan", "gates")
    expect(page.locator("#points tr[data-point]")).to_have_count(8, timeout=30_000)
    assert set(_statuses(page)) == {"planned"}
    expect(page.locator("#plan-info")).to_contain_text("8 overwatch points")
    page.screenshot(path=str(artifacts / "lockdown-01-plan.png"))

    expose_modules(page)
    # the page's first read of the lockdown in force is answered late, after the holds' own
    # reads (as a loaded server may): its stale answer must not undo what they showed
    held = []

    def hold_first_read(route) -> None:
        if route.request.method == "GET" and not held:
            held.append((route, route.fetch()))  # the lockdown as it is now: drones on the way
        else:
            route.continue_()

    page.route("**/api/lockdown", hold_first_read)
    page.click("#activate")
    assert page.dialogs and "gates" in page.dialogs[-1]
    # while a drone is on its way its ETA counts down, second by second
    counted = page.wait_for_function(COUNTED_DOWN, timeout=120_000).json_value()
    assert counted["later"] < counted["first"], counted
    assert counted["text"].split()[1] in ("s", "min"), counted  # "42 s", "1 min 05 s"
    uncovered = page.locator("#uncovered")
    uncovered.wait_for(state="visible", timeout=60_000)
    text = uncovered.inner_text()
    assert "5 points uncovered:" in text
    assert "holds another point" in text
    # every point's row: three with a drone on the way or holding, five uncovered
    expect(page.locator("#points tr[data-status=on_scene]")).to_have_count(3, timeout=240_000)
    assert held, "the page read the lockdown while its drones were on the way"
    route, stale = held[0]
    assert "dispatched" in {p["status"] for p in stale.json()["lockdown"]["points"]}
    page.evaluate(COUNT_LOCKDOWN_ANSWERS)
    route.fulfill(response=stale)
    page.wait_for_function("() => window.lockdownAnswers > 0", timeout=30_000)
    page.evaluate("() => new Promise((ok) => setTimeout(ok, 0))")  # and what follows it ran
    page.unroute("**/api/lockdown")
    expect(page.locator("#points tr[data-status=on_scene]")).to_have_count(3)
    expect(page.locator("#points tr[data-status=uncovered]")).to_have_count(5)
    expect(page.locator("#lockdown-summary")).to_contain_text("in force")
    assert page.evaluate(RED_HOLDS) == 5  # the uncovered points, in red on the map
    assert set(page.locator("#points tr[data-status=on_scene] td.eta").all_inner_texts()) == {
        "on scene"
    }
    expect(page.locator("#activate")).to_be_disabled()
    expect(page.locator("#plan")).to_be_disabled()
    drones = page.locator("#points tr[data-status=on_scene] td:nth-child(2)").all_inner_texts()
    assert sorted(drones) == ["S01-1", "S01-2", "S02-1"]
    for row in page.locator("#points tr[data-status=uncovered] strong").all_inner_texts():
        assert row in text  # each uncovered point is named in the list
    page.screenshot(path=str(artifacts / "lockdown-02-holding.png"))
    page.locator("#points tr[data-point]").last.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "lockdown-02-points.png"))

    page.click("#release-all")
    expect(page.locator("#points tr[data-status=released]")).to_have_count(3, timeout=60_000)
    expect(page.locator("#lockdown-summary")).to_contain_text("ended")
    # the release's answer may come after its dispatch events have redrawn the table
    expect(page.locator("#lockdown-answer")).to_contain_text("released", timeout=30_000)
    expect(page.locator("#activate")).to_be_enabled()
    # released: the map shows the plan again, with no red hold left, and no ETA
    page.wait_for_function(f"({RED_HOLDS})() === 0", timeout=10_000)
    assert set(page.locator("#points td.eta").all_inner_texts()) == {"–"}
    page.screenshot(path=str(artifacts / "lockdown-03-released.png"))
    assert page.console_errors == []
