"""The layering rules hold, and the checker really catches a breach."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from lint_imports import lint_imports  # noqa: E402


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    for name in ("dronepatrol", "web", "sitl"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + "\n" + line + "\n")


def test_contracts_are_kept() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_importing_the_web_app_breaks_lint(repo_copy: Path) -> None:
    _append(repo_copy / "dronepatrol" / "events.py", "import dronepatrol.web  # noqa")
    result = lint_imports(repo_copy)
    assert result.returncode != 0
    assert "dronepatrol.events is not allowed to import dronepatrol.web" in result.stdout


def test_core_importing_the_simulator_breaks_lint(repo_copy: Path) -> None:
    _append(repo_copy / "dronepatrol" / "settings.py", "from dronepatrol import sitl  # noqa")
    result = lint_imports(repo_copy)
    assert result.returncode != 0
    assert "dronepatrol.sitl" in result.stdout


def test_pure_modules_importing_mavlink_breaks_lint(repo_copy: Path) -> None:
    _append(repo_copy / "dronepatrol" / "mission.py", "import pymavlink  # noqa")
    result = lint_imports(repo_copy)
    assert result.returncode != 0
    assert "pymavlink" in result.stdout


def test_web_importing_a_private_core_module_breaks_lint(repo_copy: Path) -> None:
    _append(repo_copy / "web" / "api.py", "from dronepatrol.cli import _pending  # noqa")
    result = lint_imports(repo_copy)
    assert result.returncode != 0
    assert "private module dronepatrol.cli._pending" in result.stdout
