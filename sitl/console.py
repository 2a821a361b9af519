"""The fault-injection console of `dronepatrol sim`: one command per line on stdin.

Vehicles are numbered from 1 (their system id)::

    cut 1                 radio out of range: vehicle 1's traffic dropped both ways
    restore 1             radio back
    gps 2 off | gps 2 on  GPS loss / recovery (SIM_GPS_DISABLE)
    battery 1 10.4        battery voltage [V] (SIM_BATT_VOLTAGE)
    wind 1 8 270 2        wind 8 m/s from 270 deg with 2 m/s gusts (SIM_WIND_*)
    status                one line per vehicle
    help
"""

from __future__ import annotations

from collections.abc import Callable

from dronepatrol.sitl.fleet import SimFleet

HELP = __doc__.split("::", 1)[1].strip("\n")


class ConsoleError(ValueError):
    """A console line that cannot be carried out; the message says why."""


def _vehicle(fleet: SimFleet, text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise ConsoleError(f"vehicle {text!r} is not a number") from None
    if not 1 <= number <= len(fleet.vehicles):
        raise ConsoleError(f"no vehicle {number}: vehicles are 1..{len(fleet.vehicles)}")
    return number - 1


def _number(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConsoleError(f"{what} {text!r} is not a number") from None


def _status(fleet: SimFleet) -> str:
    lines = []
    for i in range(len(fleet.vehicles)):
        s = fleet.snapshot(i)
        lines.append(
            f"vehicle {s['sysid']}: {s['mode']} {'armed' if s['armed'] else 'disarmed'} "
            f"alt {s['alt_rel_m']:.1f} m, {s['voltage_v']:.2f} V {s['remaining_pct']}%, "
            f"link {'up' if s['link_up'] else 'CUT'}, {s['clients']} client(s)"
        )
    return "\n".join(lines)


def run_command(fleet: SimFleet, line: str) -> str:
    """Carry out one console line and say what was done; ConsoleError when it cannot."""
    words = line.split()
    if not words:
        return ""
    verb, args = words[0].lower(), words[1:]
    handlers: dict[str, Callable[[], str]] = {
        "help": lambda: HELP,
        "status": lambda: _status(fleet),
        "cut": lambda: _cut(fleet, args),
        "restore": lambda: _restore(fleet, args),
        "gps": lambda: _gps(fleet, args),
        "battery": lambda: _battery(fleet, args),
        "wind": lambda: _wind(fleet, args),
    }
    if verb not in handlers:
        raise ConsoleError(f"unknown command {verb!r}; try: help")
    return handlers[verb]()


def _need(args: list[str], count: int, usage: str) -> None:
    if len(args) < count:
        raise ConsoleError(f"usage: {usage}")


def _cut(fleet: SimFleet, args: list[str]) -> str:
    _need(args, 1, "cut VEHICLE")
    i = _vehicle(fleet, args[0])
    fleet.cut_link(i)
    return f"vehicle {i + 1}: link cut"


def _restore(fleet: SimFleet, args: list[str]) -> str:
    _need(args, 1, "restore VEHICLE")
    i = _vehicle(fleet, args[0])
    fleet.restore_link(i)
    return f"vehicle {i + 1}: link restored"


def _gps(fleet: SimFleet, args: list[str]) -> str:
    _need(args, 2, "gps VEHICLE on|off")
    i = _vehicle(fleet, args[0])
    state = args[1].lower()
    if state not in ("on", "off"):
        raise ConsoleError(f"gps state {args[1]!r} must be on or off")
    fleet.set_gps(i, enabled=state == "on")
    return f"vehicle {i + 1}: GPS {state}"


def _battery(fleet: SimFleet, args: list[str]) -> str:
    _need(args, 2, "battery VEHICLE VOLTS")
    i = _vehicle(fleet, args[0])
    volts = _number(args[1], "voltage")
    try:
        fleet.set_battery_voltage(i, volts)
    except ValueError as exc:
        raise ConsoleError(str(exc)) from None
    return f"vehicle {i + 1}: battery {volts:.2f} V"


def _wind(fleet: SimFleet, args: list[str]) -> str:
    _need(args, 2, "wind VEHICLE SPEED_MPS [FROM_DEG [GUSTS_MPS]]")
    i = _vehicle(fleet, args[0])
    speed = _number(args[1], "wind speed")
    from_deg = _number(args[2], "wind direction") if len(args) > 2 else 180.0
    gusts = _number(args[3], "gust strength") if len(args) > 3 else 0.0
    try:
        fleet.set_wind(i, speed, from_deg, gusts)
    except ValueError as exc:
        raise ConsoleError(str(exc)) from None
    return f"vehicle {i + 1}: wind {speed:g} m/s from {from_deg % 360:g} deg, gusts {gusts:g} m/s"
