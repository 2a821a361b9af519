"""The account service: users, sign-in, API tokens and the audit log over the store.

Every method opens and closes its own short session on the engine, so the
service is safe to share between the web app's request threads.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dronepatrol.accounts.passwords import (
    DEFAULT_LOG2_N,
    hash_password,
    needs_rehash,
    verify_password,
)
from dronepatrol.accounts.roles import Role
from dronepatrol.database.account_tables import ApiToken, AuditEntry, User

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
MIN_PASSWORD_LENGTH = 8
DEFAULT_TOKEN_TTL_S = 12 * 3600.0
"""API tokens live 12 hours unless asked otherwise: one shift."""

_DUMMY_HASHES: dict[int, str] = {}
"""One hash of a random password per cost, made on first need (not at import)."""


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says what to fix."""


class SignInBusy(RuntimeError):
    """As many passwords as the server allows are being checked now; try again shortly."""


PARALLEL_HASHES = 2
"""Passwords checked at once. Each scrypt hash at OWASP's cost takes 128 MiB and most of
a core for up to a second: unbounded, a burst of sign-ins (wrong or unknown names
alike) took 2 GiB for 16 at once and would take every worker's worth."""
HASH_WAIT_S = 5.0
"""How long a sign-in waits for its turn to check a password before it is told to retry [s]."""


@dataclass(frozen=True)
class UserInfo:
    """A user as the app sees it (never the password hash)."""

    id: int
    name: str
    role: Role
    disabled: bool


@dataclass(frozen=True)
class IssuedToken:
    """A new bearer token (shown once) and when it expires [s since epoch]."""

    token: str
    expires_s: float


@dataclass(frozen=True)
class AuditRecord:
    """One audit log entry."""

    time_s: float
    username: str
    action: str
    ok: bool
    remote_addr: str
    detail: dict[str, Any]


