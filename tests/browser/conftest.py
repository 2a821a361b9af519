"""A served demo app and a real Chromium (Debian's, driven by Playwright) for end-to-end tests.

Screenshots go to ``test-artifacts/`` at the top of the checkout.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import free_tcp_port

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
    """``dronepatrol serve --demo 2`` on a free port; yields its base URL."""
    data = tmp_path_factory.mktemp("e2e-data")
    port = free_tcp_port()
    env = {
        **os.environ,
        "DRONEPATROL_DATA_DIR": str(data),
        "DRONEPATROL_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    log = open(data / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "serve",
            "--demo",
            "2",
            "--port",
            str(port),
            "--video-fps",
            "5",
            "--speedup",
            "4",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail("demo server did not start:\n" + (data / "serve.log").read_text())
            time.sleep(0.3)
    try:
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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


@pytest.fixture
def page(browser, demo_server):
    """A fresh browser page that records console errors in ``page.console_errors``."""
    context = browser.new_context(viewport={"width": 1366, "height": 800}, base_url=demo_server)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.on("dialog", lambda d: d.accept())
    ARTIFACTS.mkdir(exist_ok=True)
    yield page
    context.close()
