"""Package names loaded on first use, so importing a package costs only what is used.

A package's ``__init__`` keeps its public names in a table (name -> module)
and sets ``__getattr__ = lazy_exports(__name__, TABLE)``: ``dronepatrol --help``
and a command centre then never import shapely, numpy or pymavlink for names
they do not touch. Type checkers read the same names from an
``if TYPE_CHECKING:`` import block beside the table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, table: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports each name's module when asked.

    >>> get = lazy_exports("example", {"sqrt": "math"})
    >>> get("sqrt")(9.0)
    3.0
    >>> get("cbrt")
    Traceback (most recent call last):
    ...
    AttributeError: module 'example' has no attribute 'cbrt'
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
