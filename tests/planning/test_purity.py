"""Planning stays pure: the import contract catches pymavlink, cv2, flask, sqlalchemy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from lint_imports import lint_imports  # noqa: E402


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("planning/coverage.py", "pymavlink"),
        ("network/loading.py", "flask"),
        ("missionfiles/wpl.py", "cv2"),
    ],
)
def test_forbidden_import_breaks_lint(tmp_path, module, forbidden) -> None:
    for name in ("dronepatrol", "web", "sitl"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "dronepatrol" / module
    target.write_text(target.read_text() + f"\nimport {forbidden}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert forbidden in result.stdout


def test_planning_imports_no_heavy_modules() -> None:
    code = (
        "import sys, dronepatrol.planning, dronepatrol.network, dronepatrol.missionfiles; "
        "print(sorted(m for m in ('pymavlink', 'cv2', 'flask', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
