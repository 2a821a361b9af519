"""Typed settings from ``DRONEPATROL_*`` environment variables and a TOML file.

One immutable :class:`Settings` object is built at start-up and passed down;
nothing reads the environment later. Precedence, highest first: environment
variables, the TOML file (``DRONEPATROL_CONFIG`` or ``--config``), defaults.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import platformdirs

from dronepatrol.network.revisit import DEFAULT_REVISIT_MIN, RevisitError, RevisitPolicy
from dronepatrol.schedule.turnaround import ScheduleSettingError, Turnaround

ENV_PREFIX = "DRONEPATROL_"

MODES = ("single", "station", "centre")
"""The roles of a node in a city deployment (setting ``mode``)."""

_STATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it and the fix."""


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("dronepatrol", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one DronePatrol installation.

    Attributes:
        data_dir: where databases, logs (.tlog), recordings and snapshots go.
        database_url: SQLAlchemy URL; empty means SQLite ``dronepatrol.db`` in
            ``data_dir`` (see :attr:`effective_database_url`).
        admin_password: when set and no admin account exists, one named
            ``admin`` is created at start-up with this password.
        secret_key: signs web sessions; generated and kept in ``data_dir`` when unset.
        tile_url: map tile URL template for the web map, e.g. a local tile server's
            ``http://tiles.local/{z}/{x}/{y}.png`` (empty: see ``mbtiles``).
        mbtiles: path of an MBTiles file the app serves as the map's tiles, for
            stations without internet (empty with no ``tile_url``: vector-only map).
        map_datum: the datum the base map's tiles are drawn in: ``wgs84`` (default;
            OpenStreetMap and most tile servers), ``gcj02`` (Chinese maps such as
            AutoNavi/Gaode, Tencent or Google's China tiles) or ``bd09`` (Baidu's
            coordinates on Web Mercator XYZ tiles). The browser shifts what it draws
            onto such tiles; positions stay WGS 84 everywhere else.
        signing_key: MAVLink 2 signing passphrase (empty: signing off).
        fleet_file: the fleet registry (TOML or JSON, see :mod:`dronepatrol.registry`)
            that ``serve`` flies; vehicles heard but not in it are shown as unknown
            and never commanded (empty: no registry, every vehicle heard is flown).
        detector_model: path of an ONNX object-detection model run on live
            video beside motion detection (empty: motion detection only).
        revisit_min: revisit interval per priority level [min], e.g.
            ``key=20,attention=90,general=360`` (levels left out keep their
            defaults: key 30, attention 120, general 480); a target's own
            ``revisit_min`` still wins.
        battery_turnaround: time at the station between sorties: ``swap:MIN``
            (a fresh pack, checks included) or ``charge:MIN`` (charging in place,
            empty to full). Default ``swap:5``.
        launch_min_battery_pct: least charge [%] the scheduler sends a drone
            out with. Default 90.
        password_cost: scrypt cost of stored passwords as log2 N (14-20).
            Default 17, OWASP's; older, cheaper hashes are upgraded at sign-in.
        secure_cookie: ``true`` behind TLS (a reverse proxy terminating HTTPS):
            the session cookie is then sent over HTTPS only. Default false.
        proxy_hops: how many reverse proxies stand in front of the app and set
            ``X-Forwarded-For`` / ``-Proto`` (0: none, the client's own address counts).
        max_request_mb: the largest request body the app reads [MiB] (network
            and event files included). Default 8; sign-in takes 8 KiB at most.
        max_streams_per_user: live streams (events, video) one account may hold
            open at once. Default 8.
        video_server: how browsers get live video: ``builtin`` (default: MJPEG
            from the app, nothing else installed) or ``janus`` (each feed
            encoded once to H.264 and fanned out over WebRTC by the Janus
            media server, ``apt-get install janus``; MJPEG stays the fallback).
        video_bitrate_kbps: H.264 bit rate cap of each published feed [kbit/s].
            Default 2500 (720p at 25 fps).
        video_ice_interfaces: with ``janus``: the interfaces or addresses
            (comma-separated) whose addresses browsers are offered for media
            (empty: all of the machine's).
        video_public_ip: with ``janus`` behind 1:1 NAT: the public address
            announced to browsers (empty: none).
        video_janus_url: with ``janus``: the HTTP API of a Janus run elsewhere
            (at the command centre), e.g. ``http://video.centre.lan:8088/janus``;
            the station then publishes each feed to it over the network and
            starts none of its own (empty: the station starts Janus itself).
        video_janus_admin_key: the streaming plugin's ``admin_key`` of that Janus.
        video_janus_rtp_host: where the station sends RTP to that Janus
            (empty: the host of ``video_janus_url``).
        mode: the role in a city deployment: ``single`` (default: one machine, no
            broker), ``station`` (flies its drones and reports to the centre over
            the broker) or ``centre`` (the command centre: every station's picture,
            commands through the stations; records in its ``database_url``).
        station_id: this station's id on the city bus (station mode), e.g. ``north``.
        broker_url: the city's MQTT broker, ``mqtt://host:1883`` or ``mqtts://host:8883``.
        broker_username, broker_password: this node's broker account (a station's
            is ``station-<station_id>``; the centre's ``centre``).
        broker_ca_file: CA certificate that signed the broker's TLS certificate
            (empty: the system's CAs).
    """

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    admin_password: str = ""
    secret_key: str = ""
    tile_url: str = ""
    mbtiles: str = ""
    map_datum: str = ""
    signing_key: str = ""
    fleet_file: str = ""
    detector_model: str = ""
    revisit_min: str = ""
    battery_turnaround: str = ""
    launch_min_battery_pct: str = ""
    password_cost: str = ""
    secure_cookie: str = ""
    proxy_hops: str = ""
    max_request_mb: str = ""
    max_streams_per_user: str = ""
    video_server: str = ""
    video_bitrate_kbps: str = ""
    video_ice_interfaces: str = ""
    video_public_ip: str = ""
    video_janus_url: str = ""
    video_janus_admin_key: str = ""
    video_janus_rtp_host: str = ""
    mode: str = ""
    station_id: str = ""
    broker_url: str = ""
    broker_username: str = ""
    broker_password: str = ""
    broker_ca_file: str = ""

    def __post_init__(self) -> None:
        self.revisit_policy()  # refuse bad patrol and web settings at start-up, by name
        self.turnaround()
        self.password_log2_n  # noqa: B018
        self.secure_cookies  # noqa: B018
        self.proxy_hop_count  # noqa: B018
        self.max_request_bytes  # noqa: B018
        self.stream_limit  # noqa: B018
        self.base_map_datum  # noqa: B018
        self.video_server_mode  # noqa: B018
        self.video_bitrate_bps  # noqa: B018
        self.deployment_mode  # noqa: B018

    def _whole(self, name: str, default: int, low: int, high: int, meaning: str) -> int:
        """Setting ``name`` as a whole number in [low, high] (``default`` when unset)."""
        raw = str(getattr(self, name)).strip()
        try:
            value = int(raw) if raw else default
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise SettingsError(
                f"setting {name} must be a whole number {low}..{high} ({meaning}), got {raw!r}"
            )
        return value

    @property
    def password_log2_n(self) -> int:
        """scrypt cost of new password hashes, as log2 N."""
        return self._whole("password_cost", 17, 14, 20, "scrypt cost as log2 N")

    @property
    def secure_cookies(self) -> bool:
        """True when the session cookie must only travel over HTTPS."""
        raw = self.secure_cookie.strip().lower()
        if raw in ("", "0", "false", "no", "off"):
            return False
        if raw in ("1", "true", "yes", "on"):
            return True
        raise SettingsError(f"setting secure_cookie must be true or false, got {raw!r}")

    @property
    def base_map_datum(self) -> str:
        """The datum of the base map's tiles: ``wgs84``, ``gcj02`` or ``bd09``."""
        raw = self.map_datum.strip().lower().replace("-", "").replace("_", "")
        datum = {"": "wgs84", "wgs84": "wgs84", "gcj02": "gcj02", "bd09": "bd09"}.get(raw)
        if datum is None:
            raise SettingsError(
                f"setting map_datum must be wgs84, gcj02 or bd09 (the datum of the base "
                f"map's tiles), got {self.map_datum!r}"
            )
        return datum

    @property
    def proxy_hop_count(self) -> int:
        """Reverse proxies in front of the app whose X-Forwarded-* headers are trusted."""
        return self._whole("proxy_hops", 0, 0, 5, "trusted reverse proxies")

    @property
    def max_request_bytes(self) -> int:
        """The largest request body the app reads [bytes]."""
        return self._whole("max_request_mb", 8, 1, 512, "MiB") * 1024 * 1024

    @property
    def stream_limit(self) -> int:
        """Live streams one account may hold open at once."""
        return self._whole("max_streams_per_user", 8, 1, 1000, "open streams per account")

    @property
    def video_server_mode(self) -> str:
        """``builtin`` (MJPEG from the app) or ``janus`` (H.264 fanned out by Janus)."""
        raw = self.video_server.strip().lower() or "builtin"
        if raw not in ("builtin", "janus"):
            raise SettingsError(f"setting video_server must be builtin or janus, got {raw!r}")
        return raw

    @property
    def video_bitrate_bps(self) -> int:
        """The H.264 bit rate cap of each published feed [bit/s]."""
        return self._whole("video_bitrate_kbps", 2500, 200, 8000, "kbit/s per feed") * 1000

    @property
    def deployment_mode(self) -> str:
        """``single``, ``station`` or ``centre`` (see ``mode``), checked against what it needs."""
        mode = self.mode.strip().lower() or "single"
        if mode not in MODES:
            raise SettingsError(f"setting mode must be one of {', '.join(MODES)}, got {mode!r}")
        if mode == "single":
            return mode
        if not self.broker_url.strip().startswith(("mqtt://", "mqtts://")):
            raise SettingsError(
                f"mode {mode} needs setting broker_url, mqtt://host:port or mqtts://host:port "
                f"(got {self.broker_url!r})"
            )
        if mode == "station" and not _STATION_ID.match(self.station_id):
            raise SettingsError(
                "mode station needs setting station_id: 1-64 letters, digits, '.', '_' or '-' "
                f"(got {self.station_id!r})"
            )
        return mode

    def revisit_policy(self) -> RevisitPolicy:
        """The revisit intervals in force (``revisit_min`` over the defaults)."""
        intervals = dict(DEFAULT_REVISIT_MIN)
        for part in filter(None, (p.strip() for p in self.revisit_min.split(","))):
            level, _, minutes = part.partition("=")
            try:
                intervals[level.strip()] = float(minutes)
            except ValueError:
                raise SettingsError(
                    f"setting revisit_min: {part!r} is not LEVEL=MINUTES; "
                    "write e.g. key=20,attention=90,general=360"
                ) from None
        try:
            return RevisitPolicy(intervals)
        except RevisitError as exc:
            raise SettingsError(f"setting revisit_min: {exc}") from None

    def turnaround(self) -> Turnaround:
        """The battery turnaround the scheduler plans with."""
        kind, _, minutes = (self.battery_turnaround or "swap:5").partition(":")
        try:
            ground_min = float(minutes)
            launch_pct = float(self.launch_min_battery_pct or 90)
        except ValueError:
            raise SettingsError(
                "setting battery_turnaround must be swap:MINUTES or charge:MINUTES and "
                f"launch_min_battery_pct a number; got {self.battery_turnaround!r}, "
                f"{self.launch_min_battery_pct!r}"
            ) from None
        if kind.strip() not in ("swap", "charge"):
            raise SettingsError(
                f"setting battery_turnaround: {kind!r} is neither swap nor charge; "
                "write e.g. swap:5 or charge:60"
            )
        try:
            if kind.strip() == "swap":
                return Turnaround(
                    "swap", swap_s=ground_min * 60.0, launch_min_frac=launch_pct / 100
                )
            return Turnaround(
                "charge", charge_full_s=ground_min * 60.0, launch_min_frac=launch_pct / 100
            )
        except ScheduleSettingError as exc:
            raise SettingsError(
                f"setting battery_turnaround / launch_min_battery_pct: {exc}"
            ) from None

    @property
    def effective_database_url(self) -> str:
        """The database to use: ``database_url``, or SQLite in ``data_dir``."""
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'dronepatrol.db'}"

    @property
    def tlog_dir(self) -> Path:
        """Directory of MAVLink telemetry logs, one ``.tlog`` per sortie."""
        return self.data_dir / "tlogs"

    @property
    def recordings_dir(self) -> Path:
        """Directory of sortie video recordings and detection snapshots."""
        return self.data_dir / "recordings"

    def ensure_dirs(self) -> None:
        """Create the data directories, private to this user (0700).

        They hold password and token hashes, the audit log, incidents, flight
        logs and video. An unwritable one raises :class:`SettingsError`.
        """
        for path in (self.data_dir, self.tlog_dir, self.recordings_dir):
            try:
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
                info = path.stat()
                if info.st_mode & 0o077 and info.st_uid == os.getuid():
                    path.chmod(0o700)
            except OSError as exc:
                raise SettingsError(
                    f"cannot create data directory {path}: {exc.strerror}; "
                    f"set {ENV_PREFIX}DATA_DIR to a writable directory"
                ) from exc

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        config_file: Path | None = None,
    ) -> Settings:
        """Build settings from a TOML file and the environment.

        ``environ`` defaults to ``os.environ``; ``config_file`` defaults to
        ``$DRONEPATROL_CONFIG`` when set. Unknown keys in the file are errors,
        so that a typo does not silently fall back to a default.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        path = config_file or (
            Path(env[f"{ENV_PREFIX}CONFIG"]) if env.get(f"{ENV_PREFIX}CONFIG") else None
        )
        known = {f.name for f in fields(cls)}
        if path is not None:
            try:
                raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except FileNotFoundError as exc:
                raise SettingsError(f"config file {path} does not exist") from exc
            except tomllib.TOMLDecodeError as exc:
                raise SettingsError(f"config file {path} is not valid TOML: {exc}") from exc
            unknown = sorted(set(raw) - known)
            if unknown:
                raise SettingsError(
                    f"config file {path}: unknown setting(s) {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(known))}"
                )
            values.update(raw)
        for name in known:
            env_value = env.get(ENV_PREFIX + name.upper())
            if env_value:
                values[name] = env_value
        if "data_dir" in values:
            values["data_dir"] = Path(str(values["data_dir"])).expanduser()
        for name, value in values.items():
            if name != "data_dir" and not isinstance(value, str):
                raise SettingsError(f"setting {name} must be a string, got {value!r}")
        return cls(**values)  # type: ignore[arg-type]

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some settings changed (used by tests and the CLI)."""
        return replace(self, **changes)  # type: ignore[arg-type]
