"""Planning stays pure: importing it loads no pymavlink, cv2, flask or sqlalchemy.

(That the import contracts catch such imports is tests/test_architecture.py's job.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))


def test_planning_imports_no_heavy_modules() -> None:
    code = (
        "import sys, dronepatrol.planning, dronepatrol.network, dronepatrol.missionfiles; "
        "print(sorted(m for m in ('pymavlink', 'cv2', 'flask', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
