"""Signing in and out by script: bearer tokens."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dronepatrol.web.schema.base import Reply, Request

RoleName = Literal["viewer", "commander", "operator", "admin"]


class Credentials(Request):
    username: str
    password: str


class Token(Reply):
    token: str = Field(description="send as Authorization: Bearer TOKEN")
    expires_s: float = Field(description="when it expires [s since the epoch]")
    role: RoleName


class SignedOut(Reply):
    status: Literal["signed out"]


class Me(Reply):
    name: str
    role: RoleName
