"""The pluggable detectors: YOLO output decoding, model loading errors, configuration."""

from __future__ import annotations

import numpy as np
import pytest

from dronepatrol.settings import Settings
from dronepatrol.video.detectors import DetectorError, OnnxDetector, YoloDecoder
from dronepatrol.video.motion import MotionDetector
from dronepatrol.video.pipeline import default_detectors
from dronepatrol.video.sources import SimulatedSource, SourceError, StreamSource, make_source


def _v8_output(boxes: list[tuple[float, float, float, float, int, float]]) -> np.ndarray:
    """A YOLOv8-style (1, 84, N) tensor holding ``boxes`` (cx, cy, w, h, class, score)."""
    out = np.zeros((1, 84, 100), np.float32)
    for k, (cx, cy, w, h, cls, score) in enumerate(boxes):
        out[0, :4, k] = (cx, cy, w, h)
        out[0, 4 + cls, k] = score
    return out


def test_yolov8_output_is_scaled_filtered_and_deduplicated() -> None:
    output = _v8_output(
        [
            (320, 320, 40, 80, 0, 0.9),  # a person in the middle of the 640x640 input
            (322, 318, 42, 78, 0, 0.6),  # the same person again: suppressed
            (100, 500, 120, 60, 2, 0.8),  # a car
            (500, 100, 50, 50, 16, 0.95),  # a dog: not a class patrol work tracks
            (50, 50, 10, 10, 0, 0.2),  # too unsure
        ]
    )
    found = YoloDecoder().decode(output, 1280, 720)
    labels = sorted(d.label for d in found)
    assert labels == ["car", "person"]
    person = next(d for d in found if d.label == "person")
    assert person.confidence == pytest.approx(0.9)
    # Input pixels scale to the frame: x by 1280/640, y by 720/640.
    assert person.bbox == (600, 315, 80, 90)
    assert person.centre == pytest.approx((640, 360))


def test_yolov5_output_uses_objectness() -> None:
    rows = np.zeros((1, 200, 85), np.float32)  # (boxes, 5 + classes) as YOLOv5 emits
    rows[0, 0, :5] = (320, 320, 64, 64, 0.5)
    rows[0, 0, 5 + 2] = 0.9  # car, but objectness halves it to 0.45
    rows[0, 1, :5] = (100, 100, 64, 64, 0.3)
    rows[0, 1, 5 + 0] = 0.9  # 0.27: below the threshold
    found = YoloDecoder().decode(rows, 640, 640)
    assert [(d.label, round(d.confidence, 2)) for d in found] == [("car", 0.45)]
    assert YoloDecoder().decode(np.zeros((1, 84, 200), np.float32), 640, 640) == []


def test_unknown_output_layout_is_refused_with_the_fix() -> None:
    with pytest.raises(DetectorError, match="objectness="):
        YoloDecoder().decode(np.zeros((1, 20, 300), np.float32), 640, 640)
    custom = YoloDecoder(labels={0: "person"}, objectness=False)
    out = np.zeros((1, 5, 30), np.float32)
    out[0, :, 0] = (10, 10, 4, 4, 0.7)
    assert [d.label for d in custom.decode(out, 640, 640)] == ["person"]


def test_model_file_errors_name_the_file(tmp_path) -> None:
    with pytest.raises(DetectorError, match="does not exist"):
        OnnxDetector(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(DetectorError, match="cannot be loaded"):
        OnnxDetector(junk)


def test_detectors_follow_the_settings(tmp_path) -> None:
    only_motion = default_detectors(Settings(data_dir=tmp_path))
    assert [type(d) for d in only_motion] == [MotionDetector]
    with pytest.raises(DetectorError, match=r"missing\.onnx"):
        default_detectors(
            Settings(data_dir=tmp_path, detector_model=str(tmp_path / "missing.onnx"))
        )


def test_make_source_by_url(tmp_path) -> None:
    assert isinstance(make_source("rtsp://10.1.1.2/live"), StreamSource)
    sim = make_source("sim:?fps=30", camera=object(), pose_source=lambda: None)
    assert isinstance(sim, SimulatedSource) and sim.fps == 30.0
    with pytest.raises(SourceError, match="needs a scene"):
        make_source("sim:")
    with pytest.raises(SourceError, match="between 1 and 60"):
        make_source("sim:?fps=500", camera=object(), pose_source=lambda: None)
    with pytest.raises(SourceError, match="does not exist"):
        make_source(str(tmp_path / "none.mp4"))