def _info(user: User) -> UserInfo:
    return UserInfo(user.id, user.name, Role(user.role), user.disabled)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountService:
    """Users, passwords, tokens and audit entries in the DronePatrol database."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], float] = time.time,
        password_log2_n: int = DEFAULT_LOG2_N,
        parallel_hashes: int = PARALLEL_HASHES,
        hash_wait_s: float = HASH_WAIT_S,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._log2_n = password_log2_n
        self._hashing = threading.BoundedSemaphore(parallel_hashes)
        self._hash_wait_s = hash_wait_s

    @contextmanager
    def _hash_turn(self) -> Iterator[None]:
        """Wait (up to ``hash_wait_s``) for one of the ``parallel_hashes`` turns to hash.

        Raises :class:`SignInBusy` when none comes free in time.
        """
        if not self._hashing.acquire(timeout=self._hash_wait_s):
            raise SignInBusy("the server is checking many sign-ins at once: try again in a few s")
        try:
            yield
        finally:
            self._hashing.release()

    # users -----------------------------------------------------------------

    def add_user(self, name: str, role: Role | str, password: str) -> UserInfo:
        """Create an account; refuses bad names, short passwords and duplicates."""
        if not NAME_PATTERN.match(name):
            raise AccountError(
                f"user name {name!r} is not allowed: use 1-100 letters, digits or . _ @ -"
            )
        try:
            role = Role(role)
        except ValueError:
            raise AccountError(
                f"unknown role {role!r}; use one of {', '.join(r.value for r in Role)}"
            ) from None
        self._check_password(password)
        user = User(
            name=name,
            role=role.value,
            password_hash=hash_password(password, self._log2_n),
            created_s=self._clock(),
            disabled=False,
        )
        with Session(self._engine) as session:
            session.add(user)
            try:
                session.commit()
            except IntegrityError:
                raise AccountError(f"user {name!r} already exists") from None
            return _info(user)

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")

    def get_user(self, name: str) -> UserInfo | None:
        with Session(self._engine) as session:
            user = session.scalar(select(User).where(User.name == name))
            return _info(user) if user else None

    def list_users(self) -> list[UserInfo]:
        with Session(self._engine) as session:
            return [_info(u) for u in session.scalars(select(User).order_by(User.name))]

    def set_role(self, name: str, role: Role | str) -> UserInfo:
        with Session(self._engine) as session:
            user = self._require(session, name)
            user.role = Role(role).value
            session.commit()
            return _info(user)

    def set_password(self, name: str, password: str) -> None:
        """Change a password; every session and token of the account is revoked with it."""
        self._check_password(password)
        with Session(self._engine) as session:
            user = self._require(session, name)
            user.password_hash = hash_password(password, self._log2_n)
            self._revoke_all(session, user.id)
            session.commit()

    def _revoke_all(self, session: Session, user_id: int) -> None:
        """Revoke every live token (browser sessions included) of one account."""
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_s.is_(None))
            .values(revoked_s=self._clock())
        )

    def set_disabled(self, name: str, disabled: bool) -> UserInfo:
        """Disable (or re-enable) an account; disabling also revokes its sessions and tokens."""
        with Session(self._engine) as session:
            user = self._require(session, name)
            user.disabled = disabled
            if disabled:
                self._revoke_all(session, user.id)
            session.commit()
            return _info(user)

    @staticmethod
    def _require(session: Session, name: str) -> User:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise AccountError(f"no user named {name!r}")
        return user

    def ensure_admin(self, password: str) -> bool:
        """Create ``admin`` with ``password`` when no admin exists; True when created."""
        with Session(self._engine) as session:
            if session.scalar(select(User.id).where(User.role == Role.ADMIN.value).limit(1)):
                return False
        self.add_user("admin", Role.ADMIN, password)
        return True

    def authenticate(self, name: str, password: str) -> UserInfo | None:
        """The user when ``password`` is right and the account enabled, else None.

        An unknown name costs the same hash as a known one, so timing does not
        tell which names exist. A hash made at a lower cost than today's is
        replaced while the password is at hand. Only ``parallel_hashes``
        passwords are checked at once; raises :class:`SignInBusy` when this one
        waited ``hash_wait_s`` for its turn.
        """
        with self._hash_turn(), Session(self._engine) as session:
            user = session.scalar(select(User).where(User.name == name))
            stored = user.password_hash if user else self._dummy_hash()
            ok = verify_password(password, stored)
            if user is None or not ok or user.disabled:
                return None
            if needs_rehash(stored, self._log2_n):
                user.password_hash = hash_password(password, self._log2_n)
                session.commit()
            return _info(user)

    def _dummy_hash(self) -> str:
        """A hash at today's cost to verify against when the name is unknown."""
        found = _DUMMY_HASHES.get(self._log2_n)
        if found is None:
            found = _DUMMY_HASHES.setdefault(
                self._log2_n, hash_password(secrets.token_hex(8), self._log2_n)
            )
        return found

    # tokens ----------------------------------------------------------------

    def issue_token(self, user: UserInfo, ttl_s: float = DEFAULT_TOKEN_TTL_S) -> IssuedToken:
        """A new random bearer token for ``user``, valid ``ttl_s`` seconds."""
        if not ttl_s > 0:
            raise AccountError("token lifetime must be > 0 seconds")
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with Session(self._engine) as session:
            session.add(
                ApiToken(
                    user_id=user.id,
                    token_sha256=_token_digest(token),
                    created_s=now,
                    expires_s=now + ttl_s,
                    revoked_s=None,
                )
            )
            session.commit()
        return IssuedToken(token, now + ttl_s)

    def user_for_token(self, token: str) -> UserInfo | None:
        """The token's user while it is unexpired, unrevoked and the user enabled."""
        with Session(self._engine) as session:
            row = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_sha256 == _token_digest(token))
            ).first()
            if row is None:
                return None
            api_token, user = row
            if api_token.revoked_s is not None or api_token.expires_s <= self._clock():
                return None
            return None if user.disabled else _info(user)

    def revoke_token(self, token: str) -> bool:
        """Revoke one token; True when it existed and was live."""
        with Session(self._engine) as session:
            result = session.execute(
                update(ApiToken)
                .where(ApiToken.token_sha256 == _token_digest(token), ApiToken.revoked_s.is_(None))
                .values(revoked_s=self._clock())
            )
            session.commit()
            return result.rowcount > 0

    # audit -----------------------------------------------------------------

    def audit(
        self, username: str, action: str, ok: bool, remote_addr: str = "", **detail: Any
    ) -> None:
        """Append an entry to the audit log (logins, commands, account changes)."""
        with Session(self._engine) as session:
            session.add(
                AuditEntry(
                    time_s=self._clock(),
                    username=username,
                    action=action,
                    ok=ok,
                    remote_addr=remote_addr,
                    detail=detail,
                )
            )
            session.commit()

    def recent_audit(self, limit: int = 100) -> list[AuditRecord]:
        """The newest audit entries, newest first."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(AuditEntry)
                .order_by(AuditEntry.time_s.desc(), AuditEntry.id.desc())
                .limit(limit)
            )
            return [
                AuditRecord(r.time_s, r.username, r.action, r.ok, r.remote_addr, dict(r.detail))
                for r in rows
            ]
