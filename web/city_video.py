"""Which feed the command centre can play for a station's drone, or why none.

A station publishes each drone's H.264 feed to a Janus media server and
tells the centre which mountpoint carries it (the retained ``video``
message of the city bus). The centre plays a feed only from its own media
server, ``video_janus_url`` in its settings (the city's media server the
stations publish to), through its signed-in copy of Janus' API
(:mod:`dronepatrol.web.janus_proxy`): a station names mountpoints, never an
address the centre would reach for it. Before a browser is sent there, the
centre checks that its media server answers and has that mountpoint, for
that drone.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from dronepatrol.web import janus_proxy


class NoFeed(LookupError):
    """No feed of the drone the centre can play; the message says why, for a person."""


def playable(centre: Any, station: str, vehicle: str) -> int:
    """The mountpoint of the centre's media server carrying ``vehicle``'s feed.

    Raises :class:`NoFeed` saying why not: the station announced no feed of
    it, its feed is on the station's own media server, the centre has no
    media server, that server does not answer, or it has no such mountpoint.
    """
    feed = centre.video_feed(station, vehicle)
    if feed is None:
        raise NoFeed(f"station {station} has no video feed of {vehicle}")
    if feed.media_server != "city":
        raise NoFeed(
            f"station {station} serves {vehicle}'s video from its own media server, which the "
            "centre cannot reach: set the station's video_janus_url to the city's media server"
        )
    fanout = current_app.extensions.get(janus_proxy.EXTENSION_KEY)
    if fanout is None:
        error = current_app.extensions.get("media_server_error")
        raise NoFeed(
            "the centre has no media server"
            + (f" ({error})" if error else "")
            + ": set video_server = janus and video_janus_url to the city's media server"
        )
    from dronepatrol.video.media_server import MediaServerError  # with the media server only

    try:
        carried = fanout.server.list_mountpoints()
    except MediaServerError as exc:
        raise NoFeed(f"the media server is not reachable: {exc}") from exc
    if carried.get(feed.mountpoint) != vehicle:
        raise NoFeed(
            f"the media server carries no feed of {vehicle} (mountpoint {feed.mountpoint}): "
            f"station {station} may have stopped publishing it"
        )
    return feed.mountpoint
