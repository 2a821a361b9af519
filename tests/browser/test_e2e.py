"""The control room in a real browser, as an operator uses it on the demo."""

from __future__ import annotations

import pytest
from conftest import ADMIN_PASSWORD, ARTIFACTS

pytestmark = pytest.mark.browser


def _login(page) -> None:
    page.goto("/")
    assert "/login" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_wrong_password_is_told(page) -> None:
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-it")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "wrong user name or password"
    page.console_errors.clear()  # the 401 of the refused form is expected


def test_operator_flies_a_planned_grid_and_finds_the_sortie(page) -> None:
    _login(page)
    page.wait_for_function("document.querySelectorAll('.drone-icon').length == 2", timeout=60_000)
    page.wait_for_selector(".card[data-vehicle='S01-1'] .pill.up", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "01-operations.png"))

    page.click("nav >> text=Planner")
    page.select_option("#station", "S01")
    page.fill("#targets", "G001")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector(".card[data-sortie]", timeout=60_000)
    assert "Plan P" in page.inner_text("#plan-status")
    card = page.locator(".card[data-sortie]").first
    card.locator("select.vehicle").select_option("S01-1")
    card.locator("button[data-action=upload]").click()
    page.wait_for_function(
        "document.querySelector('.card[data-sortie] .answer').textContent.includes('Uploaded')",
        timeout=120_000,
    )
    card.locator("button[data-action=start]").click()
    page.wait_for_function(
        "document.querySelector('.card[data-sortie] .answer').textContent.includes('Flying')",
        timeout=120_000,
    )
    page.screenshot(path=str(ARTIFACTS / "02-planner.png"))

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
    page.screenshot(path=str(ARTIFACTS / "03-flying.png"))

    page.click("nav >> text=Video")
    page.wait_for_function(
        "() => { const i = document.getElementById('large');"
        " return i && !i.hidden && i.naturalWidth > 0; }",
        timeout=60_000,
    )
    page.wait_for_timeout(1500)  # let a few frames of the stream arrive for the screenshot
    page.screenshot(path=str(ARTIFACTS / "04-video.png"))

    # an incident near the second station: the idle drone there is proposed and sent
    page.click("nav >> text=Incidents")
    page.wait_for_function("document.querySelectorAll('.drone-icon').length == 2", timeout=60_000)
    page.fill("#incident-pos", "-35.3630, 149.1830")
    page.fill("#incident-note", "crowd at the east depot gate")
    page.click("#incident-form button[type=submit]")
    dispatch = page.locator("button[data-dispatch]").first
    dispatch.wait_for(timeout=30_000)
    assert "S02-1" in dispatch.inner_text()
    dispatch.click()
    page.wait_for_selector("button[data-release]", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.card[data-incident] .pill').textContent === 'on_scene'",
        timeout=180_000,
    )
    page.screenshot(path=str(ARTIFACTS / "05-incident.png"))

    page.click("nav >> text=Sorties")
    page.wait_for_selector("#sortie-rows tr[data-id]", timeout=60_000)
    page.locator("#sortie-rows tr[data-id]").first.click()
    page.wait_for_selector("#sortie-detail .card", timeout=30_000)
    assert "S01-1" in page.inner_text("#sortie-detail")
    page.screenshot(path=str(ARTIFACTS / "06-sorties.png"))
    assert page.console_errors == []
