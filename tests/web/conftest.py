"""Fixtures for the control app: an app per test with its own database and users."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import TEST_PASSWORD_COST, SteppedClock

from dronepatrol.accounts import Role
from dronepatrol.settings import Settings
from dronepatrol.web import create_app

PASSWORD = "patrol-pass-1"
ROLES = [role.value for role in Role]


@pytest.fixture
def password() -> str:
    """Every test user's password."""
    return PASSWORD


@pytest.fixture
def clock() -> SteppedClock:
    """The app's wall clock, which a test can move forward."""
    return SteppedClock()


DATABASE_FILE = "dronepatrol.db"
"""The SQLite file in ``data_dir`` (:attr:`Settings.effective_database_url`)."""


@pytest.fixture(scope="session")
def users_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database holding one user per role, made once and copied into each ``app``.

    Hashing four passwords and running every migration cost each test about
    1 s of CPU; a copy of the finished file costs next to nothing. Every test
    still gets a database of its own, the app still migrates it on start (a
    no-op at head), and signing in still checks a real scrypt hash.
    """
    data_dir = tmp_path_factory.mktemp("users-database")
    settings = Settings(data_dir=data_dir, password_cost=TEST_PASSWORD_COST)
    room = create_app({"TESTING": True, "SETTINGS": settings}).extensions["dronepatrol"]
    for role in Role:
        room.accounts.add_user(role.value, role, PASSWORD)
    room.stop()  # the last connection closes: SQLite folds its write-ahead log into the file
    assert not (data_dir / f"{DATABASE_FILE}-wal").exists()
    return data_dir / DATABASE_FILE


@pytest.fixture
def app(tmp_path: Path, clock: SteppedClock, users_database: Path) -> Iterator[Flask]:
    shutil.copy2(users_database, tmp_path / DATABASE_FILE)  # keeps its 0600 mode
    settings = Settings(data_dir=tmp_path, password_cost=TEST_PASSWORD_COST)
    app = create_app({"TESTING": True, "SETTINGS": settings, "CLOCK": clock})
    room = app.extensions["dronepatrol"]
    assert {user.name for user in room.accounts.list_users()} == set(ROLES)
    yield app
    room.stop()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _csrf(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return session.setdefault("csrf", "test-csrf-token")


@pytest.fixture
def browser_as(app: Flask) -> Callable[[str], FlaskClient]:
    """A test client signed in through the login form as the user named after ``role``."""

    def sign_in(role: str) -> FlaskClient:
        client = app.test_client()
        token = _csrf(client)
        response = client.post(
            "/login",
            data={"username": role, "password": PASSWORD, "csrf_token": token, "next": "/"},
        )
        assert response.status_code == 302, response.data
        client.environ_base["HTTP_X_CSRF_TOKEN"] = _csrf(client)
        return client

    return sign_in


@pytest.fixture
def token_for(client: FlaskClient) -> Callable[[str], dict[str, str]]:
    """Authorization headers with a fresh bearer token for the user named after ``role``."""

    def login(role: str) -> dict[str, str]:
        response = client.post("/api/login", json={"username": role, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return login


CMAC = (-35.363261, 149.165230, 584.0, 0.0)
"""ArduPilot SITL's default home, also station S01 of the example network."""


@pytest.fixture
def drone(app: Flask) -> Iterator[str]:
    """One embedded simulated copter (fast start, 10x speed) flown by ``app``; yields its id."""
    from dronepatrol.mavlink import Fleet, wait_ready
    from dronepatrol.mavlink.preflight import PATROL_SAFETY_PARAMS
    from dronepatrol.sitl import SimFleet

    room = app.extensions["dronepatrol"]
    sim = SimFleet(
        1, CMAC, speedup=10, base_port=0, fast_start=True, params=PATROL_SAFETY_PARAMS
    ).start()
    fleet = Fleet(room.bus, heartbeat_hz=20.0)  # 2x the speed-up: no GCS failsafe
    try:
        room.attach_fleet(fleet)
        fleet.add(sim.urls[0])
        (vehicle,) = fleet.wait_vehicles(1, timeout_s=30)
        wait_ready(vehicle, 120)
        yield vehicle.vehicle_id
    finally:
        fleet.close()
        sim.stop()
