"""Every page on a laptop (1366x768), a tablet (1024x768) and a phone (390x844), in both themes.

For each page: nothing scrolls sideways, every navigation link (and the sign-out)
can be seen and clicked (after opening the menu where there is one), the theme
chosen on an earlier page is still shown, and the console stays clean. Screenshots
go to ``test-artifacts/layout-<screen>-<theme>-<page>.png``.

One served demo (a drone, a recorded day of sorties) and one browser page per
signed-in user serve the whole module: each test only resizes and navigates.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from support import REPORT_DAY_START_S, browser_page, seed_report_day, served_demo, sign_in

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
    "lockdown": ("/lockdown", "#points tr[data-point]"),
    "sorties": ("/sorties", "#sortie-rows tr[data-id]"),
    "video": ("/video", "#feeds .feed"),
    "reports": ("/reports", "#target-rows tr"),
    "not-found": ("/no-such-page", "h1"),
}

NAV_LABELS = ["Operations", "Planner", "Video", "Incidents", "Lockdown", "Sorties", "Reports"]
VIEWER_NAV_LABELS = [label for label in NAV_LABELS if label != "Planner"]


@pytest.fixture(scope="module")
def layout_server(tmp_path_factory) -> Iterator[str]:
    """``serve --demo 1`` over a database holding a recorded day, a sortie with its video,
    and a viewer account."""
    data = tmp_path_factory.mktemp("layouts-data")
    engine = upgrade(make_engine(Settings(data_dir=data).effective_database_url))
    seed_report_day(engine)
    _seed_replay(engine, data)
    AccountService(engine).add_user("viewer", Role.VIEWER, VIEWER_PASSWORD)
    engine.dispose()
    options = ("--video-fps", "1", "--schedule", "off")  # cheap: the pages are what is tested
    with served_demo(data, ADMIN_PASSWORD, *options, drones=1) as base:
        yield base


REPLAY_START_S = REPORT_DAY_START_S + 20 * 3600.0
TRACK_GREEN = (0x3C, 0xCF, 0x7A)
"""The replayed track's colour on the map's canvas (sorties.js)."""


def _seed_replay(engine, data: Path) -> None:
    """N-1's fourth sortie: 2 km flown north to south, 1040 events, a two-second recording."""
    from sqlalchemy.orm import Session

    from dronepatrol.database import Media, Sortie, SortieEvent, TrackSample
    from dronepatrol.video.recorder import Mp4Recorder

    recorder = Mp4Recorder(data / "replay.mp4", 320, 240, fps=10)
    for k in range(20):
        frame = np.full((240, 320, 3), 40 + 8 * k, dtype=np.uint8)
        recorder.write(frame, REPLAY_START_S + k / 10)
    video = recorder.close()
    with Session(engine) as session:
        sortie = Sortie(
            vehicle_id="V1",
            started_s=REPLAY_START_S,
            ended_s=REPLAY_START_S + 60,
            outcome="completed",
        )
        session.add(sortie)
        session.flush()
        for k in range(31):
            session.add(
                TrackSample(
                    sortie_id=sortie.id,
                    time_s=REPLAY_START_S + 2 * k,
                    lat_deg=-35.3505 - 0.0006 * k,  # 67 m a step: 2 km in all
                    lon_deg=149.1652,
                    alt_rel_m=40.0,
                )
            )
        session.add_all(  # a talkative sortie: the list shows its last 30 of 1040 events
            SortieEvent(
                sortie_id=sortie.id,
                vehicle_id="V1",
                time_s=REPLAY_START_S + k * 0.05,
                seq=k,
                kind="statustext",
                text=f"message {k + 1}",
            )
            for k in range(1040)
        )
        session.add(
            Media(
                sortie_id=sortie.id,
                kind="video",
                path=str(video.path),
                sha256=video.sha256,
                size_bytes=video.size_bytes,
                complete=True,
                registered_s=REPLAY_START_S + 60,
            )
        )
        session.commit()


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
    # nor does a panel hide what is wider than itself (a table cut off at its right)
    panels = page.evaluate(
        """[...document.querySelectorAll('.side, .report, .login')]
            .filter((el) => el.scrollWidth > el.clientWidth + 1)
            .map((el) => `${el.className}: ${el.scrollWidth} > ${el.clientWidth}`)"""
    )
    assert panels == [], f"{where}: {panels}"


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


