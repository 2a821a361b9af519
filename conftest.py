"""Runs the examples in the docstrings of the core, the web app and the simulator.

Every module of ``dronepatrol/``, ``web/`` and ``sitl/`` that shows an example
(``>>>``) is collected by pytest as a doctest module, so a docstring that
drifts from the code fails the suite. Only those modules are imported: some
others (alembic's migration environment, ``__main__``) must not be.
(The suite's fixtures are in ``tests/conftest.py``.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACKAGES = tuple(HERE / name for name in ("dronepatrol", "web", "sitl"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".py" or file_path.name == "__main__.py":
        return None
    if not any(package in file_path.parents for package in PACKAGES):
        return None
    if ">>>" not in file_path.read_text(encoding="utf-8"):
        return None
    doctest_plugin = parent.config.pluginmanager.get_plugin("doctest")
    return doctest_plugin.DoctestModule.from_parent(parent, path=file_path)
