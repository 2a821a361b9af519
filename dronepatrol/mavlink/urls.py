"""Link URLs: where a vehicle is, as one string an operator can type.

``tcp:HOST:PORT`` connects to a TCP server (ArduPilot SITL, a telemetry
bridge); ``udpin:HOST:PORT`` listens for a vehicle that sends to us (a radio
bridged to UDP, usually ``udpin:0.0.0.0:14550``); ``udpout:HOST:PORT`` sends
to a vehicle that listens; ``serial:/dev/X:BAUD`` opens a telemetry radio.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMES = ("tcp", "udpin", "udpout", "serial")


class LinkUrlError(ValueError):
    """A link URL that cannot be used; the message names it and the expected form."""


@dataclass(frozen=True)
class LinkUrl:
    """A parsed link URL.

    Attributes:
        scheme: one of ``tcp``, ``udpin``, ``udpout``, ``serial``.
        host: host name or address (for ``serial``: the device path).
        port: TCP/UDP port (for ``serial``: the baud rate).
    """

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}:{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> LinkUrl:
        """Parse ``text``; raises :class:`LinkUrlError` naming the expected forms.

        >>> LinkUrl.parse("tcp:127.0.0.1:5760")
        LinkUrl(scheme='tcp', host='127.0.0.1', port=5760)
        >>> LinkUrl.parse("serial:/dev/ttyUSB0:57600").port
        57600
        """
        expected = "expected tcp:HOST:PORT, udpin:HOST:PORT, udpout:HOST:PORT or serial:/dev/X:BAUD"
        scheme, sep, rest = text.strip().partition(":")
        if not sep or scheme not in SCHEMES:
            raise LinkUrlError(f"link URL {text!r}: unknown scheme; {expected}")
        host, sep, port_text = rest.rpartition(":")
        if not sep or not host:
            raise LinkUrlError(f"link URL {text!r}: missing host or port; {expected}")
        try:
            port = int(port_text)
        except ValueError:
            raise LinkUrlError(f"link URL {text!r}: {port_text!r} is not a number") from None
        limit = 4_000_000 if scheme == "serial" else 65535
        if not 0 < port <= limit:
            what = "baud rate" if scheme == "serial" else "port"
            raise LinkUrlError(f"link URL {text!r}: {what} {port} out of range")
        return cls(scheme, host, port)
