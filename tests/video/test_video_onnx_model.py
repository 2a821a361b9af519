"""A real ONNX file through OpenCV's DNN module, end to end.

No detector model is shipped, so the test builds a tiny one with the
``onnx`` package: a YOLOv8-shaped network (64x64 input, 8x8 grid of
anchors, output (1, 84, 64)) whose "person" score in each cell is the
cell's mean brightness and whose boxes are the cells. A white square in a
black frame must come back as one person box, in frame pixels.
"""

from __future__ import annotations

import numpy as np
import pytest

from dronepatrol.video.detectors import OnnxDetector, YoloDecoder
from dronepatrol.video.frames import Frame

CELLS = 8  # an 8x8 grid over a 64x64 input: one anchor per 8x8 cell


def _write_model(path) -> None:
    # imported here, not at collection: onnx takes 0.4 s of CPU to import in every test process
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    weights = np.zeros((84, 3, 8, 8), np.float32)
    weights[4] = 1.0 / (3 * 8 * 8)  # class 0 (person): mean brightness of the cell
    anchors = np.zeros((1, 84, CELLS * CELLS), np.float32)
    for row in range(CELLS):
        for col in range(CELLS):
            k = row * CELLS + col
            anchors[0, :4, k] = (col * 8 + 4, row * 8 + 4, 8, 8)  # cx, cy, w, h
    graph = helper.make_graph(
        [
            helper.make_node(
                "Conv", ["images", "w"], ["grid"], kernel_shape=[8, 8], strides=[8, 8]
            ),
            helper.make_node("Reshape", ["grid", "shape"], ["scores"]),
            helper.make_node("Add", ["scores", "anchors"], ["output0"]),
        ],
        "tiny-yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 84, CELLS * CELLS])],
        [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.array([1, 84, CELLS * CELLS], np.int64), "shape"),
            numpy_helper.from_array(anchors, "anchors"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def test_onnx_model_detects_through_cv2_dnn(tmp_path) -> None:
    path = tmp_path / "tiny-yolo.onnx"
    _write_model(path)
    detector = OnnxDetector(path, YoloDecoder(input_size=64))
    image = np.zeros((640, 640, 3), np.uint8)
    image[160:240, 400:480] = 255  # exactly grid cell (row 2, col 5) after the 10x resize
    (found,) = detector.detect(Frame(image, 0.0, 1))
    assert found.label == "person"
    assert found.confidence == pytest.approx(1.0, abs=0.02)
    assert found.bbox == (400, 160, 80, 80)
    assert detector.detect(Frame(np.zeros((640, 640, 3), np.uint8), 0.0, 2)) == []
