"""The media server that fans each drone's feed out to browsers: Janus (Debian).

With ``video_server = "janus"`` the station publishes every annotated feed
once, as H.264 over RTP (:mod:`dronepatrol.video.publisher`), into one
mountpoint of the Janus WebRTC server's streaming plugin; Janus relays
it to every browser over WebRTC. Viewers cost the station nothing per
frame: only their sign-in and the few signalling requests of joining pass
through the web app. The default, ``builtin``, keeps today's MJPEG path
and needs nothing installed.

:class:`JanusServer` runs Janus as a child process from a generated
configuration: the streaming plugin and the HTTP API only (every other
plugin and transport disabled), the API on 127.0.0.1, an admin key only
the station knows (browsers cannot create or destroy mountpoints), and
mountpoints whose RTP input listens on 127.0.0.1. It reports health from
the server's own answers (``info``, each mountpoint's viewers and the age
of its last packet).

Janus' media (ICE/DTLS-SRTP over UDP) goes from Janus to each browser
directly: ``ice_interfaces`` names the interfaces or addresses it offers
(Janus' ``ice_enforce_list``), and ``public_ip`` the address to announce
behind NAT (``nat_1_1_mapping``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dronepatrol.video.publisher import (
    H264_FMTP,
    RTP_PAYLOAD_TYPE,
    BackgroundPublisher,
    H264Options,
)

log = logging.getLogger(__name__)

VIDEO_SERVERS = ("builtin", "janus")
"""The ``video_server`` setting: ``builtin`` MJPEG from the app, or the Janus media server."""
JANUS_LIB_DIRS = (
    Path("/usr/lib/x86_64-linux-gnu/janus"),
    Path("/usr/lib/aarch64-linux-gnu/janus"),
    Path("/usr/lib/arm-linux-gnueabihf/janus"),
    Path("/usr/lib/janus"),
    Path("/usr/local/lib/janus"),
)
"""Where Debian's (and a source build's) Janus keeps its plugins."""
STREAMING_PLUGIN = "janus.plugin.streaming"
START_TIMEOUT_S = 15.0
API_TIMEOUT_S = 5.0


class MediaServerError(RuntimeError):
    """The media server cannot be started or asked; the message says why and what to do."""


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A TCP port free right now on ``host`` (for the API of a server we start)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def find_janus(executable: str = "janus") -> tuple[str, Path]:
    """The Janus executable and its library folder (plugins, transports).

    Raises :class:`MediaServerError` naming the package to install when absent.
    """
    path = shutil.which(executable)
    if path is None:
        raise MediaServerError(
            f"video_server is janus but {executable!r} is not installed: "
            "apt-get install janus (or set video_server = builtin)"
        )
    for lib in JANUS_LIB_DIRS:
        if (lib / "plugins" / "libjanus_streaming.so").exists():
            return path, lib
    raise MediaServerError(
        "Janus is installed but its streaming plugin (libjanus_streaming.so) was not found in "
        + ", ".join(map(str, JANUS_LIB_DIRS))
    )


def _jcfg(value: Any) -> str:
    """One value in Janus' libconfig syntax."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))


def _section(name: str, values: dict[str, Any]) -> str:
    body = "\n".join(f"    {key} = {_jcfg(v)}" for key, v in values.items())
    return f"{name}: {{\n{body}\n}}\n"


