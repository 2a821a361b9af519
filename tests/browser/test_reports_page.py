"""The Reports page in a real browser: a station chief reads a worked day and downloads it."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPORT_DAY, REPORT_NETWORK, seed_report_day, served_app, wait_until

from dronepatrol.database import make_engine, upgrade
from dronepatrol.settings import Settings

pytestmark = pytest.mark.browser

PASSWORD = "reports-admin"


@pytest.fixture(scope="module")
def report_server(tmp_path_factory) -> Iterator[str]:
    """``dronepatrol serve --network`` (no drones) over a database holding the worked day."""
    data = tmp_path_factory.mktemp("reports-data")
    engine = upgrade(make_engine(Settings(data_dir=data).effective_database_url))
    seed_report_day(engine)
    engine.dispose()
    network = data / "network.geojson"
    network.write_text(json.dumps(REPORT_NETWORK), encoding="utf-8")
    with served_app(data, PASSWORD, "--network", str(network)) as base:
        yield base


@pytest.fixture
def chief(browser, report_server):
    """A signed-in page whose clock reads Shanghai time (+08:00, the worked day's zone)."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 900},
        base_url=report_server,
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
        bypass_csp=True,  # Playwright's string predicates are eval (see support.browser_page)
    )
    page = context.new_page()
    errors: list[str] = []
    page.console_errors = errors
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    yield page
    assert not errors, errors
    context.close()


def _tile(page, name: str) -> str:
    return page.inner_text(f".tile[data-tile='{name}'] strong")


def test_a_day_in_tiles_charts_and_a_sortable_table(chief, artifacts: Path) -> None:
    page = chief
    page.click("nav >> text=Reports")
    page.wait_for_url("**/reports")
    # the page has set today's date once its module ran: a date typed before that is replaced
    page.wait_for_function("document.querySelector('#report-date').value !== ''")
    page.fill("#report-date", REPORT_DAY)
    page.click("#report-form button[type=submit]")
    page.wait_for_function(
        "document.querySelector('#report-status').textContent.startsWith('2025-11-29')"
    )
    assert "Asia/Shanghai" in page.inner_text("#report-status")
    assert (_tile(page, "key"), _tile(page, "attention"), _tile(page, "general")) == (
        "40 %",
        "67 %",
        "100 %",
    )
    assert _tile(page, "incidents") == "3 of 4"
    # on scene after 200, 300 and 420 s: median 300 s, p95 300 + 0.9 * 120 = 408 s
    assert _tile(page, "response") == "5 min 00 s / 6 min 48 s"
    assert _tile(page, "flight") == "3.3"

    # Three bar charts: priority levels, stations' on-time rates, stations' flight hours
    assert page.locator("#chart-priority rect.bar").count() == 3
    assert page.locator("#chart-station rect.bar").count() == 2
    assert page.locator("#chart-flight rect.bar").count() == 2
    widths = [
        float(w)
        for w in page.eval_on_selector_all(
            "#chart-priority rect.bar", "bars => bars.map(b => b.getAttribute('width'))"
        )
    ]
    assert widths[0] < widths[1] < widths[2]  # 40 % < 67 % < 100 %
    assert "North: 57 %" in page.get_attribute("#chart-station svg", "aria-label")
    assert page.inner_text("#chart-flight").split() == ["North", "2.0", "h", "South", "1.3", "h"]

    def order() -> list[str]:
        return page.eval_on_selector_all(
            "#target-rows tr", "rows => rows.map(r => r.dataset.target)"
        )

    assert order() == ["K2", "K1", "A1", "G1"]  # worst on-time rate first
    page.click("#target-table button[data-sort=on_time_rate]")
    assert order() == ["G1", "A1", "K1", "K2"]
    page.click("#target-table button[data-sort=coverage]")
    assert order()[0] == "K2"
    page.click("#target-table button[data-sort=on_time_rate]")
    page.screenshot(path=str(artifacts / "reports.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("#report-csv")
    download = download_info.value
    assert download.suggested_filename == f"patrol-report-{REPORT_DAY}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0]["level"] == "fleet" and rows[0]["day"] == REPORT_DAY
    assert {r["key"] for r in rows if r["level"] == "target"} == {"K1", "A1", "G1", "K2"}


def test_a_day_not_begun_is_told(chief) -> None:
    chief.goto("/reports?date=2999-01-01")
    chief.wait_for_selector("#report-status.error")
    assert "not begun" in chief.inner_text("#report-status")
    chief.console_errors.clear()  # the 400 of the refused day is expected


def test_an_older_answer_never_replaces_the_day_asked_for_last(chief) -> None:
    """Today's report, asked for on load, answers late (a slow server): the day the chief
    asked for after it stays on the page."""
    page = chief
    held = []

    def hold_todays_answer(route) -> None:
        if REPORT_DAY in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route(re.compile(r"/api/reports/day\?"), hold_todays_answer)
    page.click("nav >> text=Reports")
    page.wait_for_function("document.querySelector('#report-date').value !== ''")
    # Playwright hands over routes while it is called: each check asks the page once
    wait_until(
        lambda: page.evaluate("0") == 0 and held,
        timeout_s=30,
        what="the page asking for today's report",
    )
    page.fill("#report-date", REPORT_DAY)
    page.click("#report-form button[type=submit]")
    asked_last = f"document.querySelector('#report-status').textContent.startsWith('{REPORT_DAY}')"
    page.wait_for_function(asked_last)
    with page.expect_response(lambda r: "/api/reports/day?" in r.url and REPORT_DAY not in r.url):
        held[0].continue_()
    page.wait_for_load_state("networkidle")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 50)))")
    assert page.evaluate(asked_last), page.inner_text("#report-status")
