"""The Janus media-server path with the real Janus (Debian) on loopback.

The station publishes a synthetic 720p feed once; a WebRTC viewer (aiortc,
the same signalling a browser uses) watches it through Janus and must get
H.264 at 1280x720 under the 4 Mbit/s budget of a 4G link.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from janus_support import HEIGHT, WIDTH, feeding, need_janus

from dronepatrol.video.media_server import (
    ExternalJanus,
    JanusConfig,
    JanusServer,
    MediaFanout,
    MediaServerError,
    fanout_from_settings,
    find_janus,
)
from dronepatrol.video.publisher import H264Options
from dronepatrol.video.webrtc_viewer import watch, watch_blocking

WATCH_S = 4.0
BUDGET_BPS = 4_000_000
"""Most a 720p feed may take of a viewer's link (a commander's 4G)."""


@pytest.fixture
def fanout():
    need_janus()
    fanout = MediaFanout(JanusServer(JanusConfig(ice_interfaces=("lo",)))).start()
    yield fanout
    fanout.stop()


def wait_for(condition, timeout_s: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_published_feed_reaches_a_webrtc_viewer_as_720p_h264_within_budget(fanout) -> None:
    publisher = fanout.publisher_for("drone-1")
    mountpoint = fanout.mountpoint("drone-1")
    assert mountpoint is not None
    with feeding(publisher):
        wait_for(lambda: publisher.status()["frames"] > 10, what="the encoder's first frames")
        published_before, started = publisher.status()["frames"], time.monotonic()
        report = watch_blocking(fanout.server.api.url, mountpoint.id, WATCH_S)
        published = publisher.status()["frames"] - published_before
        elapsed = time.monotonic() - started
        health = fanout.health()
    assert report.errors == []
    assert report.codec == "video/H264"
    assert (report.width, report.height) == (WIDTH, HEIGHT)
    # A keyframe every second: the first picture soon after joining (generous: CI is shared).
    assert report.first_frame_s is not None and report.first_frame_s < 10.0
    # The viewer gets most of what the station published while it watched (on a loaded
    # machine the encoder itself skips frames it cannot take: that is not the relay's doing).
    while_watching = published * report.seconds / elapsed
    assert report.frames >= max(10, 0.6 * while_watching), (report, published, elapsed)
    assert 200_000 < report.bitrate_bps <= BUDGET_BPS, report.bitrate_bps
    feed = health["feeds"]["drone-1"]
    assert health["ok"] and health["running"]
    assert feed["publisher"]["bitrate_bps"] <= BUDGET_BPS
    assert feed["publisher"]["keyframes"] >= 3
    assert feed["age_ms"] is not None and feed["age_ms"] < 1000  # Janus is getting packets


def test_two_viewers_get_the_same_feed_while_the_station_sends_it_once(fanout) -> None:
    publisher = fanout.publisher_for("drone-2")
    mountpoint = fanout.mountpoint("drone-2")

    async def two() -> list:
        url = fanout.server.api.url
        return await asyncio.gather(watch(url, mountpoint.id, 2.0), watch(url, mountpoint.id, 2.0))

    with feeding(publisher):
        wait_for(lambda: publisher.status()["frames"] > 10, what="the encoder's first frames")
        sent_before = publisher.status()["bytes_sent"]
        started = time.monotonic()
        with ThreadPoolExecutor(1) as pool:  # its own thread: a browser test's loop may run here
            reports = pool.submit(asyncio.run, two()).result()
        elapsed = time.monotonic() - started
        sent = publisher.status()["bytes_sent"] - sent_before
    for report in reports:
        assert report.errors == [] and report.frames >= 10
        assert (report.width, report.height) == (WIDTH, HEIGHT)
    # What left the station in that time is one stream's worth, not two.
    assert sent * 8 / elapsed <= BUDGET_BPS * 1.1
    received = sum(r.bytes_received for r in reports)
    assert received > 1.2 * (sent * min(r.seconds for r in reports) / elapsed)


def test_the_bitrate_cap_holds_for_a_lower_setting() -> None:
    need_janus()
    options = H264Options(bitrate_bps=800_000)
    fanout = MediaFanout(JanusServer(JanusConfig(ice_interfaces=("lo",))), options).start()
    try:
        publisher = fanout.publisher_for("1")
        with feeding(publisher):
            wait_for(lambda: publisher.status()["frames"] > 10, what="first frames")
            report = watch_blocking(fanout.server.api.url, fanout.mountpoint("1").id, 3.0)
    finally:
        fanout.stop()
    assert report.frames > 0 and report.bitrate_bps <= 800_000 * 1.15, report.bitrate_bps


def test_health_says_when_janus_has_died(fanout) -> None:
    publisher = fanout.publisher_for("drone-3")
    with feeding(publisher):
        wait_for(lambda: publisher.status()["frames"] > 0, what="first frames")
        assert fanout.health()["ok"]
        fanout.server._process.send_signal(signal.SIGKILL)
        fanout.server._process.wait(5)
        health = fanout.health()
    assert health["running"] is False and health["ok"] is False
    with pytest.raises(MediaServerError, match="not running"):
        fanout.server.mountpoint_info(1)


def test_a_missing_janus_is_refused_with_the_package_to_install() -> None:
    with pytest.raises(MediaServerError, match="apt-get install janus"):
        find_janus("janus-is-not-installed-here")


def test_the_generated_configuration_keeps_janus_to_loopback_and_watching(tmp_path) -> None:
    lib = tmp_path / "lib"
    for kind, names in {
        "plugins": ["libjanus_streaming.so", "libjanus_videoroom.so", "libjanus_sip.so"],
        "transports": ["libjanus_http.so", "libjanus_websockets.so"],
    }.items():
        (lib / kind).mkdir(parents=True)
        for name in names:
            (lib / kind / name).touch()
    config = JanusConfig(
        http_port=8188, ice_interfaces=("eth0", "10.0.0.2"), public_ip="203.0.113.7"
    )
    files = config.files(tmp_path, lib)
    main = files["janus.jcfg"]
    assert 'disable = "libjanus_sip.so,libjanus_videoroom.so"' in main
    assert 'disable = "libjanus_websockets.so"' in main
    assert 'ice_enforce_list = "eth0,10.0.0.2"' in main
    assert 'nat_1_1_mapping = "203.0.113.7"' in main
    http = files["janus.transport.http.jcfg"]
    assert 'ip = "127.0.0.1"' in http and "port = 8188" in http and "admin_http = false" in http
    streaming = files["janus.plugin.streaming.jcfg"]
    assert f'admin_key = "{config.admin_key}"' in streaming
    assert 'rtp_port_range = "20000-40000"' in streaming
    assert len(config.admin_key) >= 24


def test_a_janus_run_elsewhere_gets_the_feed_and_keeps_running_after_the_station(fanout) -> None:
    # `fanout`'s Janus stands for the command centre's; a second station publishes to it.
    centre = fanout.server
    remote = fanout_from_settings(
        janus_url=centre.api.url,
        janus_admin_key=centre.config.admin_key,
        janus_rtp_host="127.0.0.1",
    )
    assert isinstance(remote.server, ExternalJanus) and remote.server.version
    try:
        publisher = remote.publisher_for("far-1")
        mountpoint = remote.mountpoint("far-1")
        with feeding(publisher):
            wait_for(lambda: publisher.status()["frames"] > 10, what="first frames")
            report = watch_blocking(centre.api.url, mountpoint.id, 2.0)
        assert report.errors == [] and (report.width, report.height) == (WIDTH, HEIGHT)
        assert remote.health()["ok"] and remote.health()["pid"] is None
    finally:
        remote.stop()
    assert centre.running()  # not the station's to stop
    with pytest.raises(MediaServerError, match=r"(?i)no such mountpoint"):
        centre.mountpoint_info(mountpoint.id)  # but its mountpoint is gone


def test_a_janus_elsewhere_that_does_not_answer_or_lacks_a_key_is_refused() -> None:
    with pytest.raises(MediaServerError, match="admin_key"):
        fanout_from_settings(janus_url="http://127.0.0.1:9/janus")
    with pytest.raises(MediaServerError, match=re.escape("127.0.0.1:9")):
        fanout_from_settings(janus_url="http://127.0.0.1:9/janus", janus_admin_key="k")
