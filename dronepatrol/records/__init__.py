"""Sortie records: the recorder, exports, the report and media integrity.

* :mod:`dronepatrol.records.telemetry`: the TELEMETRY event format (pure; the
  link imports it to publish snapshots).
* :class:`~dronepatrol.records.recorder.Recorder`: subscribes to the event bus
  and writes sorties, track, events, detections and media in batches on its
  own thread; :mod:`~dronepatrol.records.ledger` decides what each event does
  to the record, :mod:`~dronepatrol.records.recovery` what a restart does to
  the sorties left open, :mod:`~dronepatrol.records.audit` the outcome rule
  and the audit rows.
* :mod:`~dronepatrol.records.archive`: reading sorties back.
* :mod:`~dronepatrol.records.export`, :mod:`~dronepatrol.records.report`:
  GeoJSON, KML, GPX, CSV and the self-contained HTML report.
* :mod:`~dronepatrol.records.media`: SHA-256 registration and verification.

Importing this package is cheap: the database-backed parts load on first use.
"""

from __future__ import annotations

from dronepatrol.lazy import lazy_exports
from dronepatrol.records.telemetry import (
    telemetry_data,
    telemetry_event,
    track_sample,
)

_LAZY = {
    "Recorder": "dronepatrol.records.recorder",
    "start_recording": "dronepatrol.records.recorder",
    "SortieArchive": "dronepatrol.records.archive",
    "SortieNotFound": "dronepatrol.records.archive",
    "register_media": "dronepatrol.records.media",
    "verify_media": "dronepatrol.records.media",
}

__all__ = [
    "Recorder",
    "SortieArchive",
    "SortieNotFound",
    "register_media",
    "start_recording",
    "telemetry_data",
    "telemetry_event",
    "track_sample",
    "verify_media",
]


__getattr__ = lazy_exports(__name__, _LAZY)
