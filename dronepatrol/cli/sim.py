"""``dronepatrol sim`` and ``dronepatrol sitl``: simulated copters for testing and demos."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from dronepatrol.cli.forwarding import mavlink_out_option

DEFAULT_HOME = "-35.363261,149.165230,584,0"


def _home(value: str) -> tuple[float, float, float, float]:
    from dronepatrol.sitl.launcher import parse_home

    try:
        return parse_home(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{exc} (give LAT,LON,ALT_AMSL,HEADING)", param_hint="--home"
        ) from exc


def _udp_out(value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    parts = value.split(":")
    if len(parts) != 3 or parts[0] != "udp" or not parts[2].isdigit():
        raise click.BadParameter(
            f"{value!r} is not udp:HOST:PORT (e.g. udp:127.0.0.1:14550)", param_hint="--out"
        )
    port = int(parts[2])
    if not 0 < port < 65536:
        raise click.BadParameter(f"port {port} is outside 1..65535", param_hint="--out")
    return parts[1], port


def _wait_for_interrupt(check=None) -> str | None:
    """Block until Ctrl-C or SIGTERM, or until ``check()`` returns a problem to report."""
    done = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(0.5):
            problem = check() if check is not None else None
            if problem:
                return problem
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return None


Command = TypeVar("Command", bound=Callable[..., Any])


def fleet_layout_options(vehicles: str) -> Callable[[Command], Command]:
    """``--drones``, ``--home`` and ``--spacing``: how many vehicles and where, for sim and sitl."""
    options = (
        click.option(
            "--drones",
            default=1,
            show_default=True,
            type=click.IntRange(1, 100),
            help=f"Number of {vehicles}.",
        ),
        click.option(
            "--home",
            "home_text",
            default=DEFAULT_HOME,
            show_default=True,
            metavar="LAT,LON,ALT_AMSL,HEADING",
            help="Where vehicle 1 boots.",
        ),
        click.option(
            "--spacing",
            default=10.0,
            show_default=True,
            type=click.FloatRange(0, 10000),
            help="Metres between vehicles' homes (eastward).",
        ),
    )

    def apply(command: Command) -> Command:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def patrol_option(default: bool) -> Callable[[Command], Command]:
    """``--patrol/--stock``: vehicles set up as patrol drones, or ArduCopter's own defaults.

    ``dronepatrol sitl`` starts patrol drones by default: it is the way to fly
    DronePatrol on the real firmware, and a stock SITL (failsafes off, no fence,
    a 3300 mAh monitor) cannot fly a planned sortie. ``dronepatrol sim`` starts
    stock ArduCopters by default, so a client script meets what it would meet
    on a stock ArduCopter.
    """
    return click.option(
        "--patrol/--stock",
        default=default,
        show_default=True,
        help="--patrol sets each vehicle up as a patrol drone, as the demo's are: GCS and "
        "battery failsafes return it home, the fence is on (maximum altitude and the plan's "
        "polygon), and its pack (BATT_CAPACITY) carries what the shipped drone profile "
        "plans, so `dronepatrol fly` of a planned sortie passes its preflight checks and "
        "lands with its reserve. --stock leaves ArduCopter's own defaults.",
    )


def patrol_pack_ah(profile: Any) -> float:
    """The pack [Ah] on which the drone profile's promises hold on the simulated frame.

    The profile promises ``hover_endurance_s`` of hover and cruise at
    ``cruise_power_ratio`` of hover power. SITL's quad (and the simulator's,
    which follows it) draws more cruising than hovering: about 31 A at 10 m/s
    against 28 A in the hover (real ArduCopter SITL drew 29.8 A on average
    over a planned sortie). So the pack is the larger of hover current x
    endurance and cruise current x endurance / ratio; sized by the hover alone
    (the demo's pack), a sortie planned to 67 % of the charge used 84 % of it.
    """
    from types import SimpleNamespace

    from dronepatrol.sitl.physics import HOVER_CURRENT_A, flight_current_a

    cruise = SimpleNamespace(vu=0.0, airspeed_mps=profile.cruise_speed_mps)
    cruise_a = flight_current_a(cruise, armed=True, flying=True)
    hours = profile.hover_endurance_s / 3600.0
    return max(HOVER_CURRENT_A * hours, cruise_a * hours / profile.cruise_power_ratio)


def patrol_setup() -> tuple[dict[str, float], float]:
    """Parameters of a patrol drone and its pack [Ah] (:func:`patrol_pack_ah`).

    The parameters are the preflight checks' (PATROL_SAFETY_PARAMS) with
    BATT_CAPACITY [mAh] set to the pack.
    """
    from dronepatrol.mavlink.preflight import PATROL_SAFETY_PARAMS
    from dronepatrol.planning import load_profile

    pack_ah = patrol_pack_ah(load_profile())
    params = {**PATROL_SAFETY_PARAMS, "BATT_CAPACITY": round(pack_ah * 1000.0)}
    return params, pack_ah


def write_patrol_parm(directory: Path) -> Path:
    """The patrol set-up as an ArduPilot defaults file (``NAME VALUE`` lines) for SITL.

    SITL's default frame has no pack model of its own (its voltage stays at
    SIM_BATT_VOLTAGE), so the pack is only the monitor's BATT_CAPACITY there.
    """
    params, pack_ah = patrol_setup()
    path = directory / "patrol.parm"
    lines = [f"# DronePatrol patrol drone: failsafes, fence, a {pack_ah:.1f} Ah pack\n"]
    lines += [f"{name} {value:g}\n" for name, value in params.items()]
    path.write_text("".join(lines))
    return path


@click.command()
@fleet_layout_options("simulated copters")
@click.option(
    "--speedup",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.1, 1000),
    help="Simulated seconds per real second (applies to everything).",
)
@click.option(
    "--base-port",
    default=5760,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port of vehicle 1; vehicle i uses BASE+10*i (0: any free port).",
)
@click.option("--seed", default=None, type=int, help="Random seed (wind gusts).")
@click.option(
    "--out",
    "out",
    default=None,
    metavar="udp:HOST:PORT",
    help="Also send every vehicle's MAVLink to this UDP address.",
)
@click.option(
    "--fast-start",
    is_flag=True,
    help="GPS fix and EKF ready within seconds instead of ~40 s (tests).",
)
@mavlink_out_option("Vehicle i (from 0) uses PORT + i: 14550, 14551, ...")
@patrol_option(default=False)
def sim(
    drones: int,
    home_text: str,
    spacing: float,
    speedup: float,
    base_port: int,
    seed: int | None,
    out: str | None,
    fast_start: bool,
    mavlink_out: list,
    patrol: bool,
) -> None:
    """Run N embedded simulated ArduCopters that speak MAVLink on TCP ports 5760, 5770, ...

    Each vehicle behaves like ArduCopter 4.x SITL (system id i+1). Connect a
    ground station or `dronepatrol fly` to tcp:127.0.0.1:5760. Ctrl-C stops.
    """
    home = _home(home_text)
    udp = _udp_out(out)
    if base_port and base_port + 10 * (drones - 1) > 65535:
        raise click.BadParameter(
            f"{drones} vehicles from port {base_port} run past 65535", param_hint="--base-port"
        )
    from dronepatrol.sitl import Home, SimFleet

    params, pack_ah = patrol_setup() if patrol else (None, 0.0)
    try:
        fleet = SimFleet(
            drones,
            Home(*home),
            spacing_m=spacing,
            speedup=speedup,
            base_port=base_port,
            fast_start=fast_start,
            seed=seed,
            udp_out=udp,
            params=params,
            battery_ah=pack_ah,
        )
    except OSError as exc:
        raise click.UsageError(
            f"cannot listen on the simulator's ports: {exc}; choose another --base-port "
            "(0 picks free ports)"
        ) from exc
    fleet.start()
    relays: list = []
    try:
        for vehicle, url in zip(fleet.vehicles, fleet.urls, strict=True):
            click.echo(f"vehicle {vehicle.sysid}: {url}")
        relays = _share(fleet.urls, mavlink_out)
        if udp:
            click.echo(f"sending to udp:{udp[0]}:{udp[1]}")
        click.echo(
            f"{drones} simulated copter(s) at {speedup:g}x; Ctrl-C stops; "
            "type 'help' for fault injection (cut, restore, gps, battery, wind, status)",
            err=True,
        )
        threading.Thread(target=_console, args=(fleet,), daemon=True).start()
        _wait_for_interrupt()
    finally:
        for relay in relays:
            relay.stop()
        fleet.stop()
        click.echo("simulator stopped", err=True)


def _share(urls: list[str], endpoints: list) -> list:
    """One relay per vehicle to its endpoints (vehicle i: each endpoint's PORT + i)."""
    from dronepatrol.mavlink.forward import ForwardUrlError
    from dronepatrol.mavlink.relay import ForwardRelay

    if not endpoints:
        return []
    relays = []
    try:
        for i, url in enumerate(urls):
            shifted = [endpoint.shifted(i) for endpoint in endpoints]
            relays.append(ForwardRelay(url, shifted).start())
            click.echo(f"vehicle at {url} shared with " + ", ".join(str(e) for e in shifted))
    except (ForwardUrlError, OSError) as exc:
        for relay in relays:
            relay.stop()
        raise click.BadParameter(str(exc), param_hint="--mavlink-out") from None
    return relays


def _console(fleet) -> None:
    """Read fault-injection commands from stdin until it closes (see sitl/console.py)."""
    from dronepatrol.sitl.console import ConsoleError, run_command

    for line in sys.stdin:
        try:
            reply = run_command(fleet, line)
        except ConsoleError as exc:
            click.echo(f"error: {exc}", err=True)
            continue
        except (OSError, RuntimeError, TimeoutError) as exc:  # the fleet is stopping
            click.echo(f"error: {exc}", err=True)
            return
        if reply:
            click.echo(reply)


@click.command()
@click.option(
    "--binary",
    default=None,
    envvar="ARDUPILOT_SITL",
    show_envvar=True,
    type=click.Path(dir_okay=False),
    help="The arducopter SITL binary.",
)
@fleet_layout_options("arducopter processes")
@click.option(
    "--speedup",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.1, 1000),
    help="SITL's --speedup: simulated seconds per real second.",
)
@click.option(
    "--workdir",
    default=None,
    type=click.Path(file_okay=False),
    help="Where each vehicle's directory goes (default: a new temporary one).",
)
@click.option(
    "--instance",
    "first_instance",
    default=0,
    show_default=True,
    type=click.IntRange(0, 250),
    help="SITL instance of the first vehicle (-I N: TCP port 5760+10*N, system id N+1); "
    "raise it when another SITL already runs.",
)
@patrol_option(default=True)
def sitl(
    binary: str | None,
    drones: int,
    home_text: str,
    spacing: float,
    speedup: float,
    workdir: str | None,
    first_instance: int,
    patrol: bool,
) -> None:
    """Launch N real ArduPilot `arducopter` SITL processes (binary from $ARDUPILOT_SITL).

    Vehicle i runs with -I N+i (TCP port 5760+10*(N+i)), --sysid N+i+1 (N:
    --instance, 0 by default), wiped storage and DronePatrol's copter
    parameters, set up as a patrol drone (--stock: ArduCopter's own defaults),
    in its own working directory. The link URLs are printed;
    Ctrl-C stops every process.
    """
    import tempfile

    from dronepatrol.sitl.launcher import SitlFleet, SitlPortsBusy, describe, fleet_specs

    if not binary:
        raise click.BadParameter(
            "no SITL binary: pass --binary PATH or set ARDUPILOT_SITL "
            "(build it with ./waf configure --board sitl && ./waf copter)",
            param_hint="--binary",
        )
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise click.BadParameter(f"{binary} is not an executable file", param_hint="--binary")
    home = _home(home_text)
    if first_instance + drones > 251:
        raise click.BadParameter(
            f"{drones} vehicles from instance {first_instance} run past system id 251",
            param_hint="--instance",
        )
    defaults = []
    if patrol:
        root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="dronepatrol-patrol-"))
        root.mkdir(parents=True, exist_ok=True)
        defaults.append(write_patrol_parm(root))
    specs = fleet_specs(
        binary,
        drones,
        home,
        spacing_m=spacing,
        speedup=speedup,
        first_instance=first_instance,
        defaults=defaults,
    )
    fleet = SitlFleet(specs, root=Path(workdir) if workdir else None)
    try:
        fleet.start()
    except SitlPortsBusy as exc:
        raise click.BadParameter(str(exc), param_hint="--instance") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot start {binary}: {exc}") from exc
    try:
        for line in describe(fleet.processes):
            click.echo(line)
        click.echo("SITL starts once a ground station connects; Ctrl-C stops", err=True)
        problem = _wait_for_interrupt(lambda: _sitl_problem(fleet))
    finally:
        fleet.stop()
        click.echo("SITL stopped", err=True)
    if problem:
        raise click.ClickException(problem)


def _sitl_problem(fleet) -> str | None:
    """A vehicle whose arducopter process exited, with the end of its log."""
    for proc in fleet.processes:
        if not proc.alive():
            try:
                tail = proc.log_path.read_text(errors="replace").strip().splitlines()[-5:]
            except OSError:
                tail = []
            detail = "; ".join(tail) if tail else "no output"
            return (
                f"arducopter for vehicle {proc.spec.sysid} exited with status "
                f"{proc.proc.returncode}: {detail} (log {proc.log_path})"
            )
    return None
