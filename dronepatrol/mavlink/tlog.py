"""The telemetry log: every MAVLink message in and out, as a ``.tlog``.

The format QGroundControl, MAVProxy and MAVExplorer read: each message's
bytes preceded by its time as an 8-byte big-endian count of microseconds
since the Unix epoch. The file is opened for appending only and flushed
every second by the link thread, so a crash loses at most a second and never
rewrites what is there. Bytes that do not frame as a MAVLink message (line
noise, truncated packets) are counted by the link but not logged, because
tlog readers cannot skip them.
"""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

_STAMP = struct.Struct(">Q")


class TlogWriter:
    """Appends timestamped MAVLink messages to one ``.tlog`` file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # 0600: a flight log is evidence and tells where drones fly
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._file = os.fdopen(fd, "ab")
        self.messages = 0
        self._flushed = time.monotonic()

    def write(self, message: bytes, time_s: float | None = None) -> None:
        """Log one framed message received or sent at ``time_s`` [s since epoch]."""
        stamp = int((time.time() if time_s is None else time_s) * 1_000_000)
        self._file.write(_STAMP.pack(stamp) + message)
        self.messages += 1

    def maybe_flush(self, now: float) -> None:
        """Flush when a second has passed since the last flush (monotonic ``now`` [s])."""
        if now - self._flushed >= 1.0:
            self._file.flush()
            self._flushed = now

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            self._file.close()


def claim_tlog(directory: Path, stem: str) -> Path:
    """A new, empty ``.tlog`` in ``directory`` named ``stem`` (``stem-2``, ... when taken).

    Created exclusively, so sorties started in the same second (one ``fly`` per
    vehicle of a fleet, writing to one directory) never append to one file.
    """
    for n in range(1, 10_000):
        path = directory / (f"{stem}.tlog" if n == 1 else f"{stem}-{n}.tlog")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free .tlog name for {stem} in {directory}")
