"""Browsers reach Janus only through the app: signed in, their own sessions, watching only."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from janus_support import HEIGHT, WIDTH, feeding, need_janus
from video_support import free_port, serve, signed_in_app

from dronepatrol.accounts import Role
from dronepatrol.video.media_server import JanusConfig, JanusServer, MediaFanout
from dronepatrol.video.webrtc_viewer import watch_blocking


@pytest.fixture
def station(tmp_path):
    """The app served on loopback with Janus carrying vehicle 1's feed."""
    need_janus()
    app, headers, _ = signed_in_app(tmp_path)
    app.extensions["video"].ensure("1", "Copter-1")
    fanout = MediaFanout(JanusServer(JanusConfig(ice_interfaces=("lo",)))).start()
    app.extensions["media_server"] = fanout
    port = free_port()
    stop = serve(app, port, threads=8)
    try:
        yield app, f"http://127.0.0.1:{port}", headers, fanout
    finally:
        stop()
        fanout.stop()
        app.extensions["dronepatrol"].stop()


def call(url: str, body: dict | None, headers: dict) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=40) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def session_and_handle(base: str, headers: dict) -> tuple[int, int]:
    status, created = call(f"{base}/video/janus", {"janus": "create", "transaction": "a"}, headers)
    assert status == 200 and created["janus"] == "success", created
    session = created["data"]["id"]
    attach = {"janus": "attach", "plugin": "janus.plugin.streaming", "transaction": "b"}
    status, attached = call(f"{base}/video/janus/{session}", attach, headers)
    assert status == 200 and attached["janus"] == "success", attached
    return session, attached["data"]["id"]


def test_a_signed_in_viewer_watches_through_the_app(station) -> None:
    _, base, headers, fanout = station
    publisher = fanout.publisher_for("1")
    status, player = call(f"{base}/video/1/player", None, headers)
    assert status == 200
    assert player["mjpeg"] == "/video/1.mjpg"
    assert player["webrtc"] == {"api": "/video/janus", "mountpoint": fanout.mountpoint("1").id}
    with feeding(publisher):
        deadline = time.monotonic() + 15
        while publisher.status()["frames"] < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        report = watch_blocking(
            base + player["webrtc"]["api"], player["webrtc"]["mountpoint"], 2.0, headers=headers
        )
        status, health = call(f"{base}/video/media-server", None, headers)
    assert report.errors == [] and report.codec == "video/H264"
    assert (report.width, report.height) == (WIDTH, HEIGHT) and report.frames >= 10
    assert status == 200 and health["server"] == "janus" and health["ok"]
    assert health["feeds"]["1"]["publisher"]["frames"] > 0
    assert "admin_key" not in json.dumps(health)


def test_without_a_media_server_the_player_is_mjpeg_only(tmp_path) -> None:
    app, headers, _ = signed_in_app(tmp_path)
    try:
        app.extensions["video"].ensure("1", "Copter-1")
        client = app.test_client()
        player = client.get("/video/1/player", headers=headers)
        assert player.status_code == 200
        assert player.get_json() == {"vehicle_id": "1", "mjpeg": "/video/1.mjpg", "webrtc": None}
        assert client.get("/video/media-server", headers=headers).get_json()["server"] == "builtin"
        refused = client.post(
            "/video/janus", json={"janus": "create", "transaction": "x"}, headers=headers
        )
        assert refused.status_code == 503
        assert "MJPEG" in refused.get_json()["message"]
        assert client.get("/video/2/player", headers=headers).status_code == 404
    finally:
        app.extensions["dronepatrol"].stop()


def test_janus_is_closed_to_the_anonymous_and_to_anything_but_watching(station) -> None:
    app, base, headers, fanout = station
    fanout.publisher_for("1")
    # Without a sign-in: a browser's POST lacks the session's CSRF token; a GET needs sign-in.
    status, _ = call(f"{base}/video/janus", {"janus": "create", "transaction": "a"}, {})
    assert status == 400
    session, handle = session_and_handle(base, headers)
    status, _ = call(f"{base}/video/janus/{session}?maxev=1", None, {"Accept": "application/json"})
    assert status == 401
    url = f"{base}/video/janus/{session}"
    # Another plugin, or admin requests of the streaming plugin: refused, and Janus never asked.
    status, body = call(
        url, {"janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": "c"}, headers
    )
    assert status == 403 and "streaming" in body["message"]
    create = {
        "request": "create",
        "type": "rtp",
        "id": 99,
        "admin_key": fanout.server.config.admin_key,
    }
    status, body = call(
        f"{url}/{handle}", {"janus": "message", "body": create, "transaction": "d"}, headers
    )
    assert status == 403 and "viewer requests" in body["message"]
    destroy = {"request": "destroy", "id": fanout.mountpoint("1").id}
    status, _ = call(
        f"{url}/{handle}", {"janus": "message", "body": destroy, "transaction": "e"}, headers
    )
    assert status == 403
    assert (
        fanout.server.mountpoint_info(fanout.mountpoint("1").id)["id"] == fanout.mountpoint("1").id
    )
    status, _ = call(url, {"janus": "info", "transaction": "f"}, headers)
    assert status == 403
    # Another user cannot use (or even see) this session.
    accounts = app.extensions["dronepatrol"].accounts
    other = accounts.issue_token(accounts.add_user("other", Role.VIEWER, "other-pass")).token
    status, body = call(
        url, {"janus": "keepalive", "transaction": "g"}, {"Authorization": f"Bearer {other}"}
    )
    assert status == 404
    # The owner ends it; afterwards it is gone for the owner too.
    status, body = call(url, {"janus": "destroy", "transaction": "h"}, headers)
    assert status == 200 and body["janus"] == "success"
    status, _ = call(url, {"janus": "keepalive", "transaction": "i"}, headers)
    assert status == 404
