"""``dronepatrol serve``: run the control app on a production WSGI server."""

from __future__ import annotations

import click

from dronepatrol.settings import Settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--demo",
    "demo_drones",
    default=0,
    type=click.IntRange(0, 50),
    metavar="N",
    help="Start N simulated drones at the example network's stations and load that network.",
)
@click.option(
    "--threads",
    default=128,
    show_default=True,
    type=click.IntRange(4, 1024),
    help="Worker threads; each live video or event-stream viewer holds one.",
)
@click.pass_obj
def serve(settings: Settings, host: str, port: int, demo_drones: int, threads: int) -> None:
    """Run the control app (map, fleet, planner, video) at http://HOST:PORT.

    Open the address in a browser. `--demo 2` is what `make demo` runs: the
    app with two simulated drones, nothing else needed.
    """
    import waitress

    from dronepatrol.web import create_app

    settings.ensure_dirs()
    app = create_app({"SETTINGS": settings, "DEMO_DRONES": demo_drones})
    click.echo(f"DronePatrol control app on http://{host}:{port}  (Ctrl-C stops)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="dronepatrol")
