"""``dronepatrol fly``: fly one sortie headless over MAVLink."""

from __future__ import annotations

import getpass
import signal
from datetime import UTC, datetime
from pathlib import Path

import click

from dronepatrol.cli.forwarding import mavlink_out_option

PREFLIGHT_CHECKS = (
    "battery",
    "gcs_failsafe",
    "battery_failsafe",
    "fence",
    "rtl_alt",
    "return_watch",
)


SIMULATED_PATROL_HINT = (
    "a simulated vehicle? `dronepatrol sim --patrol` and `dronepatrol sitl` start patrol "
    "drones (failsafes, fence, a pack for the shipped drone profile); stock ArduCopter "
    "defaults have none of them"
)
"""Said after a refusal a stock simulated vehicle would meet: how to start one that flies."""


@click.command()
@click.option(
    "--connect",
    "url",
    required=True,
    help="Vehicle link: tcp:HOST:PORT, udpin:HOST:PORT, udpout:HOST:PORT or serial:/dev/X:BAUD.",
)
@click.option(
    "--mission",
    "mission_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Mission file to fly (.plan or .waypoints).",
)
@click.option(
    "--takeoff-alt",
    "takeoff_alt_m",
    type=click.FloatRange(2, 500),
    default=20.0,
    show_default=True,
    help="Takeoff altitude above home [m].",
)
@click.option(
    "--record",
    "record_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the sortie's .tlog (default: the data directory's tlogs/).",
)
@click.option(
    "--override",
    "overrides",
    multiple=True,
    type=click.Choice(PREFLIGHT_CHECKS),
    help="Accept a failing preflight check (repeatable); the failure is still shown.",
)
@click.option(
    "--min-battery",
    "min_battery_pct",
    type=click.FloatRange(0, 100),
    default=50.0,
    show_default=True,
    help="Lowest battery [%] to take off with.",
)
@click.option(
    "--ready-timeout",
    "ready_timeout_s",
    type=click.FloatRange(1),
    default=180.0,
    show_default=True,
    help="How long to wait for the vehicle to be ready [s].",
)
@click.option(
    "--heartbeat-hz",
    type=click.FloatRange(0.2, 100),
    default=None,
    help="GCS heartbeats per second (default: 1, or twice a simulator's SIM_SPEEDUP, "
    "since its GCS failsafe counts simulated seconds).",
)
@mavlink_out_option("Each endpoint gets the whole link.")
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Drone profile (TOML) of this vehicle; its fence_storage_bytes is the fence "
    "storage checked before upload (default: ArduCopter 4.7's 560 bytes).",
)
@click.pass_obj
def fly(
    settings,
    url: str,
    mission_file: Path,
    takeoff_alt_m: float,
    record_dir: Path | None,
    overrides: tuple[str, ...],
    min_battery_pct: float,
    ready_timeout_s: float,
    heartbeat_hz: float | None,
    mavlink_out: list,
    profile_file: Path | None,
) -> None:
    """Fly a mission file on one vehicle, headless, and land.

    Connects, waits until the vehicle knows where it is, refuses a mission its
    charge cannot fly with the reserve kept (or whose legs enter its fence's
    no-fly zones), uploads and verifies mission, fence and rally points, waits
    until the vehicle can arm with them (showing why not), runs the preflight
    checks, arms, takes off, flies the mission in AUTO with a line per
    waypoint, and returns (the mission's own landing, or RTL). Ctrl-C returns
    to launch and waits for the landing. Exit status: 0 flown, 1 failed
    (reason printed), 2 bad input, 130 interrupted.
    """
    from dronepatrol.mavlink.errors import PreflightError, VehicleError
    from dronepatrol.mavlink.sortie import PROBE_HEARTBEAT_HZ, HeadlessSortie, SortieAborted
    from dronepatrol.mavlink.urls import LinkUrl, LinkUrlError
    from dronepatrol.missionfiles import MissionFileError, load_mission

    try:
        LinkUrl.parse(url)
    except LinkUrlError as exc:
        raise click.BadParameter(str(exc), param_hint="--connect") from None
    try:
        mission = load_mission(mission_file)
    except (MissionFileError, ValueError, OSError) as exc:
        raise click.BadParameter(f"{exc}", param_hint="--mission") from None
    from dronepatrol.planning import ProfileError, load_profile

    try:
        profile = load_profile(profile_file) if profile_file is not None else load_profile()
    except ProfileError as exc:
        raise click.BadParameter(str(exc), param_hint="--profile") from None
    directory = record_dir or settings.tlog_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot create {directory}: {exc.strerror}", param_hint="--record"
        ) from None
    from dronepatrol.mavlink.tlog import claim_tlog

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tlog = claim_tlog(directory, f"sortie-{stamp}")
    sortie = HeadlessSortie(
        url,
        mission,
        takeoff_alt_m=takeoff_alt_m,
        tlog_path=tlog,
        say=lambda line: click.echo(line),
        signing_key=settings.signing_key,
        overrides=overrides,
        min_battery_pct=min_battery_pct,
        ready_timeout_s=ready_timeout_s,
        link_options={"forwards": mavlink_out, "heartbeat_hz": heartbeat_hz or PROBE_HEARTBEAT_HZ},
        follow_simulator_speedup=heartbeat_hz is None,
        fence_capacity=profile.fence_capacity,
        plan_ref=str(mission_file),
        operator=f"fly ({getpass.getuser()})",
        profile=profile,
        energy_store=settings.data_dir / "energy.json",  # the control app's learned figures
    )
    for endpoint in mavlink_out:
        click.echo(f"sharing the vehicle's MAVLink with {endpoint}")
    recorder = _start_recorder(settings, sortie)
    previous = signal.getsignal(signal.SIGINT)

    def interrupted(_signum, _frame) -> None:
        if sortie.interrupted.is_set():
            click.echo("still bringing the vehicle down; please wait", err=True)
            return
        sortie.interrupted.set()
        click.echo("interrupt: commanding RTL and waiting for landing", err=True)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupted)
    try:
        summary = sortie.run()
    except KeyboardInterrupt:
        click.echo(f"sortie interrupted; vehicle on the ground. tlog {tlog}", err=True)
        raise SystemExit(130) from None
    except PreflightError as exc:
        for name, reason in exc.failures.items():
            click.echo(f"preflight check {name} failed: {reason}", err=True)
        click.echo(
            "sortie refused before takeoff: fix the vehicle's parameters, or accept a "
            "check explicitly with --override NAME",
            err=True,
        )
        click.echo(SIMULATED_PATROL_HINT, err=True)
        raise SystemExit(1) from None
    except (SortieAborted, VehicleError) as exc:
        click.echo(f"sortie failed: {exc}. tlog {tlog}", err=True)
        if "mAh" in str(exc):
            click.echo(SIMULATED_PATROL_HINT, err=True)
        raise SystemExit(1) from None
    finally:
        signal.signal(signal.SIGINT, previous)
        recorder.stop()
    click.echo(summary.line())


def _start_recorder(settings, sortie):
    """Record the sortie in the database as the controller records every sortie.

    Open sorties of other vehicles are left alone (a controller may be serving
    the same database); a database that cannot be opened is a usage error.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from dronepatrol.records import start_recording

    try:
        return start_recording(settings, sortie.bus, settle_open=False)
    except (SQLAlchemyError, OSError) as exc:
        raise click.UsageError(
            f"cannot open the database {settings.effective_database_url}: {exc}; "
            "set database_url (or DRONEPATROL_DATABASE_URL) to a database you can write"
        ) from None
