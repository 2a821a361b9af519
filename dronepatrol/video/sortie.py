"""One video file per sortie: recording starts when a vehicle arms and ends when it disarms.

Works from the event bus on its own thread (finishing a file means flushing
the encoder and hashing the file, which must not hold up the link thread
that published the disarm). When recording starts it publishes the file as a
``media`` event (``complete`` false), so that a crash still leaves the file
attached to its sortie; when it ends, the pipeline publishes the finished
file with its SHA-256 as a ``recording`` event. The sortie recorder stores both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from dronepatrol.events import BusWorker, Event, EventBus, EventKind
from dronepatrol.video.pipeline import VideoPipeline

PipelineLookup = Callable[[str], VideoPipeline | None]


class SortieVideo:
    """Starts and stops each vehicle's recording with its sorties.

    Args:
        bus: the fleet's event bus (ARMED / DISARMED in, MEDIA out).
        pipeline_of: the video pipeline of a vehicle id, or None when it has no video.
        directory: where the MP4 files go (one per sortie).
        fps: the recording's nominal frame rate.
    """

    def __init__(
        self, bus: EventBus, pipeline_of: PipelineLookup, directory: Path, fps: float = 25.0
    ) -> None:
        self.bus = bus
        self.pipeline_of = pipeline_of
        self.directory = Path(directory)
        self.fps = fps
        self._worker = BusWorker(
            bus,
            "sortie-video",
            self._follow,
            accept=lambda e: (
                e.kind in (EventKind.ARMED, EventKind.DISARMED) and e.vehicle_id is not None
            ),
        )
        self._recording: dict[str, Path] = {}

    def start(self) -> SortieVideo:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._worker.start()
        return self

    def stop(self) -> None:
        """Stop listening and finish every recording still running."""
        self._worker.stop(10.0)
        for vehicle_id in list(self._recording):
            self._finish(vehicle_id)

    def _follow(self, event: Event) -> None:
        assert event.vehicle_id is not None  # the worker keeps only a vehicle's events
        if event.kind is EventKind.ARMED:
            self._begin(event.vehicle_id)
        else:
            self._finish(event.vehicle_id)

    def _begin(self, vehicle_id: str) -> None:
        pipeline = self.pipeline_of(vehicle_id)
        if pipeline is None:
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in vehicle_id)
        path = self.directory / f"{stamp}-{safe}.mp4"
        pipeline.start_recording(path, fps=self.fps)
        self._recording[vehicle_id] = path
        self._media(vehicle_id, path=str(path), complete=False, started_s=time.time())

    def _media(self, vehicle_id: str, **data: object) -> None:
        # built by hand: "kind" is a key of the media event's data, not the event's kind
        self.bus.publish(Event(EventKind.MEDIA, vehicle_id, {"kind": "video", **data}))

    def _finish(self, vehicle_id: str) -> None:
        path = self._recording.pop(vehicle_id, None)
        pipeline = self.pipeline_of(vehicle_id)
        if path is None or pipeline is None:
            return
        pipeline.stop_recording()  # the pipeline publishes the finished file (RECORDING)
