"""Waiting on a submitted job's future with a deadline, as a typed error."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from dronepatrol.mavlink.errors import FlightError


def wait_outcome(future: Future, timeout_s: float, what: str) -> Any:
    """The job's result; its own typed error when it failed; FlightError after ``timeout_s`` [s]."""
    try:
        return future.result(timeout_s)
    except FutureTimeout:
        raise FlightError(f"{what}: no outcome within {timeout_s:g} s") from None
