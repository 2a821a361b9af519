"""A pytest plugin that runs the examples in the docstrings of the product's packages.

Every module of ``dronepatrol/``, ``web/`` and ``sitl/`` that shows an example
(``>>>``) is collected as a doctest module when pytest is given that package
(``testpaths`` names them all), so a docstring that drifts from the code
fails the suite. Only those modules are imported: some others (alembic's
migration environment, ``__main__``) must not be. pyproject's ``addopts``
loads it (``-p docexamples``, ``tests`` on ``pythonpath``) rather than a
conftest, whose hooks would see only its own folder: ``pytest dronepatrol``
alone runs them too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = tuple(REPO / name for name in ("dronepatrol", "web", "sitl"))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".py" or file_path.name == "__main__.py":
        return None
    if not any(package in file_path.parents for package in PACKAGES):
        return None
    if ">>>" not in file_path.read_text(encoding="utf-8"):
        return None
    doctest_plugin = parent.config.pluginmanager.get_plugin("doctest")
    return doctest_plugin.DoctestModule.from_parent(parent, path=file_path)
