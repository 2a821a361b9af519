"""What a start-up loads: only what the command or role needs.

Each check runs in a fresh interpreter and reads its ``sys.modules``: a
heavy library imported eagerly somewhere (OpenCV, PyAV, the simulator...)
costs every start, and a restarted command centre most of all, since it
has to show the city again within seconds. No timing is asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from support import free_tcp_port

from dronepatrol.database import upgrade
from dronepatrol.settings import Settings


def loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = textwrap.dedent(code) + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def top_level(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name in modules)


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    modules = loaded_after(
        """
        from dronepatrol.cli import main
        try:
            main(["--help"])
        except SystemExit as stop:
            assert stop.code == 0, stop.code
        """
    )
    heavy = ("cv2", "av", "pymavlink", "shapely", "numpy", "pyproj", "sqlalchemy", "flask")
    assert top_level(modules, heavy) == []


def test_a_restarted_command_centre_loads_no_video_simulator_or_migrations(
    tmp_path: Path,
) -> None:
    upgrade(Settings(data_dir=tmp_path)).dispose()  # its database, as the last run left it
    env = {
        "DRONEPATROL_DATA_DIR": str(tmp_path),
        "DRONEPATROL_DATABASE_URL": "",
        "DRONEPATROL_MODE": "centre",
        # nothing listens there: the centre keeps trying in the background, as it would
        "DRONEPATROL_BROKER_URL": f"mqtt://127.0.0.1:{free_tcp_port()}",
        "DRONEPATROL_BROKER_PASSWORD": "unused",
    }
    modules = loaded_after(
        """
        from dronepatrol.cli.runtime import ControlRuntime, ServeOptions
        from dronepatrol.settings import Settings

        with ControlRuntime(Settings.load(), ServeOptions()) as runtime:
            assert runtime.room.city is not None
        """,
        env,
    )
    assert "dronepatrol.city.centre" in modules  # the centre did start
    assert top_level(modules, ("cv2", "av", "aiortc", "alembic")) == []
    assert sorted(m for m in modules if m.startswith("dronepatrol.sitl")) == []
    # the web app's frame buffers (dronepatrol.video.frames) are fine: no codec, no camera
    video_stack = {
        f"dronepatrol.video.{name}"
        for name in ("camera", "detectors", "pipeline", "publisher", "recorder", "scene", "simcam")
    }
    assert sorted(video_stack & modules) == []
