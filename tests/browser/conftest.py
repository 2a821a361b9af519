"""A served demo app and a real Chromium (Debian's, driven by Playwright) for end-to-end tests.

Screenshots go to ``test-artifacts/`` at the top of the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import browser_page, served_app, served_demo

from dronepatrol.network.city import real_city_network

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMIN_PASSWORD = "demo-admin-e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory) -> Iterator[str]:
    """``dronepatrol serve --demo 2`` (drones at 4x speed); yields its base URL.

    It lives as long as the worker's session, watched or not, so its cameras run at
    1 fps: at 5 fps the two simulated cameras (rendering, motion detection, JPEG) took
    about 18 % of a core for the whole run, 7 % at 1 fps. The pages tested need a
    frame, not a frame rate.
    """
    data = tmp_path_factory.mktemp("e2e-data")
    with served_demo(data, ADMIN_PASSWORD, "--video-fps", "1", "--speedup", "4") as base:
        yield base


@pytest.fixture(scope="session")
def city() -> dict:
    """The generated real-shaped city: 129 grids, 105 lines, 677 points."""
    return real_city_network(0)


@pytest.fixture(scope="session")
def city_server(tmp_path_factory, city) -> Iterator[str]:
    """``dronepatrol serve --network`` the city, no drones, no scheduler: the map is what
    is tested. One for every test of the city's map (they only read it); yields its URL."""
    data = tmp_path_factory.mktemp("city-data")
    path = data / "city.geojson"
    path.write_text(json.dumps(city))
    with served_app(data, ADMIN_PASSWORD, "--network", str(path), "--schedule", "off") as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; `make test` installs it (make system-deps)")
        pytest.skip("Chromium is not installed: run `make system-deps`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def admin_password() -> str:
    return ADMIN_PASSWORD


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (look at them: they are what a commander sees)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(browser, demo_server):
    """A fresh browser page that records console errors in ``page.console_errors``."""
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(browser, demo_server) as page:
        yield page
