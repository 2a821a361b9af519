"""``dronepatrol serve``: run the control app on a production WSGI server."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from dronepatrol.settings import Settings, SettingsError


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
@click.pass_obj
def serve(
    settings: Settings,
    host: str,
    port: int,
    demo_drones: int,
    demo_cameras: int | None,
    connect: tuple[str, ...],
    network_file: Path | None,
    video_fps: float,
    speedup: float,
    schedule_mode: str,
    threads: int,
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
    from dronepatrol.web import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings.ensure_dirs()
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    app = create_app({"SETTINGS": settings})
    runtime = ControlRuntime(
        app,
        ServeOptions(
            demo_drones,
            list(connect),
            network_file,
            video_fps,
            speedup,
            schedule_mode,
            demo_cameras=demo_cameras,
        ),
    )
    try:
        runtime.start()
    except NetworkError as exc:
        raise click.UsageError(f"--network: {exc}") from exc
    if not app.extensions["dronepatrol"].accounts.list_users():
        click.echo(
            "No accounts yet: set DRONEPATROL_ADMIN_PASSWORD or run `dronepatrol users add`."
        )
    click.echo(f"DronePatrol control app on http://{host}:{port}  (Ctrl-C stops)")
    try:
        waitress.serve(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="dronepatrol",
            channel_timeout=300,
            # every live viewer holds a connection: accept more than waitress' 100
            connection_limit=threads + 100,
            outbuf_high_watermark=2 * 1024 * 1024,
        )
    finally:
        runtime.stop()
