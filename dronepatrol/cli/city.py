"""``dronepatrol city-demo``: a whole city on one machine (broker, centre, stations).

It starts a Mosquitto broker on loopback (accounts, ACL, TLS with a CA made
for it), a command centre (``serve`` with ``mode = centre``) and N stations
(``serve --demo`` with ``mode = station``), each a process of its own with its
own data directory, exactly as they would run on separate machines. The
centre keeps its records in ``--centre-database`` (PostgreSQL in a city; a
SQLite file in the demo directory by default). :class:`CityDemo` is also what
the process-level tests drive (kill the centre, restart it...).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import click

from dronepatrol.settings import Settings

STATION_NAMES = ("north", "south", "east", "west", "harbour", "airport", "old-town", "hills")


@dataclass
class CityNode:
    """One ``dronepatrol serve`` process of the city: the centre or a station."""

    name: str
    port: int
    data_dir: Path
    env: dict[str, str]
    options: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CityNode:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "serve.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dronepatrol",
                    "serve",
                    "--port",
                    str(self.port),
                    *self.options,
                ],
                env={**os.environ, **self.env, "DRONEPATROL_DATA_DIR": str(self.data_dir)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_healthy(self, timeout_s: float = 90.0) -> None:
        """Wait until ``/api/health`` answers; RuntimeError with the log when it exits first."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{self.name} not healthy within {timeout_s:g} s:\n{self.log()[-4000:]}")

    def log(self) -> str:
        path = self.data_dir / "serve.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the process dies as in a power cut (no goodbye, no flush)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """Ctrl-C, as an operator stops ``serve``; its exit status."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CityDemo:
    """A broker, a centre and ``stations`` stations with simulated drones, on this machine.

    Args:
        directory: where each node's data directory and the broker's files go.
        stations: station ids.
        drones_per_station: simulated drones at each station.
        centre_database_url: the centre's database (empty: SQLite in its data directory).
        admin_password: every node's ``admin`` account password.
        centre_port: the centre's web port (0: a free one); stations take free ports.
        tls: the broker listens with TLS (a CA made for the demo).
        speedup: simulated time speed-up of the drones.
        video: run the city's media server (Janus, on loopback) and give each station's
            first drone a simulated camera published to it, so the centre plays it.
    """

    def __init__(
        self,
        directory: Path,
        stations: list[str],
        *,
        drones_per_station: int = 1,
        centre_database_url: str = "",
        admin_password: str = "demo-admin",
        centre_port: int = 0,
        tls: bool = True,
        speedup: float = 1.0,
        video: bool = False,
    ) -> None:
        from dronepatrol.city.local_broker import LocalBroker

        self.directory = Path(directory)
        self.broker = LocalBroker(self.directory / "broker", stations, tls=tls)
        common = {
            "DRONEPATROL_ADMIN_PASSWORD": admin_password,
            "DRONEPATROL_BROKER_URL": self.broker.url,
            "DRONEPATROL_BROKER_CA_FILE": self.broker.ca_file,
        }
        self.media_server = None
        cameras = "0"
        if video:
            from dronepatrol.video.media_server import JanusConfig, JanusServer

            config = JanusConfig(http_port=_free_port())
            self.media_server = JanusServer(config, workdir=self.directory / "janus")
            cameras = "1"
            common |= {
                "DRONEPATROL_VIDEO_SERVER": "janus",
                "DRONEPATROL_VIDEO_JANUS_URL": f"http://127.0.0.1:{config.http_port}/janus",
                "DRONEPATROL_VIDEO_JANUS_ADMIN_KEY": config.admin_key,
            }
        centre_account = self.broker.centre_settings()
        self.centre = CityNode(
            "centre",
            centre_port or _free_port(),
            self.directory / "centre",
            {
                **common,
                "DRONEPATROL_MODE": "centre",
                "DRONEPATROL_BROKER_PASSWORD": centre_account.password,
                "DRONEPATROL_DATABASE_URL": centre_database_url,
            },
        )
        self.stations: dict[str, CityNode] = {}
        for station in stations:
            account = self.broker.station_settings(station)
            self.stations[station] = CityNode(
                station,
                _free_port(),
                self.directory / station,
                {
                    **common,
                    "DRONEPATROL_MODE": "station",
                    "DRONEPATROL_STATION_ID": station,
                    "DRONEPATROL_BROKER_PASSWORD": account.password,
                    "DRONEPATROL_DATABASE_URL": "",
                },
                [
                    "--demo",
                    str(drones_per_station),
                    "--demo-cameras",
                    cameras,
                    "--video-fps",
                    "10",
                    "--speedup",
                    f"{speedup:g}",
                    "--schedule",
                    "off",
                ],
            )

    def nodes(self) -> list[CityNode]:
        return [self.centre, *self.stations.values()]

    def start(self) -> CityDemo:
        self.broker.start()
        try:
            if self.media_server is not None:
                self.media_server.start()
            for node in self.nodes():
                node.start()
            for node in self.nodes():
                node.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the stations and the centre (in parallel: each takes a few seconds), then
        the broker."""
        threads = [threading.Thread(target=node.stop) for node in self.nodes()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.media_server is not None:
            self.media_server.stop()
        self.broker.stop()

    def __enter__(self) -> CityDemo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@click.command("city-demo")
@click.option(
    "--stations",
    default=3,
    show_default=True,
    type=click.IntRange(1, len(STATION_NAMES)),
    help="Stations to start, each with its own simulated drones.",
)
@click.option(
    "--drones",
    default=1,
    show_default=True,
    type=click.IntRange(1, 8),
    help="Simulated drones per station.",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The centre's web port (stations take free ports).",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the nodes keep their data (default: city-demo in the data directory).",
)
@click.option(
    "--centre-database",
    default="",
    metavar="URL",
    help="The centre's database, e.g. postgresql://user@host/city "
    "(default: SQLite in the centre's data directory).",
)
@click.option("--plain", is_flag=True, help="Broker without TLS.")
@click.option(
    "--video",
    is_flag=True,
    help="Run the city's media server (Janus: apt-get install janus); each station's first "
    "drone gets a camera the centre's City page plays.",
)
@click.pass_obj
def city_demo(
    settings: Settings,
    stations: int,
    drones: int,
    port: int,
    directory: Path | None,
    centre_database: str,
    plain: bool,
    video: bool,
) -> None:
    """A broker, a command centre and STATIONS stations with simulated drones, on this machine.

    Sign in to the centre as admin (DRONEPATROL_ADMIN_PASSWORD, default
    "demo-admin"); GET /api/city shows every station and drone.
    """
    from dronepatrol.city.local_broker import LocalBrokerError

    directory = directory or settings.data_dir / "city-demo"
    password = settings.admin_password or "demo-admin"
    names = list(STATION_NAMES[:stations])
    try:
        demo = CityDemo(
            directory,
            names,
            drones_per_station=drones,
            centre_database_url=centre_database,
            admin_password=password,
            centre_port=port,
            tls=not plain,
            video=video,
        )
        demo.start()
    except (LocalBrokerError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"broker  {demo.broker.url}")
    click.echo(f"centre  {demo.centre.url}  (GET /api/city; sign in as admin)")
    for name, node in demo.stations.items():
        click.echo(f"station {name:<8} {node.url}")
    click.echo(json.dumps({"centre": demo.centre.url, "stations": names}))
    stop = threading.Event()
    handlers = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(1.0):
            for node in demo.nodes():
                if node.process is not None and node.process.poll() is not None:
                    click.echo(f"{node.name} exited; its log: {node.data_dir / 'serve.log'}")
                    stop.set()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        click.echo("stopping the city...")
        demo.stop()
