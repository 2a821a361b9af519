"""The city deployment: stations and a command centre joined by an MQTT broker.

A station is today's ``serve`` beside its drones, with a
:class:`StationLink` that publishes its events and takes the centre's
commands; it keeps working alone when the city network is down, and its
outbox delivers every record once on reconnect. The centre runs the same app
with a :class:`Centre` that shows every station and stores their records in
the centre's database (PostgreSQL). The topics and payloads are the
versioned contract in :mod:`dronepatrol.city.contract`. One setting,
``mode`` (``single``, ``station``, ``centre``), selects the role; ``single``,
the default, needs no broker.
"""

from __future__ import annotations

from dronepatrol.city.broker import BrokerError, BrokerSettings, acl_text, station_user
from dronepatrol.city.centre import Centre, CommandError
from dronepatrol.city.contract import VERSION, ContractError
from dronepatrol.city.station_link import StationLink

__all__ = [
    "VERSION",
    "BrokerError",
    "BrokerSettings",
    "Centre",
    "CommandError",
    "ContractError",
    "StationLink",
    "acl_text",
    "station_user",
]
