"""The Janus API requests a browser may relay through the app, and their answers.

Only the fields a viewer's requests use are taken (Janus' own protocol, see
``web/janus_proxy.py`` for which verbs each path lets through); anything else
is a 400 naming it, never forwarded. Janus' answers are passed back as Janus
gives them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dronepatrol.web.schema.base import Query, Request

JANUS_ANSWER = {
    "description": "Janus' own answer (success, ack, event or error), as Janus gives it",
    "content": {"application/json": {"schema": {"type": "object"}}},
}


class JanusRequest(Request):
    """One Janus API request; ``janus`` is its verb."""

    janus: str = Field(description="create, attach, keepalive, destroy, message, trickle, ...")
    transaction: str = Field(min_length=1, max_length=64, description="the caller's request id")
    plugin: str | None = Field(default=None, description="attach: janus.plugin.streaming only")
    opaque_id: str | None = Field(default=None, max_length=128)
    body: dict[str, Any] | None = Field(
        default=None, description="message: the streaming plugin's viewer request"
    )
    jsep: dict[str, Any] | None = Field(default=None, description="message: the SDP answer")
    candidate: dict[str, Any] | None = Field(default=None, description="trickle: one candidate")
    candidates: list[dict[str, Any]] | None = Field(default=None, description="trickle: several")


class JanusPoll(Query):
    """The long poll's query."""

    maxev: int = Field(default=1, ge=1, le=10, description="at most this many events")
