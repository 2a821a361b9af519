"""The control app's pages. Each declares the least role that may see it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, url_for

from dronepatrol.accounts import Role
from dronepatrol.web.context import control_room
from dronepatrol.web.security import require

bp = Blueprint("pages", __name__)

NAV_ITEMS: tuple[tuple[str, str, Role], ...] = (
    ("pages.operations", "Operations", Role.VIEWER),
    ("pages.planner", "Planner", Role.OPERATOR),
    ("pages.video_wall", "Video", Role.VIEWER),
    ("pages.incidents", "Incidents", Role.VIEWER),
    ("pages.lockdown", "Lockdown", Role.VIEWER),
    ("pages.sorties", "Sorties", Role.VIEWER),
    ("pages.reports", "Reports", Role.VIEWER),
)
"""(endpoint, label, least role) of the top navigation, in order."""

CITY_NAV_ITEM = ("pages.city", "City", Role.VIEWER)
"""The command centre's page, in the navigation in centre mode only."""


def nav_items() -> tuple[tuple[str, str, Role], ...]:
    """The navigation of this app: with the City page when it is a command centre."""
    return (*NAV_ITEMS, CITY_NAV_ITEM) if control_room().city is not None else NAV_ITEMS


@bp.get("/")
@require(Role.VIEWER)
def operations() -> Any:
    """The operations map: patrol network, no-fly zones, stations and live drones.

    A command centre flies nothing and holds no network of its own: its first page
    (where sign-in lands) is the city's picture instead.
    """
    if control_room().city is not None:
        return redirect(url_for("pages.city"))
    return render_template("operations.html")


@bp.get("/planner")
@require(Role.OPERATOR)
def planner() -> Any:
    """Plan sorties by station, preview them, upload one to a drone and start it."""
    return render_template("planner.html")


@bp.get("/video")
@require(Role.VIEWER)
def video_wall() -> Any:
    """Every drone's live annotated feed, one large beside the map."""
    return render_template("video.html")


@bp.get("/sorties")
@require(Role.VIEWER)
def sorties() -> Any:
    """Recorded sorties: history, replay, exports and reports."""
    return render_template("sorties.html")


@bp.get("/incidents")
@require(Role.VIEWER)
def incidents() -> Any:
    """Incidents on the map; commanders create them with a click and dispatch a drone."""
    return render_template("incidents.html")


@bp.get("/reports")
@require(Role.VIEWER)
def reports() -> Any:
    """A day's patrol performance: on-time rates, incidents, flight hours; CSV download."""
    return render_template("reports.html")


@bp.get("/lockdown")
@require(Role.VIEWER)
def lockdown() -> Any:
    """Lockdown plans on the map; commanders activate one and release it (viewers watch)."""
    return render_template("lockdown.html", can_act=g.user.role.allows(Role.COMMANDER))


@bp.get("/city")
@require(Role.VIEWER)
def city() -> Any:
    """The command centre's city: every station's network and drones on one map, the
    stations and drones beside it (stale ones marked), live from ``GET /api/city``."""
    centre = control_room().city
    if centre is None:
        abort(404, description="this app is not a command centre: serve it with mode = centre")
    return render_template("city.html", stale_after_s=centre.stale_after_s)
