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

from dronepatrol.database.record_tables import Media, MediaKind

CHUNK_BYTES = 1 << 20


def sha256_file(path: Path | str, limit_bytes: int | None = None) -> tuple[str, int]:
    """(hex SHA-256, size [bytes]) of the file at ``path`` (its first ``limit_bytes`` if given)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while True:
            want = CHUNK_BYTES if limit_bytes is None else min(CHUNK_BYTES, limit_bytes - size)
            chunk = handle.read(want) if want > 0 else b""
            if not chunk:
                break
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
    complete: bool,
) -> int:
    result = connection.execute(
        insert(Media),
        {
            "sortie_id": sortie_id,
            "kind": media_kind(path, kind),
            "path": str(path),
            "sha256": sha256,
            "size_bytes": size,
            "complete": complete,
            "registered_s": time.time(),
        },
    )
    return int(result.inserted_primary_key[0])


def register_media(
    engine: Engine, sortie_id: int | None, path: Path | str, kind: str | None = None
) -> int:
    """Hash the complete file at ``path`` and store it for ``sortie_id``; returns the row id.

    Raises FileNotFoundError when there is no such file.
    """
    resolved = Path(path).expanduser().resolve()
    digest, size = sha256_file(resolved)
    with engine.begin() as connection:
        return _insert_media(connection, sortie_id, resolved, kind, digest, size, True)


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
    values = {"sha256": sha256.lower(), "size_bytes": size_bytes, "complete": True}
    existing = connection.execute(
        select(Media.id).where(Media.path == str(resolved), Media.sortie_id == sortie_id)
    ).first()
    if existing is not None:
        connection.execute(update(Media).where(Media.id == existing[0]).values(**values))
        return int(existing[0])
    return _insert_media(
        connection, sortie_id, resolved, kind, sha256.lower(), size_bytes, complete=True
    )


def announce(
    connection: Connection,
    sortie_id: int | None,
    path: Path | str,
    kind: str | None,
    complete: bool,
) -> list[int]:
    """A media file was announced; returns the ids of every row of that file.

    A file is registered once per sortie: announcing it again (its writer
    saying it is complete now) marks every row of it complete (a link's tlog
    may span several sorties), and the caller hashes them again. A new file
    gets a row without a digest yet.
    """
    resolved = str(Path(path).expanduser().resolve())
    rows = connection.execute(select(Media.id, Media.sortie_id).where(Media.path == resolved)).all()
    ids = [int(row[0]) for row in rows]
    if complete and ids:
        connection.execute(update(Media).where(Media.id.in_(ids)).values(complete=True))
    if sortie_id not in {row[1] for row in rows}:
        ids.append(_insert_media(connection, sortie_id, Path(resolved), kind, "", 0, complete))
    return ids


def finalise(engine: Engine, media_id: int) -> None:
    """Hash a media file as it is now (missing files keep their previous state)."""
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
    """Ids of a sortie's media to hash as it ends: no digest yet, or still being written."""
    rows = connection.execute(
        select(Media.id).where(
            Media.sortie_id == sortie_id, (Media.sha256 == "") | Media.complete.is_(False)
        )
    )
    return [int(row[0]) for row in rows]


@dataclass(frozen=True)
class MediaCheck:
    """The verdict on one media file.

    ``status``: ``ok``; ``growing`` (the hashed part is intact and the writer,
    which had not finished, appended since: fine); ``mismatch``; ``missing``;
    ``unhashed`` (never finalised).
    """

    path: str
    kind: str
    status: str
    expected_sha256: str
    actual_sha256: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "growing")

    def describe(self) -> str:
        """One line a person reads, naming the file."""
        if self.status == "ok":
            return f"ok        {self.path}"
        if self.status == "growing":
            return f"ok        {self.path} (hashed part intact; still being written since)"
        if self.status == "missing":
            return f"MISSING   {self.path}: the file is gone"
        if self.status == "unhashed":
            return f"UNHASHED  {self.path}: no digest was stored (the file was never finalised)"
        return (
            f"MISMATCH  {self.path}: SHA-256 is {self.actual_sha256}, "
            f"recorded {self.expected_sha256}"
        )


def verify_media(engine: Engine, sortie_id: int) -> list[MediaCheck]:
    """Re-hash every media file of ``sortie_id`` and compare with the stored digest.

    The digest covers the first ``size_bytes`` bytes as recorded; a complete
    file must be exactly that, an incomplete one may have grown since.
    """
    with engine.connect() as connection:
        rows = connection.execute(
            select(Media.path, Media.kind, Media.sha256, Media.size_bytes, Media.complete)
            .where(Media.sortie_id == sortie_id)
            .order_by(Media.id)
        ).all()
    checks = []
    for path, kind, expected, size, complete in rows:
        if not expected:
            checks.append(MediaCheck(path, kind, "unhashed", ""))
            continue
        try:
            actual, hashed = sha256_file(path, limit_bytes=size)
            total = Path(path).stat().st_size
        except FileNotFoundError:
            checks.append(MediaCheck(path, kind, "missing", expected))
            continue
        if actual != expected or hashed != size:
            status = "mismatch"
        elif total == size:
            status = "ok"
        else:
            status = "growing" if not complete else "mismatch"
            if complete:
                actual, _ = sha256_file(path)
        checks.append(MediaCheck(path, kind, status, expected, actual))
    return checks