@dataclass(frozen=True)
class JanusConfig:
    """What the generated Janus configuration says.

    Attributes:
        http_port: the HTTP API's port on 127.0.0.1 (0: a free one at start).
        rtp_port_range: UDP ports Janus' media (and mountpoints) use.
        ice_interfaces: interfaces or addresses offered to browsers (empty: all).
        public_ip: address announced behind 1:1 NAT (empty: none).
        stun_server: ``host:port`` of a STUN server (empty: none).
        admin_key: needed to create mountpoints; the station's alone.
        session_timeout_s: a browser's session ends this long after its last request.
    """

    http_port: int = 0
    rtp_port_range: tuple[int, int] = (20000, 40000)
    ice_interfaces: Sequence[str] = ()
    public_ip: str = ""
    stun_server: str = ""
    admin_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    session_timeout_s: int = 60

    def files(self, folder: Path, lib: Path) -> dict[str, str]:
        """The configuration files' names and text."""
        keep = {"plugins": "libjanus_streaming.so", "transports": "libjanus_http.so"}
        disabled = {
            kind: ",".join(sorted(p.name for p in (lib / kind).glob("*.so") if p.name != name))
            for kind, name in keep.items()
        }
        nat: dict[str, Any] = {"nice_debug": False, "ignore_mdns": True}
        if self.ice_interfaces:
            nat["ice_enforce_list"] = ",".join(self.ice_interfaces)
        if self.public_ip:
            nat["nat_1_1_mapping"] = self.public_ip
        if self.stun_server:
            host, _, port = self.stun_server.rpartition(":")
            nat["stun_server"], nat["stun_port"] = host, int(port)
        low, high = self.rtp_port_range
        main = (
            _section(
                "general",
                {
                    "configs_folder": str(folder),
                    "plugins_folder": str(lib / "plugins"),
                    "transports_folder": str(lib / "transports"),
                    "events_folder": str(lib / "events"),
                    "loggers_folder": str(lib / "loggers"),
                    "debug_level": 4,
                    "session_timeout": self.session_timeout_s,
                    "server_name": "DronePatrol video",
                },
            )
            + _section("media", {"rtp_port_range": f"{low}-{high}"})
            + _section("nat", nat)
            + _section("plugins", {"disable": disabled["plugins"]})
            + _section("transports", {"disable": disabled["transports"]})
            + _section("events", {"broadcast": False})
            + _section("loggers", {"disable": "libjanus_jsonlog.so"})
        )
        http = _section(
            "general",
            {
                "json": "plain",
                "base_path": "/janus",
                "http": True,
                "port": self.http_port,
                "ip": "127.0.0.1",
                "https": False,
            },
        ) + _section("admin", {"admin_http": False})
        streaming = _section(
            "general",
            {
                "admin_key": self.admin_key,
                "rtp_port_range": f"{low}-{high}",  # mountpoints' RTP inputs too
                "events": False,
                "string_ids": False,
            },
        )
        return {
            "janus.jcfg": main,
            "janus.transport.http.jcfg": http,
            "janus.plugin.streaming.jcfg": streaming,
        }


