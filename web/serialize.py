"""The app's JSON encoding: no NaN or infinity ever reaches a browser.

The shapes themselves are the models of :mod:`dronepatrol.web.schema`.
"""

from __future__ import annotations

import math
from typing import Any

from flask.json.provider import DefaultJSONProvider


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None.

    JSON has no NaN: Python would write it anyway and a browser's JSON.parse
    would then reject the whole answer (a sensor that reports no value, an
    unreachable ETA).
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


class FiniteJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with NaN and infinities sent as null (see :func:`finite`)."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(finite(obj), **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a request body; JSON nested past Python's recursion limit is a bad request.

        ``json.loads`` raises RecursionError on ``[[[[...`` 50,000 deep, which
        Flask would answer with a 500; a ValueError becomes its usual 400.
        """
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON body is nested too deeply") from None
