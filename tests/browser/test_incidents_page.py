"""The Incidents page in a real browser: every state in words and with its own marker, and
a lockdown hold that is over offers no Dispatch while an incident in the same state does."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from support import browser_page, expose_modules, served_demo, sign_in

from dronepatrol.database import make_engine, upgrade
from dronepatrol.incidents import IncidentBook
from dronepatrol.settings import Settings

pytestmark = pytest.mark.browser

PASSWORD = "incidents-admin"

# (kind, status, drone) of each seeded incident, in order of creation; places south-west
# of station S01, clear of the demo's no-fly zones. Drones not in the fleet keep S01-1 free.
SEEDED = [
    ("incident", "open", None),
    ("incident", "dispatched", "S09-1"),
    ("incident", "on_scene", "S09-2"),
    ("incident", "failed", "S09-3"),
    ("incident", "released", "S09-4"),
    ("hold", "released", "S09-5"),
    ("hold", "failed", "S09-6"),
]
WORDS = {
    "open": "waiting for a drone",
    "dispatched": "drone on its way",
    "on_scene": "drone on scene",
    "failed": "failed",
    "released": "released",
}


@pytest.fixture(scope="module")
def incidents_server(tmp_path_factory) -> Iterator[tuple[str, list[int]]]:
    """``dronepatrol serve --demo 1`` over a database holding one incident in each state
    and two lockdown holds that are over; yields its URL and the incidents' ids."""
    data = tmp_path_factory.mktemp("incidents-data")
    engine = upgrade(make_engine(Settings(data_dir=data).effective_database_url))
    book = IncidentBook(engine)
    ids = []
    for k, (kind, status, drone) in enumerate(SEEDED):
        made = book.create(-35.3650 - 0.0007 * k, 149.1630, "key", f"{kind} {status}", "cmdr", kind)
        book.mark(
            made.id, status=status, vehicle_id=drone, failure="lost link" * (status == "failed")
        )
        ids.append(made.id)
    engine.dispose()
    options = (
        "--speedup",
        "5",
        "--demo-cameras",
        "0",
        "--schedule",
        "off",
    )  # the page shows neither
    with served_demo(data, PASSWORD, *options, drones=1) as base:
        yield base, ids


# Each incident marker's look on the map, by the "#id" its tooltip starts with.
MARKERS = """() => {
  const looks = {};
  dp.map().eachLayer((l) => {
    const tip = l instanceof L.CircleMarker && l.getTooltip && l.getTooltip();
    const text = tip ? String(tip.getContent()) : "";
    if (text.startsWith("#")) {
      const look = { colour: l.options.color, dash: l.options.dashArray, text };
      looks[text.slice(1).split(" ")[0]] = look;
    }
  });
  return looks;
}"""


def test_states_in_words_and_markers_and_no_dispatch_for_a_hold_that_is_over(
    browser, incidents_server, artifacts
) -> None:
    base, ids = incidents_server
    with browser_page(browser, base) as page:
        sign_in(page, PASSWORD)
        page.click("nav >> text=Incidents")
        page.wait_for_url("**/incidents")
        expose_modules(page)
        page.wait_for_selector(f".card[data-incident='{ids[-1]}']", timeout=30_000)
        for incident, (kind, status, _) in zip(ids, SEEDED, strict=True):
            card = page.locator(f".card[data-incident='{incident}']")
            assert card.locator(".pill").inner_text() == WORDS[status]
            assert ("lockdown hold" in card.locator(".muted").inner_text()) == (kind == "hold")
        # each state its own marker; "waiting for a drone" also as a dashed ring
        page.wait_for_function(f"Object.keys(({MARKERS})()).length >= {len(ids)}")
        looks = page.evaluate(MARKERS)
        by_status = {}
        for incident, (_, status, _) in zip(ids, SEEDED, strict=True):
            look = looks[str(incident)]
            assert WORDS[status] in look["text"]
            by_status.setdefault(status, set()).add((look["colour"], look["dash"]))
        assert all(len(v) == 1 for v in by_status.values()), by_status
        assert len({next(iter(v)) for v in by_status.values()}) == len(WORDS)
        assert next(iter(by_status["open"]))[1]  # dashed

        # once the drone knows where it is, the open, failed and released incidents are
        # offered to it; the two holds that are over are not
        released = page.locator(f".card[data-incident='{ids[4]}'] button[data-dispatch]")
        released.wait_for(timeout=180_000)
        assert released.inner_text() == "Dispatch S01-1"
        page.screenshot(path=str(artifacts / "incidents-states.png"))
        for index in (0, 3):
            assert page.locator(
                f".card[data-incident='{ids[index]}'] button[data-dispatch]"
            ).count()
        for hold in ids[5:]:
            card = page.locator(f".card[data-incident='{hold}']")
            assert card.locator("button").count() == 0, card.inner_html()
        for index in (1, 2):  # a drone on it: Release, not Dispatch
            buttons = page.locator(f".card[data-incident='{ids[index]}'] button")
            assert buttons.all_inner_texts() == [f"Release {SEEDED[index][2]}"]
        # and the server agrees: a hold that is over is not dispatched again
        refused = page.evaluate(
            """(id) => dp.api("POST", `/api/incidents/${id}/dispatch`, {})
                 .then(() => null, (e) => ({ status: e.status, message: e.message }))""",
            ids[5],
        )
        assert refused["status"] == 409 and "lockdown hold" in refused["message"], refused
        page.console_errors[:] = [e for e in page.console_errors if "409" not in e]
        assert page.console_errors == [], json.dumps(page.console_errors)
