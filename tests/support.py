"""Helpers for tests to import (``from support import ...``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served_demo(
    data_dir: Path, admin_password: str, *options: str, drones: int = 2
) -> Iterator[str]:
    """``dronepatrol serve --demo DRONES OPTIONS`` as a process; yields its base URL once healthy.

    The server's output goes to ``data_dir/serve.log``; on exit it gets Ctrl-C
    (SIGINT) and 30 s to stop cleanly, and the log must hold no traceback.
    """
    port = free_tcp_port()
    env = {
        **os.environ,
        "DRONEPATROL_DATA_DIR": str(data_dir),
        "DRONEPATROL_ADMIN_PASSWORD": admin_password,
    }
    log_path = Path(data_dir) / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dronepatrol",
                "serve",
                "--demo",
                str(drones),
                "--port",
                str(port),
                *options,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/api/health", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(
                            "the demo server did not answer /api/health in 60 s:\n"
                            + log_path.read_text(errors="replace")
                        ) from None
                    time.sleep(0.3)
            yield base
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    output = log_path.read_text(errors="replace")
    assert "Traceback" not in output, output
