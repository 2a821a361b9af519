"""Tables of the control app's accounts: users, API tokens, audit log (migration 0002_accounts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Double, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from dronepatrol.database.record_tables import Base, Json, RowId


class User(Base):
    """A person (or a script's account) who signs in to the control app."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_s: Mapped[float] = mapped_column(Double)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiToken(Base):
    """A bearer token for API clients; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(RowId, ForeignKey("users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_s: Mapped[float] = mapped_column(Double)
    expires_s: Mapped[float] = mapped_column(Double)
    revoked_s: Mapped[float | None] = mapped_column(Double, nullable=True)


class AuditEntry(Base):
    """Who did what, when, from where: every login and every command."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_time_s", "time_s"),)

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    time_s: Mapped[float] = mapped_column(Double)
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    ok: Mapped[bool] = mapped_column(Boolean)
    remote_addr: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
