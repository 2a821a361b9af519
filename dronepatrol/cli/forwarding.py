"""``--mavlink-out``: share each vehicle's MAVLink with other ground stations (serve, fly, sim)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

Command = TypeVar("Command", bound=Callable[..., Any])


def _parse(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Any]:
    from dronepatrol.mavlink.forward import Forward, ForwardUrl, ForwardUrlError

    urls = []
    for value in values:
        try:
            url = ForwardUrl.parse(value)
        except ForwardUrlError as exc:
            raise click.BadParameter(f"{exc} (e.g. udp:127.0.0.1:14550)") from None
        try:  # a udpin port another program holds is refused now, not mid-sortie
            Forward(url).close()
        except OSError as exc:
            raise click.BadParameter(
                f"cannot open {url}: {exc.strerror}; choose another port"
            ) from None
        urls.append(url)
    return urls


def mavlink_out_option(vehicles: str) -> Callable[[Command], Command]:
    """The ``--mavlink-out URL`` option (repeatable); ``vehicles`` says how ports are given out."""
    return click.option(
        "--mavlink-out",
        "mavlink_out",
        multiple=True,
        metavar="udp:HOST:PORT",
        callback=_parse,
        help="Share the vehicle's MAVLink with another ground station (QGroundControl, "
        "MAVProxy, a DroneKit script), as MAVProxy's --out: udp:HOST:PORT sends to one "
        "that listens there, udpin:HOST:PORT listens. Its commands reach the vehicle and "
        f"are recorded as external. Repeatable. {vehicles}",
    )
