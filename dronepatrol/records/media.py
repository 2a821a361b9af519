"""Evidence integrity: media files of a sortie registered with their SHA-256, and checked.

A tlog or video is hashed once it is complete (at the end of its sortie) and
the digest stored beside its path; ``verify`` hashes it again and names every
file that changed, went missing or was never finalised.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from dronepatrol.store.models import Media, MediaKind

CHUNK_BYTES = 1 << 20


def sha256_file(path: Path | str) -> tuple[str, int]:
    """(hex SHA-256, size [bytes]) of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def media_kind(path: Path | str, kind: str | None = None) -> str:
    """``kind`` when it is a :class:`MediaKind` value, else guessed from the file suffix."""
    if kind in {k.value for k in MediaKind}:
        return str(kind)
    suffix = Path(path).suffix.lower()
    if suffix == ".tlog":
        return MediaKind.TLOG.value
    if suffix in {".mp4", ".mkv", ".avi", ".mov", ".ts", ".webm"}:
        return MediaKind.VIDEO.value
    if suffix in {".jpg", ".jpeg", ".png", ".webp"}:
        return MediaKind.SNAPSHOT.value
    return MediaKind.OTHER.value


def _insert_media(
    connection: Connection,
    sortie_id: int | None,
    path: Path,
    kind: str | None,
    sha256: str,
    size: int,
) -> int:
    result = connection.execute(
        insert(Media).returning(Media.id),
        {
            "sortie_id": sortie_id,
            "kind": media_kind(path, kind),
            "path": str(path),
            "sha256": sha256,
            "size_bytes": size,
            "registered_s": time.time(),
        },
    )
    return int(result.scalar_one())


def register_media(
    engine: Engine, sortie_id: int | None, path: Path | str, kind: str | None = None
) -> int:
    """Hash the complete file at ``path`` and store it for ``sortie_id``; returns the row id.

    Raises FileNotFoundError when there is no such file.
    """
    resolved = Path(path).expanduser().resolve()
    digest, size = sha256_file(resolved)
    with engine.begin() as connection:
        return _insert_media(connection, sortie_id, resolved, kind, digest, size)


def register_pending(
    connection: Connection, sortie_id: int | None, path: Path | str, kind: str | None
) -> int:
    """Store a file that is still being written (no digest yet); :func:`finalise` hashes it."""
    return _insert_media(connection, sortie_id, Path(path).expanduser().resolve(), kind, "", 0)


def register_digest(
    connection: Connection,
    sortie_id: int | None,
    path: Path | str,
    kind: str | None,
    sha256: str,
    size_bytes: int,
) -> int:
    """Store a complete file with the digest its writer computed as it closed it."""
    resolved = Path(path).expanduser().resolve()
    return _insert_media(connection, sortie_id, resolved, kind, sha256.lower(), size_bytes)


def finalise(engine: Engine, media_id: int) -> None:
    """Hash a pending media file now that it is complete (missing files stay pending)."""
    with engine.connect() as connection:
        path = connection.execute(select(Media.path).where(Media.id == media_id)).scalar_one()
    try:
        digest, size = sha256_file(path)
    except FileNotFoundError:
        return
    with engine.begin() as connection:
        connection.execute(
            update(Media).where(Media.id == media_id).values(sha256=digest, size_bytes=size)
        )


def pending_media(connection: Connection, sortie_id: int) -> list[int]:
    """Ids of a sortie's media still waiting for their digest."""
    rows = connection.execute(
        select(Media.id).where(Media.sortie_id == sortie_id, Media.sha256 == "")
    )
    return [int(row[0]) for row in rows]


@dataclass(frozen=True)
class MediaCheck:
    """The verdict on one media file: ``status`` is ok, mismatch, missing or unhashed."""

    path: str
    kind: str
    status: str
    expected_sha256: str
    actual_sha256: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def describe(self) -> str:
        """One line a person reads, naming the file."""
        if self.status == "ok":
            return f"ok        {self.path}"
        if self.status == "missing":
            return f"MISSING   {self.path}: the file is gone"
        if self.status == "unhashed":
            return f"UNHASHED  {self.path}: no digest was stored (the file was never finalised)"
        return (
            f"MISMATCH  {self.path}: SHA-256 is {self.actual_sha256}, "
            f"recorded {self.expected_sha256}"
        )


def verify_media(engine: Engine, sortie_id: int) -> list[MediaCheck]:
    """Re-hash every media file of ``sortie_id`` and compare with the stored digest."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Media.path, Media.kind, Media.sha256)
            .where(Media.sortie_id == sortie_id)
            .order_by(Media.id)
        ).all()
    checks = []
    for path, kind, expected in rows:
        if not expected:
            checks.append(MediaCheck(path, kind, "unhashed", ""))
            continue
        try:
            actual, _ = sha256_file(path)
        except FileNotFoundError:
            checks.append(MediaCheck(path, kind, "missing", expected))
            continue
        status = "ok" if actual == expected else "mismatch"
        checks.append(MediaCheck(path, kind, status, expected, actual))
    return checks
