"""pymavlink lives behind one package of ours: dronepatrol.mavlink."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_mavlink_package_imports_pymavlink_in_the_core_and_the_web_app():
    offenders = [
        str(path.relative_to(REPO))
        for root in ("dronepatrol", "web")
        for path in sorted((REPO / root).rglob("*.py"))
        if "pymavlink" in imports_of(path) and "mavlink" not in path.relative_to(REPO).parts[1:2]
    ]
    assert offenders == []


def test_the_check_sees_an_import_when_there_is_one(tmp_path):
    module = tmp_path / "x.py"
    module.write_text("def f():\n    from pymavlink import mavutil\n")
    assert "pymavlink" in imports_of(module)
