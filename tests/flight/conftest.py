"""One fixture, two backends: the embedded simulator always, real ArduCopter SITL when configured.

``launch_vehicle(params=..., speedup=...)`` starts a fresh vehicle and
returns a :class:`Backend` with its link URL and fault injection that works
on both: SIM_* parameters set over MAVLink (the same names ArduPilot SITL
uses) and a TCP proxy for link cuts. The ``sitl`` variant is marked
``sitl`` and skipped unless ARDUPILOT_SITL names an arducopter binary.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dronepatrol.sitl import Home, SimFleet
from dronepatrol.sitl.launcher import SitlFleet, first_free_instance, fleet_specs
from dronepatrol.sitl.proxy import LinkProxy
from flight.flightlib import Gcs

HOME = Home(-35.363261, 149.165230, 584.0, 0.0)
SPEEDUP = 20.0
"""Simulated seconds per wall second in the flight tests (both backends)."""


@dataclass
class Backend:
    """A started vehicle: link URL, system id (whatever its launcher gave), how to stop it."""

    name: str
    url: str
    sysid: int
    home: Home = HOME
    speedup: float = SPEEDUP
    _stop: list[Callable[[], None]] = field(default_factory=list)
    fleet: SimFleet | None = None
    rc_in: tuple[str, int] | None = None
    """Where the simulated RC transmitter's PWM goes (SITL: UDP 5501 + 10 i), if anywhere."""

    def centre_throttle(self) -> None:
        """Put the simulated transmitter's throttle stick at mid, as a standby pilot holds it.

        ArduCopter's pilot-assisted modes (CIRCLE, LOITER, ALT_HOLD) climb or sink
        as the throttle stick says (ModeCircle::run: get_pilot_desired_climb_rate),
        and SITL's simulated transmitter rests at throttle 1000 us
        (AP_RCProtocol_UDP::set_default_pwm_input_values): without this, CIRCLE
        sinks to the ground. SITL takes 8 channels of PWM [us] in one UDP packet;
        0 leaves a channel as it is. The embedded simulator models no transmitter.
        """
        if self.rc_in is None:
            return
        pwm = [0, 0, 1500, 0, 0, 0, 0, 0]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(struct.pack("<8H", *pwm), self.rc_in)

    def gcs(self) -> Gcs:
        return self.gcs_via(self.url)

    def proxy(self) -> LinkProxy:
        """A link-cutting proxy in front of this vehicle (works for both backends)."""
        host, port = self.url.split(":")[1:]
        proxy = LinkProxy(host, int(port)).start()
        self._stop.append(proxy.stop)
        return proxy

    def gcs_via(self, url: str) -> Gcs:
        gcs = Gcs(url, target_system=self.sysid)
        self._stop.insert(0, gcs.close)
        gcs.wait_heartbeat(timeout=60)
        gcs.request_streams(2)
        return gcs

    def stop(self) -> None:
        for fn in self._stop:
            with contextlib.suppress(Exception):
                fn()
        self._stop.clear()


def _free_sitl_instance(count: int = 1) -> int:
    """The first of ``count`` free consecutive SITL instances from 20 (a developer's own
    SITLs run as instance 0, 1, ...; other test runs on the machine may hold some too)."""
    return first_free_instance(count, start=20)


def _start_sim(params: dict[str, float] | None, speedup: float, fast: bool) -> Backend:
    fleet = SimFleet(1, HOME, speedup=speedup, base_port=0, fast_start=fast, params=params)
    fleet.start()
    sysid = fleet.vehicles[0].sysid
    backend = Backend("sim", fleet.urls[0], sysid=sysid, speedup=speedup, fleet=fleet)
    backend._stop.append(fleet.stop)
    return backend


def _start_sitl(params: dict[str, float] | None, speedup: float) -> Backend:
    binary = os.environ["ARDUPILOT_SITL"]
    root = Path(tempfile.mkdtemp(prefix="dronepatrol-sitl-test-"))
    extra = []
    if params:
        extra_file = root / "test.parm"
        extra_file.write_text("".join(f"{k} {v}\n" for k, v in params.items()))
        extra.append(extra_file)
    instance = _free_sitl_instance()
    home = (HOME.lat_deg, HOME.lon_deg, HOME.alt_m, HOME.heading_deg)
    specs = fleet_specs(binary, 1, home, speedup=speedup, first_instance=instance, defaults=extra)
    fleet = SitlFleet(specs, root=root).start()
    backend = Backend(
        "sitl",
        fleet.urls[0],
        sysid=specs[0].sysid,
        speedup=speedup,
        rc_in=("127.0.0.1", 5501 + 10 * instance),
    )
    backend._stop.append(fleet.stop)
    backend._stop.append(lambda: shutil.rmtree(root, ignore_errors=True))
    return backend


@pytest.fixture(params=["sim", pytest.param("sitl", marks=pytest.mark.sitl)])
def launch_vehicle(request: pytest.FixtureRequest) -> Iterator[Callable[..., Backend]]:
    """Factory: ``launch_vehicle(params=None, speedup=SPEEDUP)`` -> a fresh Backend."""
    started: list[Backend] = []

    def launch(params: dict[str, float] | None = None, speedup: float = SPEEDUP) -> Backend:
        if request.param == "sim":
            backend = _start_sim(params, speedup, fast=False)
        else:
            backend = _start_sitl(params, speedup)
        started.append(backend)
        return backend

    yield launch
    for backend in started:
        backend.stop()


@pytest.fixture
def backend_name(launch_vehicle, request: pytest.FixtureRequest) -> str:
    return request.node.callspec.params["launch_vehicle"]
