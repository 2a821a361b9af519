"""H.264 over UDP, as drone video links send it: MPEG-TS and RTP on a real socket.

A PyAV sender encodes frames to H.264 and sends them to a loopback port; the
source decodes them. RTP needs no SDP file from the operator: the source
writes one for the port in the URL.
"""

from __future__ import annotations

import threading
import time

import av
import numpy as np
import pytest
from support import wait_until
from video_support import free_port

from dronepatrol.video.sources import StreamSource


def _sender(url: str, fmt: str, stop: threading.Event) -> None:
    with av.open(url, "w", format=fmt) as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": "10"}
        n = 0
        while not stop.is_set():
            image = np.zeros((240, 320, 3), np.uint8)
            image[:, : (n * 5) % 320] = (0, 200, 0)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = n
            for packet in stream.encode(frame):
                out.mux(packet)
            n += 1
            stop.wait(0.04)


@pytest.mark.parametrize("kind", ["mpegts", "rtp"])
def test_h264_over_udp_is_received_and_decoded(kind: str) -> None:
    port = free_port()
    port -= port % 2  # RTP wants an even port (RTCP takes the next one)
    if kind == "rtp":
        send_url, listen_url = f"rtp://127.0.0.1:{port}", f"rtp-h264://127.0.0.1:{port}"
    else:
        send_url, listen_url = f"udp://127.0.0.1:{port}?pkt_size=1316", f"udp://127.0.0.1:{port}"
    source = StreamSource(listen_url).start()
    stop = threading.Event()
    time.sleep(0.3)  # the receiver is bound before the first packet
    sender = threading.Thread(target=_sender, args=(send_url, kind, stop), daemon=True)
    sender.start()
    try:
        first = source.read(0, timeout_s=15)
        assert first is not None, source.status()
        assert first.image.shape == (240, 320, 3)
        wait_until(lambda: source.frames >= first.seq + 10, 10, "10 more frames", every_s=0.05)
        assert source.status()["connected"]
        green = source.latest.get().image[:, :, 1]
        assert green.max() > 150, "the decoded picture carries the sender's content"
    finally:
        stop.set()
        sender.join(5)
        source.stop(timeout_s=1.0)  # a blocked UDP read ends by its own timeout
