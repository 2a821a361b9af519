"""``dronepatrol serve``: run the control app on a production WSGI server."""

from __future__ import annotations

import functools
import gc
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dronepatrol.cli.forwarding import mavlink_out_option
from dronepatrol.settings import Settings, SettingsError


def collector_paused_while_starting(command: Callable[..., None]) -> Callable[..., None]:
    """Run ``command`` with Python's cyclic garbage collector off until it calls ``gc.enable()``
    (when it starts serving), and on again however it ends.

    Starting the control app loads hundreds of modules and builds the web app:
    objects that all live on, which the collector would walk again and again
    for nothing, about a seventh of the start-up's CPU time. A restarted
    command centre shows the city that much sooner, most of all on a busy machine.
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        enabled = gc.isenabled()
        gc.disable()
        try:
            command(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return run


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--demo",
    "demo_drones",
    default=0,
    type=click.IntRange(0, 64),
    metavar="N",
    help="Start N simulated drones at the network's stations (by default the example network's).",
)
@click.option(
    "--demo-cameras",
    default=None,
    type=click.IntRange(0, 64),
    metavar="N",
    help="Simulated cameras on the first N demo drones only (default: every one; each "
    "camera renders frames all the time, so a city's fleet wants a few).",
)
@click.option(
    "--connect",
    multiple=True,
    metavar="URL",
    help="Fly a real vehicle (or ArduPilot SITL) at this MAVLink link URL, e.g. "
    "udpin:0.0.0.0:14550 or tcp:127.0.0.1:5760. Repeat for more.",
)
@click.option(
    "--network",
    "network_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Patrol network GeoJSON to load (default with --demo: the example network).",
)
@click.option(
    "--fleet",
    "fleet_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fleet registry (TOML or JSON: sysid, link, name, station per vehicle); "
    "vehicles heard but not in it are shown as unknown and never commanded. "
    "Default: the fleet_file setting.",
)
@click.option(
    "--video-fps",
    default=15.0,
    show_default=True,
    type=click.FloatRange(1, 30),
    help="Frame rate of the simulated cameras (lower it on a small machine).",
)
@click.option(
    "--speedup",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.1, 20),
    help="Simulated time speed-up of the --demo drones (1 = real time).",
)
@click.option(
    "--schedule",
    "schedule_mode",
    default="approve",
    show_default=True,
    type=click.Choice(["off", "approve", "auto"]),
    help="Patrol scheduler: propose sorties for one-click approval, fly them on its own "
    "(auto), or stay off. Operators can switch it in the app.",
)
@click.option(
    "--threads",
    default=160,
    show_default=True,
    type=click.IntRange(4, 1024),
    help="Worker threads; each live video or event-stream viewer holds one.",
)
@mavlink_out_option(
    "With several vehicles, the k-th link (from 0: --connect in order, then the --demo "
    "drones) uses PORT + k: 14550, 14551, ..."
)
@click.pass_obj
@collector_paused_while_starting
def serve(
    settings: Settings,
    host: str,
    port: int,
    demo_drones: int,
    demo_cameras: int | None,
    connect: tuple[str, ...],
    network_file: Path | None,
    fleet_file: Path | None,
    video_fps: float,
    speedup: float,
    schedule_mode: str,
    threads: int,
    mavlink_out: list,
) -> None:
    """Run the control app (map, fleet, planner, video) at http://HOST:PORT.

    Open the address in a browser and sign in. `--demo 2` is what `make demo`
    runs: the app with two simulated drones and the example patrol network.
    With DRONEPATROL_ADMIN_PASSWORD set, an `admin` account is created at
    start-up when none exists.
    """
    import waitress

    from dronepatrol.cli.runtime import ControlRuntime, ServeOptions
    from dronepatrol.network import NetworkError
    from dronepatrol.planning.limits import PlanningLimitError
    from dronepatrol.registry import FleetRegistry, RegistryError

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings.ensure_dirs()
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    registry = None
    registry_file = fleet_file or (Path(settings.fleet_file) if settings.fleet_file else None)
    if registry_file is not None:
        try:
            registry = FleetRegistry.load(registry_file)
        except RegistryError as exc:
            raise click.UsageError(f"--fleet: {exc}") from exc
    runtime = ControlRuntime(
        settings,
        ServeOptions(
            demo_drones,
            list(connect),
            network_file,
            video_fps,
            speedup,
            schedule_mode,
            registry=registry,
            mavlink_out=mavlink_out,
            demo_cameras=demo_cameras,
        ),
    )
    try:
        runtime.start()
    except NetworkError as exc:
        raise click.UsageError(f"--network: {exc}") from exc
    except PlanningLimitError as exc:
        raise click.UsageError(f"--network: {'; '.join(exc.problems)}") from exc
    from dronepatrol.web.security import reserve_threads

    reserve_threads(runtime.app, threads)
    server = None
    handlers: dict[int, Any] = {}
    try:
        if not runtime.room.accounts.list_users():
            click.echo(
                "No accounts yet: set DRONEPATROL_ADMIN_PASSWORD or run `dronepatrol users add`."
            )
        server = waitress.create_server(
            runtime.app,
            host=host,
            port=port,
            threads=threads,
            ident="dronepatrol",
            channel_timeout=300,
            # every live viewer holds a connection: accept more than waitress' 100
            connection_limit=threads + 100,
            outbuf_high_watermark=2 * 1024 * 1024,
        )
        click.echo(f"DronePatrol control app on http://{host}:{port}  (Ctrl-C stops)")
        gc.enable()  # started: see collector_paused_while_starting
        stop = threading.Event()
        handlers = {sig: signal.signal(sig, _stop_serving(stop)) for sig in STOP_SIGNALS}
        serve_until(server, stop)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        # Devices and live streams first: the web workers serving a stream are then free.
        runtime.stop()
        if server is not None:
            close_connections(server)
            server.task_dispatcher.shutdown()  # the worker threads
            server.close()  # the listening socket
    _report_leftover_threads()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Ctrl-C, and what a service manager (``systemctl stop``, ``docker stop``) sends."""


