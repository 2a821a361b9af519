"""The pages' shared modules: one formatter for every figure, and the fleet panel built
from what the server serves (GET /api/meta), not from copies in the scripts."""

from __future__ import annotations

import json

import pytest
from support import sign_in

pytestmark = pytest.mark.browser


def test_one_formatter_reads_figures_the_same_everywhere(page, admin_password) -> None:
    sign_in(page, admin_password)
    shown = page.evaluate(
        """async () => {
            const f = await import("/static/format.js");
            return {
                durations: [null, 0, 44.6, 59.6, 185, 3599.4, 3600, 7500, -3].map(f.duration),
                between: [f.between(100, 112), f.between(100, null)],
                distances: [null, 12.4, 999.4, 2345, 41234].map(f.distance),
                percents: [null, 0.404, 2 / 3, 1].map(f.percent),
                quantity: f.quantity(12.34, 1, " m/s"),
                escaped: f.escape(`<img src=x onerror="a('b')">&` + "`"),
            };
        }"""
    )
    assert shown["durations"] == [
        "–",
        "0 s",
        "45 s",
        "1 min 00 s",  # rounded to the second first: never "60 s"
        "3 min 05 s",
        "59 min 59 s",
        "1 h 00 min",
        "2 h 05 min",
        "0 s",  # an ETA already passed is not negative
    ]
    assert shown["between"] == ["12 s", "–"]
    assert shown["distances"] == ["–", "12 m", "999 m", "2.35 km", "41.2 km"]
    assert shown["percents"] == ["–", "40 %", "67 %", "100 %"]
    assert shown["quantity"] == "12.3 m/s"
    assert shown["escaped"] == "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;&#96;"
    assert page.console_errors == []


def test_fleet_buttons_show_the_served_labels_and_ask_the_served_question(
    page, admin_password
) -> None:
    sign_in(page, admin_password)
    meta = page.evaluate("fetch('/api/meta').then((r) => r.json())")
    served = {c["name"]: c for c in meta["commands"]}
    card = page.locator(".card[data-vehicle='S01-1']")
    card.locator("button[data-command=takeoff]").wait_for(timeout=60_000)
    for name in ("arm", "takeoff", "start", "pause", "resume", "rtl", "land"):
        button = card.locator(f"button[data-command={name}]")
        assert button.inner_text() == served[name]["label"]
        assert served[name]["needs"] in button.get_attribute("title")
    # what the button sends, answered here so no drone moves: the risky flag and the
    # question are the server's
    sent = []

    def refuse(route) -> None:
        sent.append(json.loads(route.request.post_data))
        route.fulfill(
            status=409,
            content_type="application/json",
            body=json.dumps({"error": "Conflict", "message": "held by the test"}),
        )

    page.route("**/api/vehicles/S01-1/commands", refuse)
    card.locator("button[data-command=takeoff]").click()
    answer = card.locator(".answer")
    page.wait_for_function(
        "document.querySelector(\".card[data-vehicle='S01-1'] .answer\").textContent"
        ".includes('held by the test')"
    )
    assert served["takeoff"]["risky"]
    assert page.dialogs[-1] == f"{served['takeoff']['question']}: S01-1?"
    assert sent == [{"command": "takeoff", "confirm": True}]  # the server's default altitude
    assert answer.inner_text() == f"{served['takeoff']['label']}: held by the test"
    dialogs = len(page.dialogs)
    card.locator("button[data-command=pause]").click()  # not risky: sent without asking
    wait = "document.querySelector(\".card[data-vehicle='S01-1'] .answer\").textContent"
    page.wait_for_function(f"{wait}.startsWith({json.dumps(served['pause']['label'] + ':')})")
    assert sent[-1] == {"command": "pause"} and len(page.dialogs) == dialogs
    page.console_errors[:] = [e for e in page.console_errors if "409" not in e]
    assert page.console_errors == []


def test_the_ground_crew_button_is_offered_when_the_server_says_so(page, admin_password) -> None:
    """The card asks the vehicle's served ``ready_for``, not a rule of its own: here the
    answer for one drone on the ground is edited to leave "battery swapped" out."""
    # the live stream says nothing (and is not tried again for 10 min): only
    # GET /api/vehicles tells the page about the drones
    page.route(
        "**/api/events",
        lambda route: route.fulfill(content_type="text/event-stream", body="retry: 600000\n\n"),
    )
    edited: dict[str, list[str]] = {}

    def vehicles(route) -> None:
        response = route.fetch()
        body = response.json()
        for v in body["vehicles"]:
            if not edited and "battery_swapped" in v["ready_for"]:
                edited[v["id"]] = list(v["ready_for"])  # what the server said
            if v["id"] in edited:
                v["ready_for"] = [c for c in v["ready_for"] if c != "battery_swapped"]
        route.fulfill(response=response, json=body)

    page.route("**/api/vehicles", vehicles)
    sign_in(page, admin_password)
    served = page.evaluate("fetch('/api/vehicles').then((r) => r.json())")["vehicles"]
    assert edited, f"no drone on the ground to take the ground crew's button: {served}"
    (held,) = edited
    for v in served:
        card = page.locator(f".card[data-vehicle='{v['id']}']")
        card.locator("button[data-command=takeoff]").wait_for(timeout=60_000)
        swap = card.locator("button[data-command=battery_swapped]")
        assert swap.count() == (1 if "battery_swapped" in v["ready_for"] else 0), v["id"]
    assert (
        page.locator(f".card[data-vehicle='{held}'] button[data-command=battery_swapped]").count()
        == 0
    )
    assert page.console_errors == []
