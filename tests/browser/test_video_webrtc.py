"""The video page plays a drone's feed over WebRTC from Janus (video_server = janus)."""

from __future__ import annotations

import pytest
from support import browser_page, need_janus, served_demo, sign_in, wait_until

pytestmark = pytest.mark.browser

PASSWORD = "demo-admin-webrtc"


@pytest.fixture(scope="module")
def janus_demo(tmp_path_factory):
    """One simulated drone with a camera, its feed fanned out by Janus on loopback."""
    need_janus()
    data = tmp_path_factory.mktemp("webrtc-data")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DRONEPATROL_VIDEO_SERVER", "janus")
        env.setenv("DRONEPATROL_VIDEO_ICE_INTERFACES", "lo")
        options = ("--video-fps", "10", "--speedup", "4")
        with served_demo(data, PASSWORD, *options, drones=1) as base:
            yield base


def test_the_video_page_plays_the_feed_over_webrtc(browser, janus_demo, artifacts) -> None:
    # With the app's CSP enforced: the player module and WebRTC must live with it.
    with browser_page(browser, janus_demo, bypass_csp=False) as page:
        sign_in(page, PASSWORD)
        page.click("nav >> text=Video")
        video = page.locator("#large-video")
        try:
            wait_until(
                lambda: video.evaluate("v => !v.hidden && v.videoWidth > 0"),
                60,
                "the WebRTC video to show",
                every_s=0.25,
            )
        except AssertionError:
            page.screenshot(path=str(artifacts / "webrtc-failure.png"))
            raise
        started = video.evaluate("v => v.currentTime")
        wait_until(
            lambda: video.evaluate("v => v.currentTime") > started + 1.0,
            30,
            "the WebRTC video to play on",
            every_s=0.25,
        )
        size = video.evaluate("v => [v.videoWidth, v.videoHeight]")
        assert size == [1280, 720]
        assert page.locator("#large").is_hidden()  # no MJPEG stream held open beside it
        page.screenshot(path=str(artifacts / "05-video-webrtc.png"))
        assert page.console_errors == []


def test_the_video_page_falls_back_to_mjpeg_when_webrtc_fails(browser, janus_demo) -> None:
    with browser_page(browser, janus_demo) as page:
        page.route("**/video/janus**", lambda route: route.abort())  # the media server unreachable
        sign_in(page, PASSWORD)
        page.click("nav >> text=Video")
        large = page.locator("#large")
        wait_until(
            lambda: large.evaluate("i => !i.hidden && i.naturalWidth > 0"),
            60,
            "the MJPEG stream to show instead",
            every_s=0.25,
        )
        assert "/video/" in large.get_attribute("src") and ".mjpg" in large.get_attribute("src")
        assert page.locator("#large-video").is_hidden()
        # The aborted requests are the console errors this test asked for.
        page.console_errors.clear()
