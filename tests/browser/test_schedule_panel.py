"""The patrol schedule in a real browser: proposals appear, one click flies one, off stops it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import browser_page, expose_modules, served_demo, sign_in

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "demo-admin-schedule"


@pytest.fixture(scope="module")
def schedule_server(tmp_path_factory) -> Iterator[str]:
    """``dronepatrol serve --demo 2 --schedule approve`` of its own (an approval launches)."""
    data = tmp_path_factory.mktemp("schedule-data")
    options = ("--video-fps", "2", "--speedup", "5", "--schedule", "approve")
    with served_demo(data, ADMIN_PASSWORD, *options) as base:
        yield base


@pytest.fixture
def operator_page(browser, schedule_server) -> Iterator[object]:
    with browser_page(browser, schedule_server, viewport={"width": 1366, "height": 900}) as page:
        yield page


def test_operator_approves_a_proposed_sortie_and_turns_the_scheduler_off(
    operator_page, artifacts: Path
) -> None:
    page = operator_page
    sign_in(page, ADMIN_PASSWORD)
    expose_modules(page)
    # each drone, once ready at its station, gets its station's most overdue targets
    page.wait_for_function(
        "document.querySelectorAll('#schedule-pending .proposal').length == 2", timeout=180_000
    )
    s01 = page.locator(".proposal", has_text="S01-1")
    assert "from S01" in s01.inner_text()
    assert "never patrolled" in s01.inner_text()  # the reason, in words
    assert page.locator("#schedule-mode").input_value() == "approve"
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
    page.wait_for_function(
        """() => [...document.querySelectorAll('#schedule-waiting li')]
                 .some(li => li.textContent.startsWith('S01-1 flying'))""",
        timeout=60_000,
    )
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
    assert page.locator(".proposal", has_text="S01-1").count() == 0
    page.screenshot(path=str(artifacts / "schedule-02-flying.png"))

    page.select_option("#schedule-mode", "off")
    page.wait_for_function(
        "document.querySelector('#schedule-pending').textContent.includes('scheduler is off')",
        timeout=30_000,
    )
    assert page.locator("#schedule-pending .proposal").count() == 0
    assert page.console_errors == []
