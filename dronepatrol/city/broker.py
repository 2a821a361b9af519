"""The MQTT broker as the city bus sees it: its address, a connected client, its ACL.

Stations and the centre talk through an existing broker (Mosquitto from
Debian). :func:`make_client` builds a paho-mqtt client for a broker URL:
``mqtt://host:port`` (plain, port 1883 by default) or ``mqtts://host:port``
(TLS, 8883, verified against ``ca_file`` or the system's CAs). Each station has
its own credentials; :func:`acl_text` writes the Mosquitto ACL that keeps a
station to its own topics.

>>> BrokerAddress.parse("mqtts://bus.city.example")
BrokerAddress(host='bus.city.example', port=8883, tls=True)
>>> print(acl_text(["north"]).splitlines()[4])
user station-north
"""

from __future__ import annotations

import ssl
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from dronepatrol.city.contract import ROOT, check_name

CENTRE_USER = "centre"
"""The centre's broker account."""


def station_user(station: str) -> str:
    """The broker account of ``station``."""
    return f"station-{check_name(station)}"


class BrokerError(ValueError):
    """The broker address or credentials cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """``mqtt://host[:port]`` or ``mqtts://host[:port]``."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise BrokerError(
                f"broker URL {url!r} is not mqtt://host:port or mqtts://host:port "
                "(set DRONEPATROL_BROKER_URL)"
            )
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError as exc:
            raise BrokerError(f"broker URL {url!r}: bad port") from exc
        return cls(parts.hostname, port, tls)


@dataclass(frozen=True)
class BrokerSettings:
    """How to reach the broker: URL, account, password, and the CA that signed its TLS cert."""

    url: str
    username: str
    password: str = ""
    ca_file: str = ""

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress.parse(self.url)


def make_client(broker: BrokerSettings, client_id: str | None = None) -> mqtt.Client:
    """A paho-mqtt client (MQTT 3.1.1, clean session) set up for ``broker``; not yet connected.

    Reconnection backs off from 0.2 s to 2 s, so a restarted broker is found
    again within about two seconds.
    """
    address = broker.address
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id or f"{broker.username}-{uuid.uuid4().hex[:8]}",
        clean_session=True,
        protocol=mqtt.MQTTv311,
    )
    client.username_pw_set(broker.username, broker.password or None)
    if address.tls:
        context = ssl.create_default_context(cafile=broker.ca_file or None)
        client.tls_set_context(context)
    client.reconnect_delay_set(min_delay=0.2, max_delay=2)
    client.max_inflight_messages_set(100)
    client.max_queued_messages_set(0)
    return client


def acl_text(stations: list[str]) -> str:
    """A Mosquitto ACL file: the centre everywhere, each station in its own topics only."""
    lines = [
        "# DronePatrol city bus ACL (contract v1); written by dronepatrol.city.broker",
        f"user {CENTRE_USER}",
        f"topic readwrite {ROOT}/#",
        "",
    ]
    for station in stations:
        base = f"{ROOT}/station/{check_name(station)}"
        lines += [
            f"user {station_user(station)}",
            f"topic write {base}/online",
            f"topic write {base}/heartbeat",
            f"topic write {base}/network",
            f"topic write {base}/vehicle/+/telemetry",
            f"topic write {base}/record",
            f"topic write {base}/reply",
            f"topic write {base}/situation",
            f"topic write {base}/video",
            f"topic read {base}/ack",
            f"topic read {base}/command",
            "",
        ]
    return "\n".join(lines)