def _stop_serving(stop: threading.Event) -> Any:
    """A signal handler that asks :func:`serve_until` to stop, and nothing more.

    Raising from the handler instead would surface in whatever the server was
    doing at that instant; waitress catches exceptions while it closes a
    connection, so a stop signal that arrived just then was lost and ``serve``
    never stopped.
    """

    def handler(signum: int, frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C kills at once
        stop.set()

    return handler


def serve_until(server: Any, stop: threading.Event, poll_s: float = 0.5) -> None:
    """Run waitress' event loop until ``stop`` is set (checked every ``poll_s`` [s])."""
    from waitress import wasyncore

    while not stop.is_set():
        wasyncore.loop(
            timeout=poll_s, use_poll=server.adj.asyncore_use_poll, map=server._map, count=1
        )


def close_connections(server: Any) -> None:
    """Close every client connection of a waitress ``server`` whose event loop has stopped.

    A worker whose write to a viewer failed (the viewer had gone) waits for the
    event loop to close that connection; once the loop has stopped nothing
    would, and the worker, a stream of video or events, kept ``serve`` from
    exiting. Closing here wakes it: its next write ends the stream.
    """
    from waitress.channel import HTTPChannel

    for channel in list(server._map.values()):
        if isinstance(channel, HTTPChannel):
            channel.handle_close()


def _report_leftover_threads(grace_s: float = 5.0) -> None:
    """Log, as a warning, any thread still running ``grace_s`` [s] after everything stopped.

    Each is a part that did not stop: the process would linger on it (or, for
    a daemon thread, be cut off mid-work).
    """
    deadline = time.monotonic() + grace_s
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    left = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if left:
        logging.getLogger(__name__).warning("threads still running after stop: %s", left)
    else:
        click.echo("DronePatrol control app stopped")
