"""Every page on a laptop (1366x768), a tablet (1024x768) and a phone (390x844), in both themes.

For each page: nothing scrolls sideways, every navigation link (and the sign-out)
can be seen and clicked (after opening the menu where there is one), the theme
chosen on an earlier page is still shown, and the console stays clean. Screenshots
go to ``test-artifacts/layout-<screen>-<theme>-<page>.png``.

One served demo (two drones, a recorded day of sorties) and one browser page per
signed-in user serve the whole module: each test only resizes and navigates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import browser_page, seed_report_day, served_demo, sign_in

from dronepatrol.accounts import AccountService, Role
from dronepatrol.database import make_engine, upgrade
from dronepatrol.settings import Settings

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "layouts-admin"
VIEWER_PASSWORD = "layouts-viewer-pw"

SCREENS = {"laptop": (1366, 768), "tablet": (1024, 768), "phone": (390, 844)}
THEMES = ("dark", "daylight")

PAGES = {
    # name: (path, selector that shows the page has drawn its content)
    "operations": ("/", "#fleet .card[data-vehicle]"),
    "planner": ("/planner", "#station option"),
    "incidents": ("/incidents", "#map.leaflet-container"),
    "lockdown": ("/lockdown", "#points tr"),
    "sorties": ("/sorties", "#sortie-rows tr[data-id]"),
    "video": ("/video", "#feeds .feed"),
    "reports": ("/reports", "#target-rows tr"),
    "not-found": ("/no-such-page", "h1"),
}

NAV_LABELS = ["Operations", "Planner", "Video", "Incidents", "Lockdown", "Sorties", "Reports"]
VIEWER_NAV_LABELS = [label for label in NAV_LABELS if label != "Planner"]


@pytest.fixture(scope="module")
def layout_server(tmp_path_factory) -> Iterator[str]:
    """``serve --demo 2`` over a database holding a recorded day and a viewer account."""
    data = tmp_path_factory.mktemp("layouts-data")
    engine = upgrade(make_engine(Settings(data_dir=data).effective_database_url))
    seed_report_day(engine)
    AccountService(engine).add_user("viewer", Role.VIEWER, VIEWER_PASSWORD)
    engine.dispose()
    with served_demo(data, ADMIN_PASSWORD, "--video-fps", "1") as base:
        yield base


@pytest.fixture(scope="module")
def admin(browser, layout_server) -> Iterator[object]:
    with browser_page(browser, layout_server) as page:
        sign_in(page, ADMIN_PASSWORD)
        yield page


@pytest.fixture(scope="module")
def viewer(browser, layout_server) -> Iterator[object]:
    with browser_page(browser, layout_server) as page:
        sign_in(page, VIEWER_PASSWORD, username="viewer")
        yield page


@pytest.fixture(scope="module")
def visitor(browser, layout_server) -> Iterator[object]:
    with browser_page(browser, layout_server) as page:
        yield page


def _use_theme(page, theme: str) -> None:
    """Switch to ``theme`` with the topbar's switch, unless it is already shown."""
    if page.evaluate("document.documentElement.dataset.theme") != theme:
        page.click(".theme-switch")
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    pressed = page.get_attribute(".theme-switch", "aria-pressed")
    assert pressed == ("true" if theme == "daylight" else "false")


