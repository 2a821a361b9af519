"""The detector interface, and an ONNX object detector run by OpenCV's DNN module.

A detector takes a :class:`~dronepatrol.video.frames.Frame` and returns
:class:`Detection` boxes in that frame's pixels. The pipeline runs every
configured detector on each frame, tracks what they find and geotags it, so
a new detector needs only :meth:`Detector.detect`.

No model is shipped. To use one, export a YOLO-style detector to ONNX
(e.g. ``yolo export model=yolov8n.pt format=onnx opset=12`` with the
Ultralytics tools, on a machine that has them), copy the ``.onnx`` file to
the control station, and configure it (see ``dronepatrol/video/README.md``):
:class:`OnnxDetector` loads it with ``cv2.dnn.readNetFromONNX`` and expects
the YOLOv5/v8 output layout (boxes as centre x, centre y, width, height in
input pixels, then class scores; v5 adds an objectness column).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from dronepatrol.video.frames import Frame

COCO_LABELS = {0: "person", 1: "bicycle", 2: "car", 3: "motorcycle", 5: "bus", 7: "truck"}
"""COCO class ids patrol work cares about, with our label for each."""


@dataclass(frozen=True)
class Detection:
    """Something found in one frame.

    Attributes:
        label: what it is (``person``, ``car``, ``moving`` for motion).
        confidence: 0..1.
        bbox: (x, y, width, height) [px] in the frame.
    """

    label: str
    confidence: float
    bbox: tuple[int, int, int, int]

    @property
    def centre(self) -> tuple[float, float]:
        """(u, v) [px] of the box centre."""
        x, y, w, h = self.bbox
        return x + w / 2.0, y + h / 2.0


class Detector(Protocol):
    """Anything that finds objects in frames."""

    name: str

    def detect(self, frame: Frame) -> list[Detection]:
        """Objects in ``frame``; called once per frame, in order, on one thread."""
        ...


class DetectorError(RuntimeError):
    """A detector could not be set up (bad model file, wrong layout); says why."""


@dataclass(frozen=True)
class YoloDecoder:
    """Turns a YOLO-style output tensor into :class:`Detection` boxes.

    Attributes:
        input_size: the model's square input [px] (640 for stock exports).
        labels: class id -> label; classes not listed are ignored.
        confidence: minimum score to keep a box.
        nms: IoU threshold for non-maximum suppression.
        objectness: whether the output has an objectness column (YOLOv5) or
            not (YOLOv8); None infers it from 85 or 84 columns (COCO).
    """

    input_size: int = 640
    labels: dict[int, str] = field(default_factory=lambda: dict(COCO_LABELS))
    confidence: float = 0.4
    nms: float = 0.45
    objectness: bool | None = None

    def decode(self, output: np.ndarray, width: int, height: int) -> list[Detection]:
        """Boxes from a raw output tensor, scaled to a ``width`` x ``height`` frame."""
        rows = output.reshape(output.shape[-2:]) if output.ndim == 3 else output
        # YOLOv8 emits (4 + classes, boxes); v5 emits (boxes, 5 + classes).
        coco = (84, 85)
        if self.objectness is None:
            if rows.shape[0] in coco and rows.shape[1] not in coco:
                rows = rows.T
        elif rows.shape[0] < rows.shape[1]:
            rows = rows.T  # boxes outnumber the values per box
        objectness = self.objectness
        if objectness is None:
            if rows.shape[1] not in (84, 85):
                raise DetectorError(
                    f"model output has {rows.shape[1]} columns per box; pass objectness= "
                    "(True for YOLOv5-style outputs, False for YOLOv8-style)"
                )
            objectness = rows.shape[1] == 85
        scores = rows[:, 5:] * rows[:, 4:5] if objectness else rows[:, 4:]
        class_ids = scores.argmax(axis=1)
        best = scores[np.arange(len(scores)), class_ids]
        keep = (best >= self.confidence) & np.isin(class_ids, list(self.labels))
        boxes, confs, ids = rows[keep, :4], best[keep], class_ids[keep]
        sx, sy = width / self.input_size, height / self.input_size
        rects: list[Sequence[int]] = [
            [int((cx - bw / 2) * sx), int((cy - bh / 2) * sy), int(bw * sx), int(bh * sy)]
            for cx, cy, bw, bh in boxes
        ]
        if not rects:
            return []
        chosen = cv2.dnn.NMSBoxes(rects, confs.tolist(), self.confidence, self.nms)
        return [
            Detection(self.labels[int(ids[i])], float(confs[i]), tuple(rects[i]))  # type: ignore[arg-type]
            for i in np.asarray(chosen).reshape(-1)
        ]


class OnnxDetector:
    """A YOLO-style ONNX model run through ``cv2.dnn`` on the CPU.

    Args:
        model_path: the ``.onnx`` file.
        decoder: how to read its output (default: stock COCO YOLO at 640 px).
    """

    name = "onnx"

    def __init__(self, model_path: str | Path, decoder: YoloDecoder | None = None) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise DetectorError(
                f"ONNX model {path} does not exist; set DRONEPATROL_DETECTOR_MODEL to a model file"
            )
        try:
            self.net = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as exc:
            raise DetectorError(f"ONNX model {path} cannot be loaded by OpenCV: {exc}") from exc
        self.decoder = decoder or YoloDecoder()

    def detect(self, frame: Frame) -> list[Detection]:
        image = frame.image
        h, w = image.shape[:2]
        size = self.decoder.input_size
        blob = cv2.dnn.blobFromImage(image, 1 / 255.0, (size, size), swapRB=True, crop=False)
        self.net.setInput(blob)
        return self.decoder.decode(self.net.forward(), w, h)
