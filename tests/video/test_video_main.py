"""``python -m dronepatrol.video``: check a source by hand, with a clear error for a bad URL."""

from __future__ import annotations

import json
import subprocess
import sys

import av
import pytest

pytestmark = pytest.mark.serial  # counts the frames a 4 s run makes: it needs the CPU


def test_simulated_run_streams_records_and_summarises(tmp_path) -> None:
    out = tmp_path / "check.mp4"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dronepatrol.video",
            "sim:",
            "--seconds",
            "4",
            "--port",
            "0",
            "--record",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "streaming on http://127.0.0.1:" in result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["frames"] > 10 and summary["source"]["connected"]
    assert summary["recording"]["frames"] > 5
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) == summary["recording"]["frames"]


def test_bad_source_url_exits_2_with_the_fix() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dronepatrol.video", "rtsp-x://camera", "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "unknown scheme" in result.stderr and "rtsp://" in result.stderr
