"""The import checker really catches a breach of each layering rule.

That the contracts are kept is ``make lint``'s job (and ``make check``'s); this
test plants one breach of every rule in a copy of the package and runs the
checker once, so it costs one run, not one per rule.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from lint_imports import lint_imports  # noqa: E402

BREACHES = [
    # (file in the copy, line appended, the import the checker must name)
    (
        "dronepatrol/events.py",
        "import dronepatrol.web",
        "dronepatrol.events -> dronepatrol.web",
    ),
    (
        "dronepatrol/settings.py",
        "from dronepatrol import sitl",
        "dronepatrol.settings -> dronepatrol.sitl",
    ),
    (
        "dronepatrol/mission.py",
        "import pymavlink",
        "dronepatrol.mission -> pymavlink",
    ),
    (
        "dronepatrol/planning/coverage.py",
        "import cv2",
        "dronepatrol.planning.coverage -> cv2",
    ),
    (
        "dronepatrol/network/loading.py",
        "import flask",
        "dronepatrol.network.loading -> flask",
    ),
    (
        "web/api.py",
        "from dronepatrol.records import _breach_example",
        "private module dronepatrol.records._breach_example",
    ),
]


def test_the_checker_reports_a_breach_of_every_layering_rule(tmp_path: Path) -> None:
    for name in ("dronepatrol", "web", "sitl"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    # a private module of the core, for the web app to reach into
    (tmp_path / "dronepatrol" / "records" / "_breach_example.py").write_text('"""Private."""\n')
    for path, line, _said in BREACHES:
        target = tmp_path / path
        target.write_text(f"{target.read_text()}\n{line}  # noqa\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    missed = [said for _path, _line, said in BREACHES if said not in result.stdout]
    assert not missed, f"not reported: {missed}\n{result.stdout}"