MAP_SETTLED = """async () => {
  // a resize is seen by the next frame, and an animated fit starts a frame after it is
  // asked for: two frames on, a map moving to its content shows its zoom animation
  await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
  return !document.querySelector(".leaflet-zoom-anim");
}"""
"""True once no map on the page is, or is about to be, zooming to its content."""


def _visit(page, name: str, path: str, ready: str, theme: str, shot: Path) -> None:
    page.goto(path, wait_until="domcontentloaded")  # a live video never finishes loading
    page.wait_for_selector(ready, state="attached", timeout=60_000)
    assert page.evaluate("document.documentElement.dataset.theme") == theme, (
        f"{name}: the theme chosen was not remembered"
    )
    # a map still zooming to its content would be photographed half-scaled
    page.wait_for_function(MAP_SETTLED, timeout=5_000)
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


TRACK_BOX = """([r, g, b]) => {
    const map = document.getElementById("map").getBoundingClientRect();
    let box = null;
    for (const canvas of document.querySelectorAll("#map canvas")) {
        const rect = canvas.getBoundingClientRect();
        const sx = rect.width / canvas.width, sy = rect.height / canvas.height;
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < pixels.length; i += 4) {
            if (Math.abs(pixels[i] - r) > 6 || Math.abs(pixels[i + 1] - g) > 6
                || Math.abs(pixels[i + 2] - b) > 6 || pixels[i + 3] < 200) continue;
            const x = rect.left + ((i / 4) % canvas.width) * sx;
            const y = rect.top + Math.floor(i / 4 / canvas.width) * sy;
            box = box ? { left: Math.min(box.left, x), right: Math.max(box.right, x),
                          top: Math.min(box.top, y), bottom: Math.max(box.bottom, y) }
                      : { left: x, right: x, top: y, bottom: y };
        }
    }
    const { left, right, top, bottom } = map;
    return { map: { left, right, top, bottom }, track: box };
}"""
"""Where the replayed track's pixels are drawn, and the map's box (page coordinates)."""


@pytest.mark.parametrize("screen", ["laptop", "tablet"])
def test_the_replayed_track_fits_the_map_beside_its_video(admin, screen: str) -> None:
    """The field report: the map fitted the track before the video panel took its room,
    so the track ran off the map's edge."""
    width, height = SCREENS[screen]
    admin.set_viewport_size({"width": width, "height": height})
    admin.goto("/sorties", wait_until="domcontentloaded")
    row = admin.locator("#sortie-rows tr[data-id]", has_text="sortie 4 of N-1")
    row.click()
    admin.wait_for_selector("#replay-video:not([hidden])", timeout=10_000)
    admin.wait_for_function("document.getElementById('replay-video').readyState >= 1")
    heading = admin.inner_text("#sortie-detail h3")
    assert heading == f"sortie 4 of N-1 · {time.strftime('%H:%M', time.gmtime(REPLAY_START_S))} UTC"
    admin.wait_for_function(MAP_SETTLED, timeout=5_000)  # fitted to the track beside the video
    found = admin.evaluate(TRACK_BOX, list(TRACK_GREEN))
    chart, track = found["map"], found["track"]
    assert track is not None, "no track drawn"
    assert chart["top"] - 1 <= track["top"] and track["bottom"] <= chart["bottom"] + 1, found
    assert chart["left"] - 1 <= track["left"] and track["right"] <= chart["right"] + 1, found
    # fitted, not merely inside: the 2 km line runs most of the map's height
    assert track["bottom"] - track["top"] >= 0.6 * (chart["bottom"] - chart["top"]), found
    # its events keep their own numbers (1011 to 1040), and the numbers are not cut off
    numbers = admin.evaluate(
        """() => {
            const list = document.querySelector("#sortie-detail ol.events");
            const style = getComputedStyle(list);
            const pen = document.createElement("canvas").getContext("2d");
            pen.font = style.font;
            const last = list.start + list.children.length - 1;
            return { first: list.start, last, room: parseFloat(style.paddingLeft),
                     needs: pen.measureText(`${last}. `).width };
        }"""
    )
    assert (numbers["first"], numbers["last"]) == (1011, 1040)
    assert numbers["needs"] <= numbers["room"], numbers
    assert admin.console_errors == []
