"""Launch real ArduPilot ``arducopter`` SITL processes, one per vehicle.

Each vehicle runs in its own working directory with wiped storage (``-w``),
instance number ``-I i`` (so it listens on TCP 5760 + 10 i), ``--sysid i+1``
and ``--defaults`` with the parameters the project ships in
``sitl/params/copter.parm`` (plus any extra parameter files). Homes are
spaced ``spacing_m`` metres apart eastward. SITL starts its autopilot only
once a ground station connects to its first TCP port. Instance i also
listens on TCP 5762 + 10 i and 5763 + 10 i (its SERIAL1 and SERIAL2); a
fleet whose ports another program holds is refused before anything starts
(:class:`SitlPortsBusy`), since a SITL that cannot listen exits, and a ground
station would meet the other program instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from dronepatrol import geo

SITL_BASE_PORT = 5760
PORT_STRIDE = 10
PORTS_PER_INSTANCE = 4
"""TCP 5760 + 10 i (SERIAL0) .. 5763 + 10 i: what one instance may listen on."""


class SitlPortsBusy(OSError):
    """Another program listens on a SITL instance's ports; the message names them."""


def default_params_file() -> Path:
    """The copter parameter file shipped with DronePatrol."""
    return Path(str(resources.files("dronepatrol.sitl") / "params" / "copter.parm"))


def default_binary() -> str | None:
    """$ARDUPILOT_SITL, the arducopter binary to run, or None."""
    return os.environ.get("ARDUPILOT_SITL") or None


@dataclass(frozen=True)
class SitlSpec:
    """How to start one SITL vehicle."""

    binary: str
    instance: int
    home: tuple[float, float, float, float]  # lat [deg], lon [deg], alt AMSL [m], heading [deg]
    speedup: float = 1.0
    defaults: tuple[Path, ...] = ()
    model: str = "x"

    @property
    def sysid(self) -> int:
        return self.instance + 1

    @property
    def port(self) -> int:
        return SITL_BASE_PORT + PORT_STRIDE * self.instance

    @property
    def url(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    @property
    def ports(self) -> range:
        """Every TCP port this instance may listen on."""
        return range(self.port, self.port + PORTS_PER_INSTANCE)

    def command(self) -> list[str]:
        """The arducopter command line for this vehicle."""
        lat, lon, alt, heading = self.home
        defaults = ",".join(str(p) for p in (default_params_file(), *self.defaults))
        return [
            self.binary,
            "--model",
            self.model,
            "--speedup",
            _num(self.speedup),
            "-I",
            str(self.instance),
            "--sysid",
            str(self.sysid),
            "--home",
            f"{lat:.7f},{lon:.7f},{_num(alt)},{_num(heading)}",
            "--defaults",
            defaults,
            "-w",
        ]


def _num(value: float) -> str:
    return f"{value:g}"


def port_busy(port: int) -> bool:
    """True when a program listens on TCP ``port`` (any address), as SITL would need it."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as SITL binds
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def busy_ports(specs: Iterable[SitlSpec]) -> list[int]:
    """The ports of ``specs`` that another program already holds."""
    return [port for spec in specs for port in spec.ports if port_busy(port)]


def first_free_instance(count: int = 1, start: int = 0, stop: int = 200) -> int:
    """The first of ``count`` consecutive instances from ``start`` whose ports are all free."""

    def free(instance: int) -> bool:
        base = SITL_BASE_PORT + PORT_STRIDE * instance
        return not any(port_busy(p) for p in range(base, base + PORTS_PER_INSTANCE))

    for first in range(start, stop):
        if all(free(i) for i in range(first, first + count)):
            return first
    raise SitlPortsBusy(f"no {count} free SITL instances between {start} and {stop}")


def fleet_specs(
    binary: str,
    drones: int,
    home: tuple[float, float, float, float],
    spacing_m: float = 10.0,
    speedup: float = 1.0,
    first_instance: int = 0,
    defaults: Sequence[Path] = (),
) -> list[SitlSpec]:
    """One spec per vehicle, homes ``spacing_m`` apart eastward."""
    specs = []
    for i in range(drones):
        lat, lon = geo.offset(home[0], home[1], 0.0, spacing_m * i)
        specs.append(
            SitlSpec(
                binary=binary,
                instance=first_instance + i,
                home=(lat, lon, home[2], home[3]),
                speedup=speedup,
                defaults=tuple(defaults),
            )
        )
    return specs


@dataclass
class SitlProcess:
    """A running arducopter and its working directory."""

    spec: SitlSpec
    workdir: Path
    proc: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return self.spec.url

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout)


def start(spec: SitlSpec, workdir: Path) -> SitlProcess:
    """Start one vehicle in ``workdir`` (created), output to ``workdir/arducopter.log``."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "arducopter.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            spec.command(),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return SitlProcess(spec, workdir, proc, log_path)


@dataclass
class SitlFleet:
    """Several SITL processes started and stopped together."""

    specs: list[SitlSpec]
    root: Path | None = None
    processes: list[SitlProcess] = field(default_factory=list)

    def start(self) -> SitlFleet:
        """Start every vehicle; SitlPortsBusy (nothing started) when a port is taken."""
        busy = busy_ports(self.specs)
        if busy:
            first = min(spec.instance for spec in self.specs)
            free = first_free_instance(len(self.specs), start=first + 1)
            raise SitlPortsBusy(
                f"TCP port(s) {', '.join(map(str, busy))} already in use by another program; "
                f"instance {free} onwards is free"
            )
        root = self.root or Path(tempfile.mkdtemp(prefix="dronepatrol-sitl-"))
        self.root = root
        try:
            for spec in self.specs:
                self.processes.append(start(spec, root / f"vehicle{spec.sysid}"))
        except OSError:
            self.stop()
            raise
        return self

    @property
    def urls(self) -> list[str]:
        return [p.url for p in self.processes]

    def stop(self) -> None:
        for p in self.processes:
            with contextlib.suppress(OSError):
                p.stop()

    def __enter__(self) -> SitlFleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def parse_home(text: str) -> tuple[float, float, float, float]:
    """LAT,LON,ALT_AMSL,HEADING (ALT and HEADING optional) -> tuple; ValueError names the fix."""
    parts = [p.strip() for p in text.split(",")]
    if not 2 <= len(parts) <= 4:
        raise ValueError("expected LAT,LON[,ALT_AMSL[,HEADING]], e.g. -35.363261,149.165230,584,0")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"{text!r} has a part that is not a number") from None
    lat, lon = values[0], values[1]
    alt = values[2] if len(values) > 2 else 584.0
    heading = values[3] if len(values) > 3 else 0.0
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180")
    if not 0.0 <= heading < 360.0:
        raise ValueError(f"heading {heading} is outside 0..360")
    return lat, lon, alt, heading


def describe(processes: Iterable[SitlProcess]) -> list[str]:
    return [f"vehicle {p.spec.sysid}: {p.url}  (log {p.log_path})" for p in processes]
