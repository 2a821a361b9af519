"""SimFleet: N simulated ArduCopters in one process, one loop thread, real TCP ports.

The in-process control API for tests, the CLI and the web demo::

    from dronepatrol.sitl import Home, SimFleet

    with SimFleet(2, Home(-35.363261, 149.165230, 584, 0), spacing_m=10,
                  speedup=10, base_port=0, fast_start=True) as fleet:
        fleet.urls            # ['tcp:127.0.0.1:41234', 'tcp:127.0.0.1:41244']
        fleet.cut_link(0)     # radio out of range: traffic dropped both ways
        fleet.restore_link(0)
        fleet.set_param(1, "SIM_WIND_SPD", 8)   # same SIM_* names as ArduPilot SITL
        fleet.snapshot(0)     # {'lat': ..., 'mode': 'STABILIZE', 'armed': False, ...}

Vehicle i listens on ``base_port + 10 * i`` (ArduPilot SITL's convention;
``base_port=0`` picks free ports so tests can run in parallel), has system id
i+1 and component 1, and starts ``spacing_m`` metres east of the previous
one. ``speedup`` scales simulated time for everything: flight, heartbeats,
timeouts and failsafes. Like SITL, a vehicle's clock starts with the first
connection to its TCP port (or at once with a UDP output). ``battery_ah``
gives every vehicle a pack of that capacity, as a SITL frame model with
``battCapacityAh`` does (0: SITL's default quad, an unlimited pack at a
constant SIM_BATT_VOLTAGE).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from dronepatrol import geo
from dronepatrol.sitl import faults
from dronepatrol.sitl.copter import Home, SimCopter
from dronepatrol.sitl.flight import MODE_NAMES
from dronepatrol.sitl.server import Endpoint

log = logging.getLogger(__name__)
T = TypeVar("T")

TICK_S = 0.05
"""Wall-clock period of the simulation loop [s]."""
MAX_STEP_S = 0.1
"""Largest simulated step; faster speedups take several steps per tick [s]."""
MAX_CATCH_UP_S = 0.25
"""A loop that falls behind simulates at most this much wall time per tick (it slows down)."""
PORT_STRIDE = 10
DEFAULT_HOME = Home(-35.363261, 149.165230, 584.0, 0.0)
"""ArduPilot SITL's default location (CMAC, Canberra)."""


