"""The control app's pages. Each declares the least role that may see it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from dronepatrol.accounts import Role
from dronepatrol.web.security import require

bp = Blueprint("pages", __name__)

NAV_ITEMS: tuple[tuple[str, str], ...] = (("pages.operations", "Operations"),)
"""(endpoint, label) of the top navigation, in order."""


@bp.get("/")
@require(Role.VIEWER)
def operations() -> Any:
    """The operations map: patrol network, no-fly zones, stations and live drones."""
    return render_template("operations.html")
