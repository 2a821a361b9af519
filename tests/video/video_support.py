"""Helpers of the video tests: a test origin, places around it, vehicle snapshots."""

from __future__ import annotations

from support import TEST_PASSWORD_COST

from dronepatrol import geo
from dronepatrol.state import Battery, LinkState, MissionProgress, Position, VehicleSnapshot

LAT0, LON0 = 30.0, 120.0


def lonlat(north_m: float, east_m: float) -> tuple[float, float]:
    """(lon, lat) [deg] of a point north/east [m] of the test origin."""
    lat, lon = geo.offset(LAT0, LON0, north_m, east_m)
    return lon, lat


def snapshot_at(
    north_m: float, east_m: float, alt_m: float, heading_deg: float = 0.0, **changes
) -> VehicleSnapshot:
    """A flying vehicle's snapshot at a place north/east [m] of the test origin."""
    lon, lat = lonlat(north_m, east_m)
    values = {
        "vehicle_id": "1",
        "name": "Copter-1",
        "link": LinkState.UP,
        "last_heard_s": 0.2,
        "armed": True,
        "mode": "AUTO",
        "position": Position(lat, lon, 20.0 + alt_m, alt_m),
        "groundspeed_mps": 4.0,
        "heading_deg": heading_deg,
        "gps_fix_type": 3,
        "gps_satellites": 14,
        "battery": Battery(15.6, 11.0, 71.0, 1300.0),
        "mission": MissionProgress(3, 9, 3),
    }
    values.update(changes)
    return VehicleSnapshot(**values)


class MjpegClient:
    """A raw-socket MJPEG viewer: reads multipart parts as a browser would.

    ``rcvbuf`` shrinks the socket's receive buffer, so a client that reads
    slowly pushes back on the server quickly, like a viewer on a poor link.
    """

    def __init__(
        self, port: int, path: str, rcvbuf: int | None = None, token: str | None = None
    ) -> None:
        import socket

        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode())
        self._buf = b""
        head = self._until(b"\r\n\r\n").decode("latin-1")
        self.status = int(head.split()[1])
        self.headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in head.split("\r\n")[1:])
        }

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("stream closed")
        self._buf += chunk

    def _until(self, marker: bytes) -> bytes:
        while marker not in self._buf:
            self._fill()
        head, _, self._buf = self._buf.partition(marker)
        return head

    def _exactly(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._fill()
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def next_part(self) -> tuple[dict[str, str], bytes]:
        """The next part's headers (lower-case names) and JPEG bytes."""
        # Chunked transfer framing may surround parts; skip to the boundary.
        self._until(b"--dronepatrol-frame\r\n")
        head = self._until(b"\r\n\r\n").decode("latin-1")
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (ln.partition(":") for ln in head.split("\r\n"))
        }
        return headers, self._exactly(int(headers["content-length"]))

    def close(self) -> None:
        self.sock.close()


def serve(app, port: int, sndbuf: int | None = None, **options):
    """Serve ``app`` with waitress on 127.0.0.1:``port`` in a thread; returns a stop function.

    ``sndbuf`` caps each connection's kernel send buffer (accepted sockets
    inherit it from the listening socket), as a deployment serving video to
    slow links should, so that a stalled viewer's backlog stays small.
    """
    import socket
    import threading

    from waitress.server import create_server
    from waitress.wasyncore import close_all

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sndbuf:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    listener.bind(("127.0.0.1", port))
    server = create_server(app, sockets=[listener], **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:
        # closed on the server's own loop thread: closed from here, a socket could vanish
        # under its select() (EBADF kills the loop and leaves the clients' sockets open)
        try:
            server.trigger.pull_trigger(lambda: close_all(server._map))
        except OSError:  # the loop has ended and closed its trigger: nothing runs select()
            close_all(server._map)
        thread.join(5)
        server.task_dispatcher.shutdown(timeout=5)
        listener.close()

    return stop


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signed_in_app(data_dir):
    """The control app with a viewer account; returns (app, bearer headers, token).

    The app's video routes, like every other, need a signed-in viewer.
    """
    from dronepatrol.accounts import Role
    from dronepatrol.settings import Settings
    from dronepatrol.web import create_app

    app = create_app(
        {"TESTING": True, "SETTINGS": Settings(data_dir=data_dir, password_cost=TEST_PASSWORD_COST)}
    )
    accounts = app.extensions["dronepatrol"].accounts
    token = accounts.issue_token(accounts.add_user("viewer", Role.VIEWER, "viewer-pass")).token
    return app, {"Authorization": f"Bearer {token}"}, token