class SimFleet:
    """N simulated copters served on TCP (see the module docstring for the API)."""

    def __init__(
        self,
        n: int = 1,
        home: Home | tuple[float, float, float, float] = DEFAULT_HOME,
        *,
        spacing_m: float = 10.0,
        speedup: float = 1.0,
        base_port: int = 5760,
        fast_start: bool = False,
        seed: int | None = None,
        params: dict[str, float] | None = None,
        battery_ah: float = 0.0,
        udp_out: tuple[str, int] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        if n < 1:
            raise ValueError("a fleet needs at least one vehicle")
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        self.home = home if isinstance(home, Home) else Home(*home)
        self.speedup = float(speedup)
        self._sel = selectors.DefaultSelector()
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._thread: threading.Thread | None = None
        self._running = False
        self.vehicles: list[SimCopter] = []
        self.endpoints: list[Endpoint] = []
        try:
            for i in range(n):
                lat, lon = geo.offset(self.home.lat_deg, self.home.lon_deg, 0.0, spacing_m * i)
                vhome = Home(lat, lon, self.home.alt_m, self.home.heading_deg)
                vseed = None if seed is None else seed * 1000 + i
                vehicle = SimCopter(
                    i + 1,
                    vhome,
                    fast_start=fast_start,
                    params=params,
                    seed=vseed,
                    battery_ah=battery_ah,
                )
                vehicle.params.set("SIM_SPEEDUP", self.speedup)
                vehicle.params.changed.clear()
                port = 0 if base_port == 0 else base_port + PORT_STRIDE * i
                self.endpoints.append(Endpoint(vehicle, self._sel, host, port, udp_out))
                self.vehicles.append(vehicle)
        except OSError:
            self._close_sockets()
            raise

    # -- lifecycle ------------------------------------------------------------
    @property
    def urls(self) -> list[str]:
        """Each vehicle's link URL, e.g. ``tcp:127.0.0.1:5760``."""
        return [ep.url for ep in self.endpoints]

    @property
    def ports(self) -> list[int]:
        return [ep.port for ep in self.endpoints]

    def start(self) -> SimFleet:
        if self._thread is not None:
            return self
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="sim-fleet", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the loop and close every socket; safe to call twice."""
        self._running = False
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._close_sockets()

    def _close_sockets(self) -> None:
        for ep in self.endpoints:
            ep.close()
        self.endpoints_closed = True
        for sock in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                sock.close()
        with contextlib.suppress(Exception):
            self._sel.close()

    def __enter__(self) -> SimFleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control API (thread-safe) ------------------------------------------------
    def call(self, index: int, fn: Callable[[SimCopter], T], timeout: float = 5.0) -> T:
        """Run ``fn(vehicle)`` on the simulation thread and return its result."""
        vehicle = self.vehicles[index]
        if self._thread is None:
            return fn(vehicle)
        fut: Future = Future()
        self._calls.put((lambda: fn(vehicle), fut))
        with contextlib.suppress(OSError):
            self._wake_w.send(b"c")
        return fut.result(timeout)

    def cut_link(self, index: int) -> None:
        """Drop all traffic to and from vehicle ``index`` (connections stay open)."""
        self.call(index, lambda v: setattr(self.endpoints[index], "link_up", False))

    def restore_link(self, index: int) -> None:
        self.call(index, lambda v: setattr(self.endpoints[index], "link_up", True))

    def set_param(self, index: int, name: str, value: float) -> None:
        """Set a parameter as a ground station would (SIM_* for fault injection)."""
        ok = self.call(index, lambda v: v.params.set(name, value))
        if not ok:
            raise KeyError(f"vehicle {index + 1} has no parameter {name}")

    def set_gps(self, index: int, enabled: bool) -> None:
        """GPS loss/recovery, as SITL's SIM_GPS_DISABLE / SIM_GPS1_ENABLE."""
        self._apply(index, faults.gps(enabled))

    def set_battery_voltage(self, index: int, volts: float) -> None:
        """Battery drop, as SITL's SIM_BATT_VOLTAGE [V]."""
        self._apply(index, faults.battery_voltage(volts))

    def swap_pack(self, index: int) -> None:
        """The crew puts a full pack in vehicle ``index`` (its monitor still needs BATTERY_RESET).

        SITL has no such action: there a fresh pack is a restart or a new
        SIM_BATT_VOLTAGE. Queued without waiting, so event callbacks may call it.
        """
        vehicle = self.vehicles[index]
        fut: Future = Future()
        self._calls.put((lambda: vehicle.battery.refill(), fut))
        with contextlib.suppress(OSError):
            self._wake_w.send(b"c")

    def set_wind(
        self, index: int, speed_mps: float, from_deg: float = 180.0, turbulence: float = 0.0
    ) -> None:
        """Wind and gusts, as SITL's SIM_WIND_SPD / SIM_WIND_DIR / SIM_WIND_TURB."""
        self._apply(index, faults.wind(speed_mps, from_deg, turbulence))

    def _apply(self, index: int, values: dict[str, float]) -> None:
        """Set several parameters at once: no simulation step sees half of them."""

        def set_all(v: SimCopter) -> list[str]:
            return [name for name, x in values.items() if not v.params.set(name, x)]

        missing = self.call(index, set_all)
        if missing:
            raise KeyError(f"vehicle {index + 1} has no parameter {missing[0]}")

    def snapshot(self, index: int) -> dict[str, Any]:
        """A plain summary of vehicle ``index`` (for demos and test diagnostics)."""

        def snap(v: SimCopter) -> dict[str, Any]:
            lat, lon = v.latlon()
            return {
                "sysid": v.sysid,
                "time_s": v.now,
                "lat": lat,
                "lon": lon,
                "alt_rel_m": v.air.up_m - v.home_local.up,
                "mode": MODE_NAMES.get(v.mode, str(int(v.mode))),
                "armed": v.armed,
                "landed": v.landed,
                "voltage_v": v.battery.voltage_v,
                "remaining_pct": v.battery.remaining_pct(v.params["BATT_CAPACITY"]),
                "link_up": self.endpoints[index].link_up,
                "clients": len(self.endpoints[index].clients),
            }

        return self.call(index, snap)

    # -- the loop ---------------------------------------------------------------------
    def _loop(self) -> None:
        last = time.monotonic()
        next_tick = last + TICK_S
        while self._running:
            timeout = max(0.0, next_tick - time.monotonic())
            try:
                events = self._sel.select(timeout)
            except OSError:
                break
            for key, mask in events:
                self._dispatch(key.data, mask)
            self._run_calls()
            now = time.monotonic()
            if now >= next_tick:
                elapsed = min(now - last, MAX_CATCH_UP_S)
                last = now
                next_tick = max(next_tick + TICK_S, now + TICK_S / 4)
                self._advance(elapsed * self.speedup)
            self._flush()

    def _dispatch(self, data: tuple[str, Any], mask: int) -> None:
        kind, obj = data
        if kind == "wake":
            with contextlib.suppress(OSError):
                self._wake_r.recv(4096)
        elif kind == "accept":
            obj.accept()
        elif kind == "udp":
            obj.udp_readable()
        elif kind == "client":
            if mask & selectors.EVENT_READ:
                obj.endpoint.readable(obj)
            if mask & selectors.EVENT_WRITE and obj.sock is not None:
                obj.endpoint.writable(obj)

    def _run_calls(self) -> None:
        while True:
            try:
                fn, fut = self._calls.get_nowait()
            except queue.Empty:
                return
            try:
                fut.set_result(fn())
            except Exception as exc:
                fut.set_exception(exc)

    def _advance(self, sim_dt: float) -> None:
        steps = max(1, int(sim_dt / MAX_STEP_S + 0.999))
        dt = sim_dt / steps
        running = [ep.vehicle for ep in self.endpoints if ep.started]
        for _ in range(steps):
            for vehicle in running:
                try:
                    vehicle.step(dt)
                except Exception:
                    log.exception("vehicle %d: simulation step failed", vehicle.sysid)

    def _flush(self) -> None:
        for ep in self.endpoints:
            ep.flush()
