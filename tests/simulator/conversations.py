"""Scripted conversations run against a vehicle, recorded through a tapping proxy.

Each conversation is a client program run unchanged against a vehicle's
link: ``dronekit-flow`` is the DroneKit script of tests/flight/scripts,
``fly-sortie`` the product's own ``dronepatrol fly`` of a planned sortie
(mission, inclusion fence and rally point, AUTO to landing). The vehicle is
either the embedded simulator (:func:`start_sim`) or real ArduCopter SITL
(:func:`start_sitl`); a :class:`~dronepatrol.sitl.proxy.LinkProxy` between
client and vehicle writes the conversation to a tlog for
:func:`differential.summarize`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dronepatrol.sitl import Home, SimFleet
from dronepatrol.sitl.proxy import LinkProxy
from simulator.differential import TlogRecorder

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data" / "ardupilot-4.7"
DRONEKIT_SCRIPT = TESTS / "flight" / "scripts" / "dronekit_flow.py"
SORTIE_PLAN = DATA / "sortie-inclusion-fence-only.plan"


@dataclass(frozen=True)
class Conversation:
    """One scripted client run: where the vehicle starts and what the client does."""

    name: str
    home: tuple[float, float, float, float]
    speedup: float
    client: Callable[[str, float, Path], list[str]]
    """The client's command line for a link URL, the run's speed-up and a work directory."""
    timeout_s: float = 300.0
    texts_from: str | None = None
    """Compare STATUSTEXTs from the ground station's first message of this type on."""
    own_tlog: bool = False
    """The client records the conversation itself (``dronepatrol fly --record``): that tlog,
    which starts when the sortie does, is the one summarised, as in the reference."""


def _dronekit(url: str, speedup: float, workdir: Path) -> list[str]:
    return [sys.executable, str(DRONEKIT_SCRIPT), url]


def _fly(url: str, speedup: float, workdir: Path) -> list[str]:
    # SITL defaults leave the GCS and battery failsafes and the fence off: accept that,
    # as the recording of real ArduCopter did; and the sortie is longer than SITL's
    # pack, which real ArduCopter flew to 0 %: the conversation compared is the
    # autopilot's, so the controller's return-home watch stays out of it
    return [
        sys.executable,
        "-m",
        "dronepatrol",
        "fly",
        "--connect",
        url,
        "--mission",
        str(SORTIE_PLAN),
        "--override",
        "gcs_failsafe",
        "--override",
        "battery_failsafe",
        "--override",
        "fence",
        "--override",
        "return_watch",
        "--min-battery",
        "0",
        "--heartbeat-hz",
        str(max(1.0, speedup)),
        "--record",
        str(workdir),
    ]


CONVERSATIONS = {
    c.name: c
    for c in (
        Conversation("dronekit-flow", (-35.363261, 149.165230, 584.0, 0.0), 5.0, _dronekit),
        # at the recording's speed-up: a ground station answering mission requests takes
        # wall-clock time, ArduPilot re-requests an item after 1 s of simulated time
        Conversation(
            "fly-sortie",
            (-35.3629331, 149.1654959, 584.0, 0.0),
            10.0,
            _fly,
            600.0,
            texts_from="MISSION_COUNT",  # the reference recording starts after the boot
            own_tlog=True,
        ),
    )
}


@dataclass
class Vehicle:
    """A started vehicle's link URL and how to stop it."""

    url: str
    stop: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for fn in reversed(self.stop):
            with contextlib.suppress(Exception):
                fn()


def start_sim(conv: Conversation, params: dict[str, float] | None = None) -> Vehicle:
    fleet = SimFleet(1, Home(*conv.home), speedup=conv.speedup, base_port=0, params=params)
    fleet.start()
    return Vehicle(fleet.urls[0], [fleet.stop])


def start_sitl(conv: Conversation, binary: str, instance: int = 30) -> Vehicle:
    from dronepatrol.sitl.launcher import SitlFleet, fleet_specs

    root = Path(tempfile.mkdtemp(prefix="dronepatrol-reference-"))
    specs = fleet_specs(binary, 1, conv.home, speedup=conv.speedup, first_instance=instance)
    fleet = SitlFleet(specs, root=root).start()
    return Vehicle(fleet.urls[0], [lambda: shutil.rmtree(root, True), fleet.stop])


@contextlib.contextmanager
def recorded(vehicle: Vehicle, tlog: Path) -> Iterator[str]:
    """A proxy URL in front of ``vehicle`` whose traffic both ways goes to ``tlog``."""
    host, port = vehicle.url.split(":")[1:]
    recorder = TlogRecorder(tlog)
    proxy = LinkProxy(host, int(port), tap=recorder).start()
    try:
        yield proxy.url
    finally:
        proxy.stop()
        recorder.close()


def run(conv: Conversation, vehicle: Vehicle, workdir: Path) -> tuple[int, str, Path]:
    """Run the conversation's client against ``vehicle`` in ``workdir``.

    Returns the client's exit status, its output and the tlog of the conversation.
    """
    proxy_tlog = workdir / "conversation.tlog"
    env = {**os.environ, "XDG_DATA_HOME": str(workdir / "data")}  # no user data touched
    with recorded(vehicle, proxy_tlog) as url:
        proc = subprocess.run(
            conv.client(url, conv.speedup, workdir),
            capture_output=True,
            text=True,
            timeout=conv.timeout_s,
            cwd=TESTS.parent,
            env=env,
        )
    tlog = proxy_tlog
    if conv.own_tlog:
        own = sorted(p for p in workdir.glob("*.tlog") if p != proxy_tlog)
        tlog = own[-1] if own else proxy_tlog
    return proc.returncode, proc.stdout + proc.stderr, tlog
