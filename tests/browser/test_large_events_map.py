"""A large event on the Operations map: uploaded from the panel, drawn, ended early."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import sign_in

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-showground-event.geojson"


def test_a_commander_uploads_an_event_and_sees_its_zone(
    page, admin_password, artifacts, tmp_path
) -> None:
    data = json.loads(EXAMPLE.read_text())
    zone = data["features"][0]["properties"]
    zone["start"] = datetime.fromtimestamp(time.time() - 600, UTC).isoformat()
    zone["end"] = datetime.fromtimestamp(time.time() + 2.5 * 3600, UTC).isoformat()
    path = tmp_path / "showground.geojson"
    path.write_text(json.dumps(data))

    sign_in(page, admin_password)
    page.wait_for_selector("#large-events .empty")

    page.click(".event-upload summary")
    page.set_input_files("#event-file", str(path))
    # the panel shows the file's times (local) for the commander to check or change
    page.wait_for_function("document.getElementById('event-start').value !== ''")
    assert page.input_value("#event-end") != ""
    page.click("#event-form button[type=submit]")
    page.wait_for_selector("#event-answer.ok", timeout=15_000)
    assert "Added Showground final (active)" in page.inner_text("#event-answer")

    card = page.locator(".event-card[data-event='showground-final']")
    card.wait_for(timeout=15_000)
    assert "active" in card.inner_text() and "7 targets" in card.inner_text()
    # a refresh redraws the zone while Leaflet fades the old label out for 200 ms,
    # so two labels can stand at once: read the newest
    label = page.locator(".zone-label").last
    label.wait_for(timeout=15_000)
    assert "Showground final" in label.inner_text()
    assert "2 h" in label.inner_text() and "left" in label.inner_text()
    # the zone's outline is dashed
    assert page.locator("path[stroke-dasharray='8 6']").count() == 1

    page.screenshot(path=str(artifacts / "large-event-operations.png"))
    page.check("#freshness-toggle")
    page.wait_for_timeout(1000)  # let the freshness answer repaint the targets
    page.screenshot(path=str(artifacts / "large-event-freshness.png"))

    card.locator("button[data-end]").click()  # the confirmation is accepted by the fixture
    page.wait_for_selector(".zone-label", state="detached", timeout=15_000)
    assert page.locator("path[stroke-dasharray='8 6']").count() == 0
    page.wait_for_selector("#large-events .empty")
    assert page.console_errors == []


def test_a_file_chosen_while_the_map_loads_is_read(page, admin_password, tmp_path) -> None:
    """On a slow link the commander may pick the file before the network has arrived: the
    panel still shows its times (the listener was once attached only after the map)."""
    path = tmp_path / "showground.geojson"
    path.write_text(EXAMPLE.read_text())
    held = []
    sign_in(page, admin_password)
    # the signed-in page has had its network (asked after its first other calls) before
    # the next load's request is held
    page.wait_for_function(
        "performance.getEntriesByName(location.origin + '/api/network').length > 0"
    )
    page.route("**/api/network", lambda route: held.append(route))
    page.reload()
    page.wait_for_function("document.readyState === 'complete'")
    assert held, "the map asked for the network"
    page.click(".event-upload summary")
    page.set_input_files("#event-file", str(path))
    assert page.input_value("#event-start") == ""  # not read yet: the map is loading
    held[0].continue_()
    page.wait_for_function("document.getElementById('event-start').value !== ''")
    assert page.input_value("#event-end") != ""
