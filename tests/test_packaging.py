"""Every package is installed: pyproject.toml lists them all, with the folder mapping."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROOTS = {"dronepatrol": "dronepatrol", "web": "dronepatrol.web", "sitl": "dronepatrol.sitl"}


def _packages_on_disk() -> set[str]:
    found = set()
    for folder, dotted in ROOTS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            found.add(".".join([dotted, *rel.parts]) if rel.parts else dotted)
    return found


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    missing = _packages_on_disk() - listed
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"
    assert config["package-dir"] == {
        "dronepatrol": "dronepatrol",
        **{v: k for k, v in ROOTS.items() if k != "dronepatrol"},
    }


def test_top_level_layout() -> None:
    """What git tracks at the top is exactly the project's fixed layout."""
    allowed = {
        "dronepatrol",
        "web",
        "missions",
        "sitl",
        "tests",
        "bench",
        "pyproject.toml",
        "Makefile",
        "README.md",
        ".ci",
        ".gitignore",
    }
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    stray = {path.split("/")[0] for path in tracked} - allowed
    assert not stray, f"unexpected top-level entries: {sorted(stray)}"
