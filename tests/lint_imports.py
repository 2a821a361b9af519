"""Run import-linter on the package as it installs.

``web/`` and ``sitl/`` install as ``dronepatrol.web`` and ``dronepatrol.sitl``
but sit at the top of the repository, where import-linter cannot see them
as parts of ``dronepatrol``. This script lays the three folders out as the
wheel does, in a scratch directory, and checks the contracts in
pyproject.toml there. Exit status: import-linter's (0 kept, 1 broken).

Usage: python tests/lint_imports.py [REPO_DIR]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "static", "templates", "params")


def stage(repo: Path, dest: Path) -> Path:
    """Copy the package into ``dest`` in its installed shape; returns the package dir."""
    package = dest / "dronepatrol"
    shutil.copytree(repo / "dronepatrol", package, ignore=_IGNORE)
    shutil.copytree(repo / "web", package / "web", ignore=_IGNORE)
    shutil.copytree(repo / "sitl", package / "sitl", ignore=_IGNORE)
    return package


def lint_imports(repo: Path) -> subprocess.CompletedProcess[str]:
    """Stage ``repo`` and run ``lint-imports`` on it; returns the finished process."""
    with tempfile.TemporaryDirectory(prefix="dronepatrol-importlint-") as scratch:
        stage(repo, Path(scratch))
        env = dict(os.environ)
        # The staged tree comes first so that it, not the editable install, is analysed.
        env["PYTHONPATH"] = os.pathsep.join([scratch, str(Path(__file__).parent)])
        lint = Path(sys.executable).with_name("lint-imports")
        return subprocess.run(
            [str(lint), str(repo / "pyproject.toml"), "--no-cache"],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )


if __name__ == "__main__":
    repo_dir = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    result = lint_imports(repo_dir)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    sys.exit(result.returncode)
