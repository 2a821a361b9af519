"""A Mosquitto broker run on this machine for the city demo, the tests and the benchmark.

A city deployment points its nodes at the city's own broker; this runs
Debian's ``mosquitto`` with a generated configuration instead: 127.0.0.1
only, no anonymous clients, one password per account (hashed by
``mosquitto_passwd``), the contract's ACL (:func:`~dronepatrol.city.broker.acl_text`),
and, when ``tls`` is set, a listener that needs TLS with a certificate
signed by a CA made for it (:mod:`dronepatrol.city.testca`). Persistence is
on, so retained presence and telemetry survive a broker restart.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from dronepatrol.city.broker import CENTRE_USER, BrokerSettings, acl_text, station_user


class LocalBrokerError(RuntimeError):
    """Mosquitto is missing or would not start; the message says how to fix it."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mosquitto_binary() -> str:
    """The path of ``mosquitto`` (Debian puts it in /usr/sbin, often off a user's PATH)."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/bin")
    if not found:
        raise LocalBrokerError(
            "mosquitto is not installed: run `make system-deps` (Debian package)"
        )
    return found


class LocalBroker:
    """One mosquitto process in ``directory`` on a loopback port, with an account per node.

    Args:
        directory: where the configuration, password file, ACL and persistence go.
        stations: station ids, each given an account ``station-<id>``.
        port: the TCP port (0: a free one, kept across restarts).
        tls: listen with TLS only (a CA and server certificate are made in ``directory``).
    """

    def __init__(
        self, directory: Path, stations: list[str], port: int = 0, *, tls: bool = False
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.stations = list(stations)
        self.port = port or _free_port()
        self.tls = tls
        self.passwords = {CENTRE_USER: secrets.token_urlsafe(12)}
        for station in self.stations:
            self.passwords[station_user(station)] = secrets.token_urlsafe(12)
        self.ca_file = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._write_config()

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def settings_for(self, user: str) -> BrokerSettings:
        """How ``user`` (``centre`` or ``station-<id>``) reaches this broker."""
        return BrokerSettings(self.url, user, self.passwords[user], self.ca_file)

    def centre_settings(self) -> BrokerSettings:
        return self.settings_for(CENTRE_USER)

    def station_settings(self, station: str) -> BrokerSettings:
        return self.settings_for(station_user(station))

    def _write_config(self) -> None:
        passwd = self.directory / "passwd"
        passwd.write_text("")
        passwd.chmod(0o600)
        tool = shutil.which("mosquitto_passwd") or "mosquitto_passwd"
        for user, password in self.passwords.items():
            subprocess.run([tool, "-b", str(passwd), user, password], check=True)
        acl = self.directory / "acl"
        acl.write_text(acl_text(self.stations))
        acl.chmod(0o600)
        lines = [
            # started as root, mosquitto would switch to its own user, who cannot read
            # this directory: it keeps the starting user (root only on test machines)
            f"user {pwd.getpwuid(os.geteuid()).pw_name}",
            "per_listener_settings false",
            "allow_anonymous false",
            f"password_file {passwd}",
            f"acl_file {acl}",
            "persistence true",
            f"persistence_location {self.directory}/",
            "autosave_interval 1",
            "max_queued_messages 100000",
            "log_type error",
            "log_type warning",
            f"listener {self.port} 127.0.0.1",
        ]
        if self.tls:
            from dronepatrol.city.testca import make_ca_and_server_cert

            ca, cert, key = make_ca_and_server_cert(self.directory, "127.0.0.1")
            self.ca_file = str(ca)
            lines += [f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"]
        (self.directory / "mosquitto.conf").write_text("\n".join(lines) + "\n")

    def start(self, timeout_s: float = 10.0) -> LocalBroker:
        """Start mosquitto and wait until its port accepts connections."""
        if self._process is not None and self._process.poll() is None:
            return self
        log = (self.directory / "mosquitto.log").open("ab")
        self._process = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.directory / "mosquitto.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LocalBrokerError(
                    f"mosquitto exited with {self._process.returncode}; see "
                    f"{self.directory / 'mosquitto.log'}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise LocalBrokerError(f"mosquitto did not listen on 127.0.0.1:{self.port}")

    def kill(self) -> None:
        """Kill the broker at once (SIGKILL: no goodbye to its clients, no last save)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)

    def stop(self) -> None:
        """Stop the broker cleanly (SIGTERM)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
