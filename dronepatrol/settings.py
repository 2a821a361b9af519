"""Typed settings from ``DRONEPATROL_*`` environment variables and a TOML file.

One immutable :class:`Settings` object is built at start-up and passed down;
nothing reads the environment later. Precedence, highest first: environment
variables, the TOML file (``DRONEPATROL_CONFIG`` or ``--config``), defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import platformdirs

ENV_PREFIX = "DRONEPATROL_"


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
        signing_key: MAVLink 2 signing passphrase (empty: signing off).
        detector_model: path of an ONNX object-detection model run on live
            video beside motion detection (empty: motion detection only).
    """

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    admin_password: str = ""
    secret_key: str = ""
    tile_url: str = ""
    mbtiles: str = ""
    signing_key: str = ""
    detector_model: str = ""

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
        """Create the data directories; an unwritable one raises :class:`SettingsError`."""
        for path in (self.data_dir, self.tlog_dir, self.recordings_dir):
            try:
                path.mkdir(parents=True, exist_ok=True)
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
