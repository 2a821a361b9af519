"""Recordings survive a crash: kill -9 the recorder, the file still plays.

A child process records about 20 s of frames (written faster than real
time, stamped 25 fps apart) and prints each frame's timestamp after writing
it; the test kills it with SIGKILL once it has passed 20 s, then decodes the
file with PyAV. The video must play up to within 2 s of the last frame
written before the kill.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import av
import numpy as np
import pytest
from support import wait_until

from dronepatrol.video.recorder import Mp4Recorder, sha256_file

CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from dronepatrol.video.recorder import Mp4Recorder

    recorder = Mp4Recorder(sys.argv[1], 320, 240, fps=25.0)
    base = np.zeros((240, 320, 3), np.uint8)
    base[:, :, 1] = np.linspace(0, 255, 320, dtype=np.uint8)
    for n in range(100000):
        image = np.roll(base, 4 * n, axis=1)
        image[100:140, (n * 3) % 280:(n * 3) % 280 + 40] = 255
        t = n / 25.0
        recorder.write(image, 1_800_000_000.0 + t)
        print(f"{t:.3f}", flush=True)
        time.sleep(0.004)  # about 5x real time: the parent can kill it mid-stream
    """
)


def decoded_end_s(path) -> tuple[int, float]:
    """(frames, timestamp of the last decodable frame [s]) of a video file."""
    frames, last = 0, -1.0
    with av.open(str(path)) as container:
        try:
            for frame in container.decode(video=0):
                frames += 1
                last = float(frame.time)
        except av.FFmpegError:
            pass  # a torn last fragment: everything before it counts
    return frames, last


def test_killed_recorder_leaves_a_playable_file(tmp_path) -> None:
    path = tmp_path / "sortie.mp4"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    written = -1.0

    def seconds_written() -> float:
        line = child.stdout.readline()
        assert line, f"the recorder stopped after {written:.2f} s"
        return float(line)

    try:
        assert child.stdout is not None
        written = wait_until(
            seconds_written, 120, "20 s of video written", accept=lambda s: s >= 20.0, every_s=0
        )
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        _out, errors = child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL, errors
    assert written >= 20.0
    frames, end = decoded_end_s(path)
    print(f"killed after writing {written:.2f} s; the file plays to {end:.2f} s")
    assert end >= written - 2.0, f"plays to {end:.2f} s but {written:.2f} s were written"
    assert frames >= int((written - 2.0) * 25)
    # And the frames decode to pictures (not just timestamps).
    with av.open(str(path)) as container:
        picture = next(container.decode(video=0)).to_ndarray(format="bgr24")
    assert picture.shape == (240, 320, 3) and picture[:, :, 1].max() > 200


def test_finished_recording_has_checksum_and_real_time_timestamps(tmp_path) -> None:
    path = tmp_path / "done.mp4"
    recorder = Mp4Recorder(path, 160, 120, fps=25.0)
    image = np.full((120, 160, 3), 90, np.uint8)
    # A stall of 1 s after frame 10: the recording must keep real time, not close the gap.
    times = [i / 25 for i in range(10)] + [1.4 + i / 25 for i in range(10)]
    for n, t in enumerate(times):
        image[:, :, 2] = n * 10
        recorder.write(image, 1_800_000_000.0 + t)
    result = recorder.close()
    assert result.frames == 20
    assert result.sha256 == sha256_file(path) and len(result.sha256) == 64
    assert result.duration_s == pytest.approx(times[-1], abs=0.002)
    frames, end = decoded_end_s(path)
    assert frames == 20
    assert end == pytest.approx(times[-1], abs=0.01)
    path.write_bytes(path.read_bytes() + b"x")
    assert sha256_file(path) != result.sha256
