"""Live video: capture, simulate, annotate, detect, geotag, stream and record.

Modules, each with one job:

* :mod:`~dronepatrol.video.frames`: frames with capture times; the
  per-vehicle buffer every viewer reads (no OpenCV, cheap to import).
* :mod:`~dronepatrol.video.sources`: capture from RTSP, UDP/RTP H.264, HTTP
  MJPEG, files and devices by URL, reconnecting; the simulated camera's feed.
* :mod:`~dronepatrol.video.camera`: intrinsics, gimbal, attitude; pixel <->
  ground over flat ground (used to render and to geotag).
* :mod:`~dronepatrol.video.scene`, :mod:`~dronepatrol.video.simcam`: the
  synthetic ground with moving people and vehicles, and its renderer.
* :mod:`~dronepatrol.video.hud`: the head-up display burned into frames.
* :mod:`~dronepatrol.video.motion`, :mod:`~dronepatrol.video.tracker`,
  :mod:`~dronepatrol.video.detectors`: moving-object detection from a moving
  camera, tracking with stable ids, the pluggable detector interface (ONNX).
* :mod:`~dronepatrol.video.recorder`: crash-safe H.264 MP4 recording.
* :mod:`~dronepatrol.video.pipeline`: one vehicle's capture-to-viewer chain.

See ``dronepatrol/video/README.md`` for how to configure sources and a model.
"""
