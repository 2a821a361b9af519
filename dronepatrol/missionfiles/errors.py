"""The error every mission file reader raises."""

from __future__ import annotations


class MissionFileError(ValueError):
    """A mission file cannot be read; the message names the file, the place and the fix."""