def _no_sideways_scroll(page, where: str) -> None:
    widths = page.evaluate(
        "({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{where} scrolls sideways: {widths}"


REACHABLE = """() => [
    ...document.querySelectorAll("nav[aria-label=Main] a"),
    document.querySelector(".signout button[type=submit]"),
    document.querySelector(".theme-switch"),
].map((el) => {
    const box = el.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const onTop = document.elementFromPoint(x, y);
    return {
        text: el.textContent.trim(),
        shown: box.width > 0 && box.height > 0 && getComputedStyle(el).visibility === "visible",
        inside: box.left >= 0 && box.right <= innerWidth
            && box.top >= 0 && box.bottom <= innerHeight,
        clickable: onTop !== null && (onTop === el || el.contains(onTop)),
    };
})"""
"""Each navigation link, the sign-out and the theme switch: shown, inside the window, and
the element a click at its middle lands on (nothing covers it)."""


def _navigation_reachable(page, labels: list[str], where: str) -> None:
    """Every link of the navigation and the sign-out can be seen and clicked."""
    menu = page.locator(".menu-button")
    opened = menu.is_visible()
    if opened:
        assert menu.get_attribute("aria-expanded") == "false"
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
    found = page.evaluate(REACHABLE)
    assert [f["text"] for f in found[: len(labels)]] == labels, where
    for f in found:
        assert f["shown"] and f["inside"] and f["clickable"], f"{where}: {f}"
    if opened:
        menu.click()
        assert page.locator("nav[aria-label=Main]").is_hidden()


def _visit(page, name: str, path: str, ready: str, theme: str, shot: Path) -> None:
    page.goto(path, wait_until="domcontentloaded")  # a live video never finishes loading
    page.wait_for_selector(ready, state="attached", timeout=60_000)
    assert page.evaluate("document.documentElement.dataset.theme") == theme, (
        f"{name}: the theme chosen was not remembered"
    )
    page.wait_for_timeout(100)  # the map settles after its container is sized
    page.screenshot(path=str(shot))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_page_fits_the_screen(
    admin, viewer, visitor, screen: str, theme: str, artifacts: Path
) -> None:
    width, height = SCREENS[screen]
    for page in (admin, viewer, visitor):
        page.set_viewport_size({"width": width, "height": height})

    admin.goto("/")
    _use_theme(admin, theme)
    for name, (path, ready) in PAGES.items():
        where = f"{name} at {screen} in {theme}"
        _visit(admin, name, path, ready, theme, artifacts / f"layout-{screen}-{theme}-{name}.png")
        _no_sideways_scroll(admin, where)
        _navigation_reachable(admin, NAV_LABELS, where)
        errors = [e for e in admin.console_errors if not _expected(name, e)]
        assert not errors, f"{where}: {errors}"
        admin.console_errors.clear()

    # a viewer asking for the planner is refused on a page of the app
    viewer.goto("/")
    _use_theme(viewer, theme)
    response = viewer.goto("/planner")
    assert response is not None and response.status == 403
    assert "operator role" in viewer.inner_text("main")
    viewer.screenshot(path=str(artifacts / f"layout-{screen}-{theme}-forbidden.png"))
    _no_sideways_scroll(viewer, f"403 at {screen} in {theme}")
    _navigation_reachable(viewer, VIEWER_NAV_LABELS, f"403 at {screen} in {theme}")
    assert all(_expected("forbidden", e) for e in viewer.console_errors), viewer.console_errors
    viewer.console_errors.clear()

    visitor.goto("/login")
    _use_theme(visitor, theme)
    visitor.screenshot(path=str(artifacts / f"layout-{screen}-{theme}-login.png"))
    _no_sideways_scroll(visitor, f"login at {screen} in {theme}")
    assert visitor.locator("button[type=submit]").is_visible()
    assert not visitor.console_errors, visitor.console_errors


def _expected(page_name: str, error: str) -> bool:
    """The one console error an error page brings: the browser noting its status."""
    return page_name in ("not-found", "forbidden") and "status of 40" in error


def test_phone_shows_the_fleet_and_the_video_in_the_page_itself(admin) -> None:
    """On a phone the page scrolls as a whole: no panel scrolls inside it, the video is
    as wide as the screen and above the map."""
    admin.set_viewport_size({"width": 390, "height": 844})
    admin.goto("/")
    admin.wait_for_selector("#fleet .card[data-vehicle]", timeout=60_000)
    boxes = admin.evaluate(
        """() => [...document.querySelectorAll('#fleet, #fleet *')].filter((el) => {
            const style = getComputedStyle(el.closest('.side'));
            return style.overflowY === 'auto' || style.overflowY === 'scroll';
        }).length"""
    )
    assert boxes == 0, "the fleet sits in a box that scrolls on its own"
    fleet = admin.locator("#fleet").bounding_box()
    assert fleet is not None and fleet["width"] >= 340

    admin.goto("/video")
    admin.wait_for_selector("#large:not([hidden])", timeout=60_000)
    feed = admin.locator(".main-feed").bounding_box()
    chart = admin.locator("#map").bounding_box()
    assert feed is not None and chart is not None
    assert feed["width"] >= 0.9 * 390
    assert feed["y"] + feed["height"] <= chart["y"] + 1, "the video is not above the map"
    assert json.dumps(admin.console_errors) == "[]"