class JanusApi:
    """Janus' HTTP API, as the station uses it: one short session per request.

    Args:
        url: the API's base, e.g. ``http://127.0.0.1:8088/janus``.
    """

    def __init__(self, url: str, timeout_s: float = API_TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST one request; returns Janus' answer, raises on transport or Janus errors."""
        data = json.dumps({"transaction": secrets.token_hex(8), **body}).encode()
        request = urllib.request.Request(
            self.url + path, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise MediaServerError(f"Janus at {self.url} did not answer: {exc}") from exc
        if answer.get("janus") == "error":
            error = answer.get("error", {})
            raise MediaServerError(f"Janus refused: {error.get('reason', answer)}")
        return answer

    def info(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(self.url + "/info", timeout=self.timeout_s) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise MediaServerError(f"Janus at {self.url} did not answer: {exc}") from exc

    def streaming(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send one synchronous request to the streaming plugin; returns its data."""
        session = self.call("", {"janus": "create"})["data"]["id"]
        try:
            handle = self.call(f"/{session}", {"janus": "attach", "plugin": STREAMING_PLUGIN})
            answer = self.call(
                f"/{session}/{handle['data']['id']}", {"janus": "message", "body": body}
            )
        finally:
            with contextlib.suppress(MediaServerError):
                self.call(f"/{session}", {"janus": "destroy"})
        data = answer.get("plugindata", {}).get("data", {})
        if "error" in data:
            raise MediaServerError(f"Janus streaming plugin refused {body['request']}: {data}")
        return data


@dataclass(frozen=True)
class Mountpoint:
    """One feed's place in Janus: browsers watch ``id``; the station sends RTP to ``port``."""

    id: int
    vehicle_id: str
    port: int


class JanusMountpoints:
    """What the station asks of a Janus it publishes to: make, check and drop mountpoints.

    Subclasses set :attr:`api`, :attr:`admin_key`, where the station sends
    RTP (:attr:`rtp_host`) and which address a mountpoint listens on
    (:attr:`rtp_iface`; None: all of the Janus host's).
    """

    api: JanusApi | None = None
    shared = False
    """True for a Janus other stations publish to as well (the city's media server)."""
    admin_key: str = ""
    rtp_host: str = "127.0.0.1"
    rtp_iface: str | None = "127.0.0.1"
    version: str = ""
    pid: int | None = None

    def running(self) -> bool:
        raise NotImplementedError

    def start(self) -> JanusMountpoints:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def _api(self) -> JanusApi:
        if self.api is None or not self.running():
            raise MediaServerError("Janus is not running")
        return self.api

    def create_mountpoint(self, mountpoint_id: int | None, vehicle_id: str) -> Mountpoint:
        """A live H.264 mountpoint; its RTP input listens on a free port of :attr:`rtp_iface`.

        ``mountpoint_id`` None lets Janus pick a random free id (as a Janus that
        several stations publish to needs: their own counters would collide).
        """
        medium: dict[str, Any] = {
            "type": "video",
            "mid": "v",
            "port": 0,
            "pt": RTP_PAYLOAD_TYPE,
            "codec": "h264",
            "fmtp": H264_FMTP,
        }
        if self.rtp_iface:
            medium["iface"] = self.rtp_iface
        request: dict[str, Any] = {
            "request": "create",
            "admin_key": self.admin_key,
            "type": "rtp",
            "description": vehicle_id,
            "permanent": False,
            "media": [medium],
        }
        if mountpoint_id is not None:
            request["id"] = mountpoint_id
        data = self._api().streaming(request)
        port = data["stream"]["ports"][0]["port"]
        return Mountpoint(int(data["stream"]["id"]), vehicle_id, port)

    def list_mountpoints(self) -> dict[int, str]:
        """The mountpoints Janus has now: id -> description (the vehicle id its publisher
        gave it). Raises :class:`MediaServerError` when Janus does not answer."""
        data = self._api().streaming({"request": "list"})
        return {int(m["id"]): str(m.get("description", "")) for m in data.get("list", [])}

    def destroy_mountpoint(self, mountpoint_id: int) -> None:
        self._api().streaming(
            {"request": "destroy", "id": mountpoint_id, "admin_key": self.admin_key}
        )

    def mountpoint_info(self, mountpoint_id: int) -> dict[str, Any]:
        """Janus' view of a mountpoint: viewers, each medium's ``age_ms`` since its last packet."""
        data = self._api().streaming(
            {"request": "info", "id": mountpoint_id, "admin_key": self.admin_key}
        )
        return data.get("info", {})


class JanusServer(JanusMountpoints):
    """A Janus process started and configured by the station.

    Args:
        config: what to generate (ports, ICE, keys).
        executable: the Janus program (found on ``PATH``).
        workdir: where the configuration goes (a temporary folder by default).
    """

    def __init__(
        self,
        config: JanusConfig | None = None,
        executable: str = "janus",
        workdir: Path | None = None,
    ) -> None:
        self.config = config or JanusConfig()
        self.executable = executable
        self._workdir = workdir
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._process: subprocess.Popen | None = None
        self._log_path: Path | None = None
        self.api: JanusApi | None = None
        self.version = ""

    @property
    def pid(self) -> int | None:  # type: ignore[override]
        return self._process.pid if self._process else None

    @property
    def admin_key(self) -> str:  # type: ignore[override]
        return self.config.admin_key

    def start(self) -> JanusServer:
        """Write the configuration, start Janus and wait until its API answers."""
        program, lib = find_janus(self.executable)
        config = self.config
        if config.http_port == 0:
            config = self.config = replace(config, http_port=free_tcp_port())
        if self._workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="dronepatrol-janus-")
            folder = Path(self._tmp.name)
        else:
            folder = self._workdir
            folder.mkdir(parents=True, exist_ok=True)
        for name, text in config.files(folder, lib).items():
            (folder / name).write_text(text, encoding="utf-8")
        self._log_path = folder / "janus.log"
        log_file = open(self._log_path, "wb")  # noqa: SIM115 - the child writes it
        self._process = subprocess.Popen(
            [program, "-F", str(folder), "-C", str(folder / "janus.jcfg"), "--disable-colors"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,  # in the station's process group: Ctrl-C ends it too
        )
        log_file.close()
        self.api = JanusApi(f"http://127.0.0.1:{config.http_port}/janus")
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise MediaServerError(
                    f"Janus exited with status {self._process.returncode} at start:\n"
                    + self.log_tail()
                )
            try:
                self.version = self.api.info().get("version_string", "")
                break
            except MediaServerError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise MediaServerError(
                        f"Janus did not answer within {START_TIMEOUT_S:.0f} s:\n" + self.log_tail()
                    ) from None
                time.sleep(0.1)
        log.info("Janus %s serving video on 127.0.0.1:%d", self.version, config.http_port)
        return self

    def log_tail(self, lines: int = 20) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


class ExternalJanus(JanusMountpoints):
    """A Janus run elsewhere (at the command centre, say), whose HTTP API the station reaches.

    The station then sends one RTP stream per feed over the network to it,
    and the centre's viewers cost the station neither CPU nor uplink. The
    streaming plugin's ``admin_key`` must be shared with the station; RTP
    travels unencrypted, so the link should be a VPN or a trusted network.

    Args:
        url: the API's base, e.g. ``http://video.centre.lan:8088/janus``.
        admin_key: the streaming plugin's admin key there.
        rtp_host: where the station sends RTP (default: the URL's host).
    """

    def __init__(self, url: str, admin_key: str, rtp_host: str = "") -> None:
        from urllib.parse import urlsplit

        self.api = JanusApi(url)
        self.shared = True
        self.admin_key = admin_key
        self.rtp_host = rtp_host or urlsplit(url).hostname or ""
        self.rtp_iface = None
        if not self.rtp_host:
            raise MediaServerError(f"video_janus_url {url!r} names no host")

    def start(self) -> ExternalJanus:
        """Check that the Janus answers (raises :class:`MediaServerError` naming the URL)."""
        assert self.api is not None
        self.version = self.api.info().get("version_string", "")
        log.info("publishing video to Janus %s at %s", self.version, self.api.url)
        return self

    def running(self) -> bool:
        try:
            assert self.api is not None
            self.api.info()
            return True
        except MediaServerError:
            return False

    def stop(self) -> None:
        """Nothing to stop: it is not ours (the fan-out drops its mountpoints)."""


class MediaFanout:
    """Every vehicle's feed published once to Janus, for any number of browsers.

    Owns the Janus process and, per vehicle, its mountpoint and publisher.
    A pipeline gets its publisher with :meth:`publisher_for` and hands it
    each annotated frame (see ``VideoPipeline.publisher``).
    """

    def __init__(self, server: JanusMountpoints, options: H264Options | None = None) -> None:
        self.server = server
        self.options = options or H264Options()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._mountpoints: dict[str, Mountpoint] = {}
        self._publishers: dict[str, BackgroundPublisher] = {}

    def start(self) -> MediaFanout:
        if not self.server.version:  # not started (or, elsewhere, not yet asked)
            self.server.start()
        return self

    def publisher_for(self, vehicle_id: str) -> BackgroundPublisher:
        """The publisher of ``vehicle_id``'s feed (its mountpoint made on first use)."""
        with self._lock:
            publisher = self._publishers.get(vehicle_id)
            if publisher is None:
                wanted = None if self.server.shared else next(self._ids)
                mountpoint = self.server.create_mountpoint(wanted, vehicle_id)
                self._mountpoints[vehicle_id] = mountpoint
                publisher = BackgroundPublisher(
                    self.server.rtp_host, mountpoint.port, self.options, name=vehicle_id
                )
                self._publishers[vehicle_id] = publisher
            return publisher

    def mountpoint(self, vehicle_id: str) -> Mountpoint | None:
        return self._mountpoints.get(vehicle_id)

    def mountpoints(self) -> list[Mountpoint]:
        """Every feed's mountpoint made so far."""
        with self._lock:
            return list(self._mountpoints.values())

    def health(self) -> dict[str, Any]:
        """Whether Janus runs and answers, and each feed's publisher and mountpoint state."""
        report: dict[str, Any] = {
            "server": "janus",
            "running": self.server.running(),
            "pid": self.server.pid,
            "version": self.server.version,
            "feeds": {},
        }
        answering = report["running"]
        for vehicle_id, mountpoint in list(self._mountpoints.items()):
            feed: dict[str, Any] = {
                "mountpoint": mountpoint.id,
                "publisher": self._publishers[vehicle_id].status(),
            }
            if answering:
                try:
                    info = self.server.mountpoint_info(mountpoint.id)
                    feed["viewers"] = info.get("viewers", 0)
                    media = info.get("media") or [{}]
                    feed["age_ms"] = media[0].get("age_ms")
                except MediaServerError as exc:
                    answering = False
                    feed["error"] = str(exc)
            report["feeds"][vehicle_id] = feed
        report["ok"] = answering
        return report

    def stop(self) -> None:
        with self._lock:
            publishers, self._publishers = self._publishers, {}
        for publisher in publishers.values():
            publisher.close()
        if self.server.running():
            for mountpoint in self._mountpoints.values():
                with contextlib.suppress(MediaServerError):
                    self.server.destroy_mountpoint(mountpoint.id)
        self.server.stop()


def fanout_from_settings(
    ice_interfaces: str = "",
    public_ip: str = "",
    options: H264Options | None = None,
    janus_url: str = "",
    janus_admin_key: str = "",
    janus_rtp_host: str = "",
) -> MediaFanout:
    """A started :class:`MediaFanout`: to the Janus at ``janus_url``, or to one started here.

    Raises :class:`MediaServerError` when Janus cannot run or does not answer.
    """
    if janus_url:
        if not janus_admin_key:
            raise MediaServerError(
                "video_janus_url is set but video_janus_admin_key is not: set it to the "
                "admin_key of that Janus' streaming plugin"
            )
        server: JanusMountpoints = ExternalJanus(janus_url, janus_admin_key, janus_rtp_host)
    else:
        interfaces = tuple(part.strip() for part in ice_interfaces.split(",") if part.strip())
        server = JanusServer(JanusConfig(ice_interfaces=interfaces, public_ip=public_ip))
    return MediaFanout(server, options).start()


__all__ = [
    "VIDEO_SERVERS",
    "ExternalJanus",
    "JanusApi",
    "JanusConfig",
    "JanusMountpoints",
    "JanusServer",
    "MediaFanout",
    "MediaServerError",
    "Mountpoint",
    "fanout_from_settings",
    "find_janus",
]
