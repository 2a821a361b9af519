"""The control room in a real browser, as an operator uses it on the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import sign_in, wait_until

pytestmark = pytest.mark.browser


def _wait_text(page, selector: str, text: str, timeout_s: float, artifacts: Path) -> None:
    """Wait until ``selector``'s text contains ``text``; on timeout save a screenshot."""
    try:
        wait_until(
            lambda: text in page.locator(selector).first.inner_text(),
            timeout_s,
            f"{text!r} in {selector}",
            every_s=0.25,
        )
    except AssertionError as exc:
        page.screenshot(path=str(artifacts / "failure.png"))
        shown = page.locator(selector).first.inner_text()
        raise AssertionError(f"{exc}; it shows {shown!r}") from None


def test_wrong_password_is_told(page) -> None:
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not-it")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "wrong user name or password"
    page.console_errors.clear()  # the 401 of the refused form is expected


def test_operator_flies_a_planned_grid_and_finds_the_sortie(page, admin_password, artifacts):
    sign_in(page, admin_password)
    page.wait_for_function("document.querySelectorAll('.drone-icon').length == 2", timeout=60_000)
    page.wait_for_selector(".card[data-vehicle='S01-1'] .pill.up", timeout=60_000)
    # GPS fix and EKF take their time, as on a real copter: the panel says when it can fly
    page.wait_for_selector(".card[data-vehicle='S01-1'] .pill.ready", timeout=120_000)
    page.wait_for_selector(".card[data-vehicle='S02-1'] .pill.ready", timeout=120_000)
    page.screenshot(path=str(artifacts / "01-operations.png"))

    page.click("nav >> text=Planner")
    page.select_option("#station", "S01")
    page.fill("#targets", "G001")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector(".card[data-sortie]", timeout=60_000)
    assert "Plan P" in page.inner_text("#plan-status")
    card = page.locator(".card[data-sortie]").first
    card.locator("select.vehicle").select_option("S01-1")
    card.locator("button[data-action=upload]").click()
    _wait_text(page, ".card[data-sortie] .answer", "Uploaded", 120, artifacts)
    card.locator("button[data-action=start]").click()
    _wait_text(page, ".card[data-sortie] .answer", "Flying", 120, artifacts)
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
    page.wait_for_timeout(1500)  # let a few frames of the stream arrive for the screenshot
    page.screenshot(path=str(artifacts / "04-video.png"))

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
        "() => document.querySelector('.card[data-incident]').dataset.status === 'on_scene'",
        timeout=180_000,
    )
    assert page.locator(".card[data-incident] .pill").first.inner_text() == "drone on scene"
    page.screenshot(path=str(artifacts / "05-incident.png"))

    page.click("nav >> text=Sorties")
    page.wait_for_selector("#sortie-rows tr[data-id]", timeout=60_000)
    page.locator("#sortie-rows tr[data-id]", has_text="S01-1").first.click()
    try:
        page.wait_for_selector("#sortie-detail .card", timeout=30_000)
    except Exception as exc:
        page.screenshot(path=str(artifacts / "failure.png"))
        raise AssertionError(f"no sortie detail; console: {page.console_errors}") from exc
    assert "S01-1" in page.inner_text("#sortie-detail")
    page.screenshot(path=str(artifacts / "06-sorties.png"))
    assert page.console_errors == []
